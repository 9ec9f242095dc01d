/**
 * KvClient: finds the leader of the KV servers and runs one operation at a time
 * on it, within a per-operation timeout.
 *
 * It follows "not-leader" redirects, tries the next server when one is unreachable
 * or knows no leader, and backs off exponentially (env.clock.sleep, with jitter)
 * between attempts, at most `attemptsMax` attempts per operation.
 *
 * Outcomes, as a Jepsen history records them:
 * - "ok": the operation took effect (a cas that did not swap is ok with false);
 * - "fail": it certainly did not take effect (refused before it was appended, or a
 *   read that got no answer: reads change nothing, so they never need "info");
 * - "info": a write whose outcome is unknown (timeout, UNAVAILABLE,
 *   DEADLINE_EXCEEDED, ErrLeadershipLost). A write is never retried after a
 *   failure that leaves its outcome unknown, since it could then take effect twice.
 */
import { RpcError, type Env, type WireValue } from "../../sim/env.ts";
import { assert } from "../common/assert.ts";
import type { KvResponse } from "./commands.ts";
import { refusalOf } from "./errors.ts";
import { KV_PORT } from "./kv-server.ts";

/** The outcome of one operation (see the file's comment). */
export type KvOutcome<T> =
  | { readonly type: "ok"; readonly value: T }
  | { readonly type: "fail"; readonly reason: string }
  | { readonly type: "info"; readonly reason: string };

/** Options of a KvClient. */
export interface KvClientOptions {
  /** Addresses of the KV servers. */
  readonly servers: readonly string[];
  readonly port?: number;
  /** Host-local time one operation may take, retries included. Default 1000 ms. */
  readonly operationTimeoutMs?: number;
  /** Deadline of one RPC attempt (cut to what is left of the operation's time). Default 300 ms. */
  readonly callDeadlineMs?: number;
  /** Attempts per operation at most. Default 10. */
  readonly attemptsMax?: number;
  /** First backoff between attempts; it doubles up to `backoffMaxMs`. Default 10 ms. */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
}

type Attempt = { readonly kind: "done"; readonly outcome: KvOutcome<KvResponse> } | { readonly kind: "again"; readonly wait: boolean };

/** A client of the KV service (see the file's comment). One operation at a time. */
export class KvClient {
  private leaderHint: string | undefined;
  private nextServer = 0;
  private nextId = 1;
  private busy = false;
  private lastId: string | undefined;
  private readonly options: Required<KvClientOptions>;

  constructor(
    private readonly env: Env,
    options: KvClientOptions,
  ) {
    assert(options.servers.length > 0, "a KvClient needs at least one server");
    this.options = { port: KV_PORT, operationTimeoutMs: 1_000, callDeadlineMs: 300, attemptsMax: 10, backoffMs: 10, backoffMaxMs: 200, ...options };
    assert(this.options.attemptsMax > 0, "attemptsMax must be positive");
  }

  /** The value of `key` (null: absent). */
  async get(key: string): Promise<KvOutcome<string | null>> {
    return mapOk(await this.run("get", { key }), (response) => response.value);
  }

  /** Sets `key` to `value`. */
  async put(key: string, value: string): Promise<KvOutcome<null>> {
    return mapOk(await this.run("put", { key, value }), () => null);
  }

  /** Sets `key` to `next` if it holds `expected` (null: absent); ok with whether it swapped. */
  async cas(key: string, expected: string | null, next: string): Promise<KvOutcome<boolean>> {
    return mapOk(await this.run("cas", { key, expected, next }), (response) => response.swapped);
  }

  /** The id of the command the last operation sent (as the FSM's observer sees it). */
  get lastCommandId(): string | undefined {
    return this.lastId;
  }

  /** The leader this client last heard of. */
  get leader(): string | undefined {
    return this.leaderHint;
  }

  private async run(kind: "get" | "put" | "cas", fields: Record<string, WireValue>): Promise<KvOutcome<KvResponse>> {
    assert(!this.busy, "a KvClient runs one operation at a time");
    this.busy = true;
    try {
      this.lastId = `${this.env.host}/${this.env.lifetime.incarnation}/${this.nextId++}`;
      const request = { ...fields, id: this.lastId };
      const deadline = this.env.clock.monotonic() + this.options.operationTimeoutMs;
      for (let attempt = 0; attempt < this.options.attemptsMax; attempt++) {
        const remaining = deadline - this.env.clock.monotonic();
        if (remaining <= 0) break;
        const result = await this.attempt(kind, request, Math.min(this.options.callDeadlineMs, remaining));
        if (result.kind === "done") return result.outcome;
        if (result.wait) await this.env.clock.sleep(this.backoff(attempt));
      }
      return { type: "fail", reason: "no attempt reached a leader in time" };
    } finally {
      this.busy = false;
    }
  }

  private async attempt(kind: "get" | "put" | "cas", request: Record<string, WireValue>, deadlineMs: number): Promise<Attempt> {
    const target = this.target();
    try {
      const reply = (await this.env.rpc.call(target, this.options.port, `kv.${kind}`, request, { deadlineMs })) as { value: string | null; swapped: boolean };
      this.leaderHint = target;
      return { kind: "done", outcome: { type: "ok", value: { value: reply.value, swapped: reply.swapped } } };
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      return this.classify(kind, target, error);
    }
  }

  private classify(kind: "get" | "put" | "cas", target: string, error: RpcError): Attempt {
    const refused = refusalOf(error);
    if (refused?.code === "not-leader") {
      const fresh = refused.leader !== null && refused.leader !== target;
      this.leaderHint = fresh ? (refused.leader as string) : undefined;
      return { kind: "again", wait: !fresh };
    }
    if (refused?.code === "retry") return { kind: "again", wait: true };
    if (refused?.code === "invalid") return { kind: "done", outcome: { type: "fail", reason: error.message } };
    this.leaderHint = undefined;
    // A dial that was refused never delivered the request: the command certainly did not run.
    if (error.code === "UNAVAILABLE" && error.message.includes("ECONNREFUSED")) return { kind: "again", wait: true };
    const unknown = refused?.code === "outcome-unknown" || error.outcomeUnknown || error.code === "INTERNAL";
    // A read changes nothing: it may always be tried again.
    if (unknown && kind !== "get") return { kind: "done", outcome: { type: "info", reason: error.message } };
    return { kind: "again", wait: true };
  }

  private target(): string {
    if (this.leaderHint !== undefined) return this.leaderHint;
    const servers = this.options.servers;
    const server = servers[this.nextServer % servers.length] as string;
    this.nextServer++;
    return server;
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.options.backoffMaxMs, this.options.backoffMs * 2 ** attempt);
    return base / 2 + this.env.random.float(0, base / 2);
  }
}

function mapOk<T>(outcome: KvOutcome<KvResponse>, map: (response: KvResponse) => T): KvOutcome<T> {
  return outcome.type === "ok" ? { type: "ok", value: map(outcome.value) } : outcome;
}
