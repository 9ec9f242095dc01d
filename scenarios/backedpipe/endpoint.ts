/**
 * PipeEndpoint: one side's BackedPipe, wired to its host the way an application
 * would wire it: probes go to `env.probe`, reconnect backoff sleeps on
 * `env.clock.sleep`, and a reconnection that gave up is retried after a delay
 * until the pipe is closed. It also watches the pipe for the scenario:
 * - a typed failure that no retry can fix (the peer wants bytes evicted from the
 *   ring buffer, or bytes never written) is surfaced to the user, never retried;
 * - every disconnect must be caused by a failure of the current connection: a
 *   pipe that drops a connection that has not failed acted on a stale error;
 * - the connections it hands the pipe, and what becomes of them, go to a
 *   ConnectionLifecycle (pipe-connection-lifecycle.ts).
 */
import {
  BackedPipeError,
  ErrFutureSequence,
  ErrPipeAlreadyConnected,
  ErrPipeClosed,
  ErrReconnectionInProgress,
  ErrReconnectWriterFailed,
  ErrReplayDataUnavailable,
} from "../../src/impl/backedpipe/index.ts";
import type { BackedPipe } from "../../src/impl/backedpipe/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { ConnectionLifecycle } from "./connection-lifecycle.ts";
import type { ResumingReconnector } from "./handshake.ts";
import type { ResumedConnection } from "./resumed-connection.ts";
import type { PipeFactory } from "./variants.ts";

/** A failure no retry can fix, as the writer reported it. */
export type PermanentPipeFailure = ErrReplayDataUnavailable | ErrFutureSequence;

/** How an endpoint builds and supervises its pipe. */
export interface PipeEndpointOptions {
  readonly env: Env;
  readonly reconnector: ResumingReconnector;
  readonly bufferCapacityBytes: number;
  readonly createPipe: PipeFactory;
  /** Attempts per reconnection. */
  readonly maximumReconnectAttempts: number;
  /** Host-local milliseconds to wait after `failedAttempts` failed attempts. */
  readonly reconnectBackoffMs: (failedAttempts: number) => number;
  /** Host-local milliseconds to wait before reconnecting a pipe whose reconnection gave up. */
  readonly retryDelayMs: number;
  /** The typed failure surfaced to the user; the endpoint stops reconnecting. */
  readonly onPermanentFailure: (failure: PermanentPipeFailure) => void;
  /** The pipe dropped a connection that had not failed. */
  readonly onUnjustifiedDisconnect: (details: string) => void;
  /** Watches the connections handed to the pipe and what became of them. */
  readonly lifecycle: ConnectionLifecycle;
}

/** What an endpoint saw, for the scenario's summary. */
export interface PipeEndpointCounters {
  disconnects: number;
  reconnectionsGivenUp: number;
  forcedReconnects: number;
  staleErrorsWhileConnected: number;
}

/** One side's pipe, its supervision, and what it saw (see the file's comment). */
export class PipeEndpoint {
  readonly pipe: BackedPipe;
  readonly counters: PipeEndpointCounters = {
    disconnects: 0,
    reconnectionsGivenUp: 0,
    forcedReconnects: 0,
    staleErrorsWhileConnected: 0,
  };
  readonly #options: PipeEndpointOptions;
  #current: ResumedConnection | undefined;
  #retryScheduled = false;
  #stopped = false;

