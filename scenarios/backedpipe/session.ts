/**
 * PipeSession: the two hosts shared by the pipe scenarios. The client dials and the
 * server listens; each runs a BackedPipe (a PipeEndpoint) and streams its own known
 * byte sequence (drawn from a seeded stream, written in the workload's chunks and
 * pauses) to the other, while it reads the other's. The client also forces a
 * reconnection now and then during the safety phase (as an application that knows
 * its network changed), which exercises replay and stale errors without any fault.
 *
 * Checked continuously, on every chunk read: each side has read an exact prefix of
 * the bytes the other side handed to its pipe (invariant pipe.received-exact-prefix),
 * no pipe drops a connection that has not failed (pipe.no-reconnect-on-stale-error),
 * and a connection a pipe let go of (replaced, or rejected by a failed reconnection)
 * is closed and delivers no byte (pipe-connection-lifecycle.ts).
 */
import { ErrPipeClosed } from "../../src/impl/backedpipe/index.ts";
import { NetError, type Connection, type Env, type Listener } from "../../src/sim/env.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";
import { AcceptingReconnector } from "./accepting-reconnector.ts";
import { describeMismatch } from "./byte-check.ts";
import { ConnectionLifecycle } from "./connection-lifecycle.ts";
import { dialingReconnector } from "./dialing-reconnector.ts";
import { PipeEndpoint, type PermanentPipeFailure } from "./endpoint.ts";
import type { ResumingReconnector } from "./handshake.ts";
import { pipeFactoryFor } from "./variants.ts";
import { PIPE_SIDES, totalBytes, type PipeSide, type PipeWorkload, type WriteStep } from "./workload.ts";

/** The server's listening port. */
export const PIPE_PORT = 7000;
/**
 * Host-local timeouts of one reconnection attempt. The handshake outlasts most
 * pauses of the peer, so a reconnection may complete in the burst of parked events
 * at the peer's resume, ahead of the late errors of the connection it replaces.
 */
const DIAL_TIMEOUT_MS = 500;
const HANDSHAKE_TIMEOUT_MS = 1500;
/** Attempts per reconnection, and the waits between them. */
const MAXIMUM_RECONNECT_ATTEMPTS = 8;
const CLIENT_BACKOFF_MS_BASE = 20;
const CLIENT_BACKOFF_MS_MAX = 400;
const SERVER_BACKOFF_MS = 5;
/** Wait before reconnecting a pipe whose reconnection gave up. */
const RETRY_DELAY_MS = 200;

/** One side's workload and what it has done so far. */
export interface SideState {
  readonly side: PipeSide;
  readonly steps: readonly WriteStep[];
  /** The bytes this side writes, in order. */
  readonly bytes: Uint8Array;
  /** Bytes handed to the pipe's write so far. */
  submitted: number;
  /** Bytes whose write resolved. */
  acknowledged: number;
  /** Bytes read from the peer, all checked. */
  received: number;
  writesDone: boolean;
  endpoint: PipeEndpoint | undefined;
  /** This side's pipe connections as the network and the reader observe them. */
  readonly lifecycle: ConnectionLifecycle;
}

/** The session's workload, the variant of the pipe under test, and what to do with a typed failure. */
export interface PipeSessionOptions {
  readonly workload: PipeWorkload;
  readonly variant: string | undefined;
  /** A typed failure surfaced to `side`'s user. */
  readonly onPermanentFailure: (side: PipeSide, failure: PermanentPipeFailure) => void;
}

/** Both hosts, their pipes and workloads (see the file's comment). */
export class PipeSession {
  readonly sides: Readonly<Record<PipeSide, SideState>>;
  readonly #context: ScenarioContext;
  readonly #options: PipeSessionOptions;
  #ended = false;
  #listener: Listener | undefined;
  #accepting: AcceptingReconnector | undefined;
  readonly #envs = new Map<PipeSide, Env>();

