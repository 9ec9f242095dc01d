/**
 * How the KV server refuses a request, on the wire and as typed values.
 *
 * A refusal travels as an RpcError of code APPLICATION whose `details` is a
 * KvRefusal. Its `code` says what the client may conclude:
 * - "not-leader": a redirect; `leader` is the leader the server knows of (or null).
 *   The command was not appended: retrying elsewhere is safe.
 * - "retry": the command was not appended (the leader's window was full, or the
 *   node was stopping before it took the command): retrying is safe.
 * - "outcome-unknown": the command was appended and may still commit
 *   (ErrLeadershipLost, ErrRaftShutdown in flight): it must not be retried blindly.
 * - "invalid": the request is malformed; it never ran.
 */
import { RpcError, type WireValue } from "../../sim/env.ts";

export type KvRefusalCode = "not-leader" | "retry" | "outcome-unknown" | "invalid";

/** The `details` of a refusal. */
export interface KvRefusal {
  readonly code: KvRefusalCode;
  readonly leader: string | null;
  readonly reason: string;
}

/** The RpcError a server throws to refuse a request. */
export function refusal(code: KvRefusalCode, reason: string, leader: string | null = null): RpcError {
  const details: KvRefusal = { code, leader, reason };
  return new RpcError("APPLICATION", `${code}: ${reason}`, details as unknown as WireValue);
}

/** The refusal an RpcError carries, if it is one. */
export function refusalOf(error: RpcError): KvRefusal | undefined {
  if (error.code !== "APPLICATION") return undefined;
  const details = error.details;
  if (typeof details !== "object" || details === null || Array.isArray(details) || details instanceof Uint8Array)
    return undefined;
  const record = details as Record<string, unknown>;
  const code = record.code;
  if (code !== "not-leader" && code !== "retry" && code !== "outcome-unknown" && code !== "invalid") return undefined;
  return {
    code,
    leader: typeof record.leader === "string" ? record.leader : null,
    reason: typeof record.reason === "string" ? record.reason : "",
  };
}
