/**
 * LeaderCaller: finds the leader of a replicated service and makes one call on it,
 * within an operation timeout, as the KV and dqlite clients need.
 *
 * It follows redirects, tries the next server when one is unreachable or knows no
 * leader, and backs off exponentially (env.clock.sleep, with jitter) between
 * attempts, at most `attemptsMax` attempts per operation.
 *
 * With `probe` (go-dqlite's connector), a client that does not know the leader,
 * or lost it (the leader's call failed or it refused without naming another), asks
 * every server at once who leads, and calls the first server that answers that it
 * leads itself (or the one they name, once it confirms, unless its own call just
 * failed in transit: the others may not have noticed yet); only when no probe
 * finds a leader does it fall back to trying servers in turn. So a dead or cut-off
 * leader costs one call deadline, not one per retry that picks it again. Trying
 * servers in turn (without a probe, or when it found none) skips the server whose
 * call just failed in transit, for the same reason.
 *
 * Outcomes, as a Jepsen history records them:
 * - "ok": the call returned a value;
 * - "fail": it certainly did not take effect (refused, or every attempt failed
 *   before reaching a leader);
 * - "info": its outcome is unknown (a timeout or broken connection after the
 *   request left, or the service said so). A call that is not idempotent is never
 *   retried after such a failure, since it could then take effect twice.
 */
import { RpcError, type Env, type WireValue } from "../../sim/env.ts";
import { assert } from "../../sim/assert.ts";

/** What the service's refusal means, as its client library reads it. */
export type Refusal =
  | { readonly kind: "redirect"; readonly leader: string | null }
  | { readonly kind: "retry" }
  | { readonly kind: "fail" }
  | { readonly kind: "unknown" };

export type CallOutcome =
  | { readonly type: "ok"; readonly value: WireValue; readonly server: string }
  | { readonly type: "fail"; readonly reason: string; readonly error: RpcError | undefined }
  | { readonly type: "info"; readonly reason: string; readonly error: RpcError | undefined };

export interface LeaderCallerOptions {
  /** Addresses of the servers. */
  readonly servers: readonly string[];
  readonly port: number;
  /** Host-local time one operation may take, retries included. Default 1000 ms. */
  readonly operationTimeoutMs?: number;
  /** Deadline of one RPC attempt (cut to what is left of the operation's time). Default 300 ms. */
  readonly callDeadlineMs?: number;
  /** Attempts per operation at most. Default 10. */
  readonly attemptsMax?: number;
  /** First backoff between attempts; it doubles up to `backoffMaxMs`. Default 10 ms. */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
  /** Probe for the leader when it is unknown (see the file's comment). */
  readonly probe?: LeaderProbe;
  /** How servers are tried in turn when no leader is known. Default `skipUnreachable`. */
  readonly rotation?: ServerRotation;
}

/**
 * Picks the server to try when no leader is known: `turn` counts the turns taken so
 * far, `unreachable` is the server whose call just failed in transit (if any). It
 * answers the server and the turn to go on from.
 */
export type ServerRotation = (
  servers: readonly string[],
  turn: number,
  unreachable: string | undefined,
) => { readonly server: string; readonly nextTurn: number };

/**
 * The next server in turn, skipping the one whose call just failed in transit
 * (another failing in transit takes its place, and any success clears it): while
 * the others answer, a new leader among them is found within a backoff instead of
 * after another call deadline spent on it, as clientv3's balancer skips a subconn in
 * transient failure.
 */
export const skipUnreachable: ServerRotation = (servers, turn, unreachable) => {
  const server = servers[turn % servers.length] as string;
  if (server !== unreachable || servers.length === 1) return { server, nextTurn: turn + 1 };
  return { server: servers[(turn + 1) % servers.length] as string, nextTurn: turn + 2 };
};

/** The service's "who leads?" request: `method` answers `{ leader: address | null }`. */
export interface LeaderProbe {
  readonly method: string;
  /** Deadline of one probe (cut to what is left of the operation's time). Default: callDeadlineMs. */
  readonly deadlineMs?: number;
}

/** Servers a probe asks at once at most (go-dqlite's ConcurrentLeaderConns default is 10). */
export const LEADER_PROBES_AT_ONCE_MAX = 10;

/** One operation's own timing, instead of the caller's options (a field left out keeps the option). */
export interface CallTiming {
  /** Host-local time this operation may take, retries included. */
  readonly operationTimeoutMs?: number;
}

/** How one attempt reaches `target` within `deadlineMs`; resolves with the answer or rejects with an RpcError. */
export type Invoke = (target: string, deadlineMs: number) => Promise<WireValue>;

type Attempt =
  | { readonly kind: "done"; readonly outcome: CallOutcome }
  | { readonly kind: "again"; readonly wait: boolean };

/** Finds the leader and calls it (see the file's comment). */
export class LeaderCaller {
  private leaderHint: string | undefined;
  /** The server whose last call failed in transit: a probe that hears it named does not wait on it again. */
  private unreachable: string | undefined;
  private nextServer = 0;
  private readonly options: Required<Omit<LeaderCallerOptions, "probe">>;
  private readonly probe: LeaderProbe | undefined;