  /** Adds and starts both hosts. */
  constructor(context: ScenarioContext, options: PipeSessionOptions) {
    this.#context = context;
    this.#options = options;
    const sideState = (side: PipeSide): SideState => {
      const steps = options.workload.writes[side];
      const bytes = context.world.stream(`pipe/bytes/${side}`).bytes(totalBytes(steps));
      const lifecycle = new ConnectionLifecycle((invariant, details) =>
        this.#violate(invariant, side, `${side}: ${details}`),
      );
      return {
        side,
        steps,
        bytes,
        submitted: 0,
        acknowledged: 0,
        received: 0,
        writesDone: false,
        endpoint: undefined,
        lifecycle,
      };
    };
    this.sides = { client: sideState("client"), server: sideState("server") };
    context.world.addHost("server", (env) => this.#runServer(env)).start();
    context.world.addHost("client", (env) => this.#runClient(env)).start();
  }

  /** True once the session was ended (both pipes closed). */
  get ended(): boolean {
    return this.#ended;
  }

  peerOf(side: PipeSide): SideState {
    return this.sides[side === "client" ? "server" : "client"];
  }

  /** True when both sides wrote everything and read everything the other wrote. */
  delivered(): boolean {
    return PIPE_SIDES.every(
      (side) => this.sides[side].writesDone && this.sides[side].received === this.peerOf(side).bytes.length,
    );
  }

  /** Ends the session: closes both pipes and the listener. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const side of PIPE_SIDES) this.sides[side].endpoint?.close();
    this.#accepting?.close();
    this.#listener?.close();
  }

  /** The run ends: every connection a pipe let go of must be closed by now (pipe-connection-lifecycle.ts). */
  finishLifecycles(): void {
    for (const side of PIPE_SIDES) this.sides[side].lifecycle.finish();
  }

  /** Ends the session `delayMs` of `side`'s host-local time from now (at once for 0), as that side's user would. */
  endAfter(side: PipeSide, delayMs: number): void {
    const env = this.#envs.get(side);
    if (delayMs === 0 || env === undefined) this.end();
    else void env.clock.sleep(delayMs).then(() => this.end());
  }

  /** Workload figures for the run's report. */
  summary(): Record<string, number | string> {
    const figures: Record<string, number | string> = {};
    for (const side of PIPE_SIDES) {
      const state = this.sides[side];
      const pipe = state.endpoint?.pipe;
      figures[`${side}.written`] = `${state.acknowledged}/${state.bytes.length}`;
      figures[`${side}.read`] = `${state.received}/${this.peerOf(side).bytes.length}`;
      figures[`${side}.generation`] = pipe?.generation() ?? 0;
      figures[`${side}.staleErrorsIgnored`] = pipe?.staleGenerationErrorsIgnored() ?? 0;
      figures[`${side}.connectionsHanded`] = state.lifecycle.handed;
      for (const [name, value] of Object.entries(state.endpoint?.counters ?? {})) figures[`${side}.${name}`] = value;
    }
    return figures;
  }

  async #runServer(env: Env): Promise<void> {
    this.#envs.set("server", env);
    const listener = env.net.listen(PIPE_PORT);
    const accepting = new AcceptingReconnector(env, HANDSHAKE_TIMEOUT_MS);
    this.#listener = listener;
    this.#accepting = accepting;
    const endpoint = this.#endpoint(env, "server", accepting.reconnector, () => SERVER_BACKOFF_MS);
    await Promise.all([
      this.#acceptLoop(listener, accepting, endpoint),
      this.#writeAll(env, "server"),
      this.#readAll("server"),
    ]);
  }

  async #runClient(env: Env): Promise<void> {
    this.#envs.set("client", env);
    const reconnector = dialingReconnector({
      env,
      peer: "server",
      port: PIPE_PORT,
      dialTimeoutMs: DIAL_TIMEOUT_MS,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    });
    const backoff = (failedAttempts: number): number =>
      Math.min(CLIENT_BACKOFF_MS_BASE * 2 ** (failedAttempts - 1), CLIENT_BACKOFF_MS_MAX);
    const endpoint = this.#endpoint(env, "client", reconnector, backoff);
    await Promise.all([this.#forceReconnects(env, endpoint), this.#writeAll(env, "client"), this.#readAll("client")]);
  }

  #endpoint(
    env: Env,
    side: PipeSide,
    reconnector: ResumingReconnector,
    backoff: (failedAttempts: number) => number,
  ): PipeEndpoint {
    const endpoint = new PipeEndpoint({
      env,
      reconnector,
      bufferCapacityBytes: this.#options.workload.bufferCapacityBytes,
      createPipe: pipeFactoryFor(this.#context.variant),
      maximumReconnectAttempts: MAXIMUM_RECONNECT_ATTEMPTS,
      reconnectBackoffMs: backoff,
      retryDelayMs: RETRY_DELAY_MS,
      onPermanentFailure: (failure) => this.#options.onPermanentFailure(side, failure),
      onUnjustifiedDisconnect: (details) => this.#violate("pipe.no-reconnect-on-stale-error", side, details),
      lifecycle: this.sides[side].lifecycle,
    });
    this.sides[side].endpoint = endpoint;
    if (this.#ended) endpoint.close();
    else endpoint.start();
    return endpoint;
  }

  /** Hands every accepted connection to the server's pipe, until the listener closes. */
  async #acceptLoop(listener: Listener, accepting: AcceptingReconnector, endpoint: PipeEndpoint): Promise<void> {
    for (;;) {
      let raw: Connection;
      try {
        raw = await listener.accept();
      } catch (error) {
        if (error instanceof NetError) return;
        throw error;
      }
      if (this.#ended) {
        raw.reset();
        return;
      }
      accepting.offer(raw);
      endpoint.accepted();
    }
  }

  /** The client's forced reconnections: one after a pause in [1, max] ms, during the safety phase. */
  async #forceReconnects(env: Env, endpoint: PipeEndpoint): Promise<void> {
    const everyMsMax = this.#options.workload.forceReconnectEveryMsMax;
    if (everyMsMax === 0) return;
    const random = env.random.fork("force-reconnect");
    while (this.#context.phase() === "safety" && !this.#ended) {
      await env.clock.sleep(random.int(1, everyMsMax));
      if (this.#context.phase() === "safety") endpoint.forceReconnect();
    }
  }

  /** Writes this side's steps in order; pauses only during the safety phase. */
  async #writeAll(env: Env, side: PipeSide): Promise<void> {
    const state = this.sides[side];
    const pipe = (state.endpoint as PipeEndpoint).pipe;
    for (const step of state.steps) {
      if (step.pauseMs > 0 && this.#context.phase() === "safety") await env.clock.sleep(step.pauseMs);
      if (this.#ended) return;
      const chunk = state.bytes.subarray(state.submitted, state.submitted + step.bytes);
      state.submitted += step.bytes;
      try {
        await pipe.write(chunk);
      } catch (error) {
        if (error instanceof ErrPipeClosed) return;
        throw error;
      }
      state.acknowledged = state.submitted;
    }
    state.writesDone = true;
  }

  /** Reads until the pipe closes, checking every chunk against the peer's bytes. */
  async #readAll(side: PipeSide): Promise<void> {
    const state = this.sides[side];
    const peer = this.peerOf(side);
    const pipe = (state.endpoint as PipeEndpoint).pipe;
    for (;;) {
      const chunk = await pipe.read();
      if (chunk === null) return;
      state.lifecycle.delivered(chunk);
      const mismatch = describeMismatch(peer.bytes, peer.submitted, state.received, chunk);
      if (mismatch !== undefined) {
        this.#violate(
          "pipe.received-exact-prefix",
          side,
          `${side} read ${chunk.length} bytes at offset ${state.received}: ${mismatch}`,
        );
        return;
      }
      state.received += chunk.length;
    }
  }

  #violate(invariant: string, host: PipeSide, details: string): void {
    this.#context.world.violate({ invariant, kind: "safety", host, details });
  }
}