  constructor(options: PipeEndpointOptions) {
    this.#options = options;
    const { env } = options;
    this.pipe = options.createPipe({
      reconnector: async (readerSequenceNumber, signal) => {
        options.lifecycle.attemptStarting();
        const result = await options.reconnector(readerSequenceNumber, signal);
        this.#current = result.connection;
        return {
          connection: options.lifecycle.watch(result.connection),
          peerReaderSequenceNumber: result.peerReaderSequenceNumber,
        };
      },
      bufferCapacityBytes: options.bufferCapacityBytes,
      maximumReconnectAttempts: options.maximumReconnectAttempts,
      reconnectBackoffMs: options.reconnectBackoffMs,
      sleep: (durationMs) => env.clock.sleep(durationMs),
      probe: (name) => env.probe(name),
      buggify: (point, options) => env.buggify(point, options),
      onDisconnected: () => this.#disconnected(),
      onStaleGenerationError: () => {
        if (this.pipe.state() !== "connected") return;
        this.counters.staleErrorsWhileConnected += 1;
        env.probe("pipe.stale-error-while-connected");
      },
      onReconnectFailed: (error) => this.#recover(error),
    });
  }

  /** Makes the first connection (retrying until it succeeds or the endpoint stops). */
  start(): void {
    this.#ensureConnected();
  }

  /** Replaces a healthy connection now (as Coder's ForceReconnect); ignored unless connected. */
  forceReconnect(): void {
    if (this.#stopped || this.pipe.state() !== "connected") return;
    this.counters.forcedReconnects += 1;
    this.pipe.forceReconnect().catch((error: unknown) => this.#recover(error));
  }

  /** The listening side accepted a connection: the dialer has abandoned the current one. */
  accepted(): void {
    if (this.#stopped) return;
    const state = this.pipe.state();
    if (state === "connected") {
      this.#options.env.probe("pipe.listener-replaces-connection");
      this.pipe.forceReconnect().catch((error: unknown) => this.#recover(error));
    } else if (state === "disconnected") {
      this.#ensureConnected();
    }
    // While reconnecting, the running or next attempt takes the offered connection.
  }

  /** Stops reconnecting and closes the pipe. Idempotent. */
  close(): void {
    this.#stopped = true;
    this.pipe.close();
    this.#options.lifecycle.pipeClosed();
  }

  #disconnected(): void {
    this.counters.disconnects += 1;
    const current = this.#current;
    if (current !== undefined && !current.failed) {
      this.#options.onUnjustifiedDisconnect(
        `the pipe dropped its generation ${this.pipe.generation()} connection, which had not failed ` +
          `(${this.pipe.staleGenerationErrorsIgnored()} stale errors ignored so far)`,
      );
    }
  }

  #ensureConnected(): void {
    if (this.#stopped || this.pipe.state() !== "disconnected") return;
    this.pipe.connect().catch((error: unknown) => this.#recover(error));
  }

  /** A reconnection failed: surface a permanent failure, retry any other. */
  #recover(error: unknown): void {
    if (!(error instanceof BackedPipeError)) throw error;
    if (
      error instanceof ErrPipeClosed ||
      error instanceof ErrReconnectionInProgress ||
      error instanceof ErrPipeAlreadyConnected
    )
      return;
    this.#options.lifecycle.reconnectionFailed(error);
    if (this.#stopped) return;
    const permanent = permanentCause(error);
    if (permanent !== undefined) {
      this.#stopped = true;
      // Point names are literals, so that the coverage registry finds them.
      if (permanent instanceof ErrReplayDataUnavailable)
        this.#options.env.probe("pipe.surfaced.replay-data-unavailable");
      else this.#options.env.probe("pipe.surfaced.future-sequence");
      this.#options.onPermanentFailure(permanent);
      return;
    }
    this.counters.reconnectionsGivenUp += 1;
    if (this.#retryScheduled) return;
    this.#retryScheduled = true;
    void this.#options.env.clock.sleep(this.#options.retryDelayMs).then(() => {
      this.#retryScheduled = false;
      this.#ensureConnected();
    });
  }
}

/** The writer's typed refusal inside a failed reconnection, if it is one no retry can fix. */
export function permanentCause(error: BackedPipeError): PermanentPipeFailure | undefined {
  if (!(error instanceof ErrReconnectWriterFailed)) return undefined;
  const cause = error.cause;
  return cause instanceof ErrReplayDataUnavailable || cause instanceof ErrFutureSequence ? cause : undefined;
}