  constructor(
    private readonly env: Env,
    options: LeaderCallerOptions,
    /**
     * Reads a service refusal (an APPLICATION RpcError) to a call that is or is not idempotent; undefined for anything
     * else.
     */
    private readonly refusalOf: (error: RpcError, idempotent: boolean) => Refusal | undefined,
  ) {
    assert(options.servers.length > 0, "a client needs at least one server");
    const { probe, ...rest } = options;
    this.options = {
      operationTimeoutMs: 1_000,
      callDeadlineMs: 300,
      attemptsMax: 10,
      backoffMs: 10,
      backoffMaxMs: 200,
      rotation: skipUnreachable,
      ...rest,
    };
    this.probe = probe;
    assert(this.options.attemptsMax > 0, "attemptsMax must be positive");
  }

  /** The leader this client last heard of. */
  get leader(): string | undefined {
    return this.leaderHint;
  }

  /**
   * Calls `method` on the leader; `idempotent` calls are retried even after an
   * unknown outcome. `invoke` replaces the unary call of each attempt (a caller that
   * opens a stream instead); it names `method` only for what it reports.
   */
  async call(
    method: string,
    request: WireValue,
    idempotent: boolean,
    timing: CallTiming = {},
    invoke?: Invoke,
  ): Promise<CallOutcome> {
    const deadline = this.env.clock.monotonic() + (timing.operationTimeoutMs ?? this.options.operationTimeoutMs);
    const once: Invoke =
      invoke ?? ((target, deadlineMs) => this.env.rpc.call(target, this.options.port, method, request, { deadlineMs }));
    for (let attempt = 0; attempt < this.options.attemptsMax; attempt++) {
      const remaining = deadline - this.env.clock.monotonic();
      if (remaining <= 0) break;
      const result = await this.attempt(once, idempotent, Math.min(this.options.callDeadlineMs, remaining));
      if (result.kind === "done") return result.outcome;
      if (result.wait) await this.env.clock.sleep(this.backoff(attempt));
    }
    return { type: "fail", reason: "no attempt reached a leader in time", error: undefined };
  }

  private async attempt(once: Invoke, idempotent: boolean, deadlineMs: number): Promise<Attempt> {
    if (this.leaderHint === undefined && this.probe !== undefined) {
      const found = await this.probeLeader(Math.min(this.probe.deadlineMs ?? this.options.callDeadlineMs, deadlineMs));
      if (found !== undefined) this.leaderHint = found;
    }
    const target = this.target();
    try {
      const value = await once(target, deadlineMs);
      this.leaderHint = target;
      this.unreachable = undefined;
      return { kind: "done", outcome: { type: "ok", value, server: target } };
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      return this.classify(target, error, idempotent);
    }
  }

  private classify(target: string, error: RpcError, idempotent: boolean): Attempt {
    const refused = this.refusalOf(error, idempotent);
    if (refused?.kind === "redirect") {
      const fresh = refused.leader !== null && refused.leader !== target;
      this.leaderHint = fresh ? (refused.leader as string) : undefined;
      return { kind: "again", wait: !fresh };
    }
    if (refused?.kind === "retry") return { kind: "again", wait: true };
    if (refused?.kind === "fail") return { kind: "done", outcome: { type: "fail", reason: error.message, error } };
    if (refused?.kind === "unknown") return { kind: "done", outcome: { type: "info", reason: error.message, error } };
    this.leaderHint = undefined;
    this.unreachable = target;
    // A dial that was refused never delivered the request: the call certainly did not run.
    if (error.code === "UNAVAILABLE" && error.message.includes("ECONNREFUSED")) return { kind: "again", wait: true };
    const unknown = error.outcomeUnknown || error.code === "INTERNAL";
    if (unknown && !idempotent) return { kind: "done", outcome: { type: "info", reason: error.message, error } };
    return { kind: "again", wait: true };
  }

  /**
   * Asks up to LEADER_PROBES_AT_ONCE_MAX servers at once who leads; resolves with
   * the first that answers it leads itself, else with a leader they named once it
   * confirms, else undefined.
   */
  private async probeLeader(deadlineMs: number): Promise<string | undefined> {
    const probe = this.probe as LeaderProbe;
    const ask = async (server: string): Promise<string | null | undefined> => {
      try {
        const reply = await this.env.rpc.call(server, this.options.port, probe.method, {}, { deadlineMs });
        const leader = (reply as { leader?: unknown } | null)?.leader;
        return typeof leader === "string" ? leader : null;
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        return undefined;
      }
    };
    const servers = this.options.servers.slice(0, LEADER_PROBES_AT_ONCE_MAX);
    const named = new Set<string>();
    const confirmed = await new Promise<string | undefined>((resolve, reject) => {
      let pending = servers.length;
      for (const server of servers) {
        ask(server).then((leader) => {
          if (leader === server) resolve(server);
          else if (typeof leader === "string") named.add(leader);
          if (--pending === 0) resolve(undefined);
        }, reject);
      }
    });
    if (confirmed !== undefined) return confirmed;
    // No server said it leads: ask the ones they named (in a stable order), but not
    // the one whose call just failed in transit: the others may not have noticed yet.
    named.delete(this.unreachable as string);
    for (const candidate of [...named].sort()) {
      if ((await ask(candidate)) === candidate) return candidate;
    }
    return undefined;
  }

  /** The leader we know of, else the rotation's next server. */
  private target(): string {
    if (this.leaderHint !== undefined) return this.leaderHint;
    const { server, nextTurn } = this.options.rotation(this.options.servers, this.nextServer, this.unreachable);
    this.nextServer = nextTurn;
    return server;
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.options.backoffMaxMs, this.options.backoffMs * 2 ** attempt);
    return base / 2 + this.env.random.float(0, base / 2);
  }
}
