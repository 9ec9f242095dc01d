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
import type { Env, RpcError, WireValue } from "../../sim/env.ts";
import { assert } from "../../sim/assert.ts";
import { LeaderCaller, type Refusal } from "../common/leader-caller.ts";
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

/** A client of the KV service (see the file's comment). One operation at a time. */
export class KvClient {
  private nextId = 1;
  private busy = false;
  private lastId: string | undefined;
  private readonly caller: LeaderCaller;

  constructor(
    private readonly env: Env,
    options: KvClientOptions,
  ) {
    assert(options.servers.length > 0, "a KvClient needs at least one server");
    this.caller = new LeaderCaller(env, { ...options, port: options.port ?? KV_PORT }, readRefusal);
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
    return this.caller.leader;
  }

  private async run(kind: "get" | "put" | "cas", fields: Record<string, WireValue>): Promise<KvOutcome<KvResponse>> {
    assert(!this.busy, "a KvClient runs one operation at a time");
    this.busy = true;
    try {
      this.lastId = `${this.env.host}/${this.env.lifetime.incarnation}/${this.nextId++}`;
      const outcome = await this.caller.call(`kv.${kind}`, { ...fields, id: this.lastId }, kind === "get");
      if (outcome.type !== "ok") return { type: outcome.type, reason: outcome.reason };
      const reply = outcome.value as { value: string | null; swapped: boolean };
      return { type: "ok", value: { value: reply.value, swapped: reply.swapped } };
    } finally {
      this.busy = false;
    }
  }
}

/** A read changes nothing: even a refusal that says "outcome unknown" may be tried again. */
function readRefusal(error: RpcError, read: boolean): Refusal | undefined {
  const refused = refusalOf(error);
  switch (refused?.code) {
    case undefined:
      return undefined;
    case "not-leader":
      return { kind: "redirect", leader: refused.leader };
    case "retry":
      return { kind: "retry" };
    case "invalid":
      return { kind: "fail" };
    case "outcome-unknown":
      return read ? { kind: "retry" } : { kind: "unknown" };
  }
}

function mapOk<T>(outcome: KvOutcome<KvResponse>, map: (response: KvResponse) => T): KvOutcome<T> {
  return outcome.type === "ok" ? { type: "ok", value: map(outcome.value) } : outcome;
}
