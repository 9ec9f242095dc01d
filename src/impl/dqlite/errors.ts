/**
 * How a dqlite node refuses a request, on the wire and as typed client errors.
 *
 * A refusal travels as an RpcError of code APPLICATION whose `details` is a
 * DqliteRefusal. Its `code` says what the client may conclude:
 * - "not-leader": a redirect (`leader` is the leader the server knows of, or null);
 *   nothing was done: retrying elsewhere is safe.
 * - "retry": the statement certainly did not commit (the leader was not ready, its
 *   Raft window was full, or the transaction was aborted before its commit frames
 *   were proposed): retrying is safe.
 * - "outcome-unknown": the commit frames were appended to the Raft log and leadership
 *   was lost before they were applied (go-dqlite's ErrLeadershipLost): the commit may
 *   still happen. Never reported as failed; never retried blindly.
 * - "sqlite": SQLite refused the statement (constraint, syntax, busy, I/O error from
 *   the disk...); `sqliteCode` is its result code. Nothing was committed.
 * - "session-unknown": the interactive transaction does not exist (it expired, or the
 *   node lost leadership and rolled it back).
 * - "invalid": the request is malformed; it never ran.
 */
import { RpcError, type WireValue } from "../../sim/env.ts";

export type DqliteRefusalCode = "not-leader" | "retry" | "outcome-unknown" | "sqlite" | "session-unknown" | "invalid";

const REFUSAL_CODES: readonly string[] = [
  "not-leader",
  "retry",
  "outcome-unknown",
  "sqlite",
  "session-unknown",
  "invalid",
];

/** The `details` of a refusal. */
export interface DqliteRefusal {
  readonly code: DqliteRefusalCode;
  readonly reason: string;
  readonly leader: string | null;
  /** SQLite's result code, for "sqlite". */
  readonly sqliteCode: number | null;
  /** The transaction whose commit is unknown, for "outcome-unknown". */
  readonly txid: number | null;
}

/** The RpcError a server throws to refuse a request. */
export function refusal(
  code: DqliteRefusalCode,
  reason: string,
  extra: Partial<Omit<DqliteRefusal, "code" | "reason">> = {},
): RpcError {
  const details: DqliteRefusal = {
    code,
    reason,
    leader: extra.leader ?? null,
    sqliteCode: extra.sqliteCode ?? null,
    txid: extra.txid ?? null,
  };
  return new RpcError("APPLICATION", `${code}: ${reason}`, details as unknown as WireValue);
}

/** The refusal an RpcError carries, if it is one. */
export function refusalOf(error: RpcError): DqliteRefusal | undefined {
  if (error.code !== "APPLICATION") return undefined;
  const details = error.details;
  if (typeof details !== "object" || details === null || Array.isArray(details) || details instanceof Uint8Array)
    return undefined;
  const record = details as Record<string, unknown>;
  const code = record.code;
  if (typeof code !== "string" || !REFUSAL_CODES.includes(code)) return undefined;
  return {
    code: code as DqliteRefusalCode,
    reason: typeof record.reason === "string" ? record.reason : "",
    leader: typeof record.leader === "string" ? record.leader : null,
    sqliteCode: typeof record.sqliteCode === "number" ? record.sqliteCode : null,
    txid: typeof record.txid === "number" ? record.txid : null,
  };
}

/** Base of the client's typed errors. */
export abstract class DqliteError extends Error {
  /** True when the write may have committed (never report such a write as failed). */
  abstract readonly outcomeUnknown: boolean;
}

/** No leader could be reached within the operation's time or attempts; nothing was committed by this call. */
export class ErrNoLeader extends DqliteError {
  override readonly name = "ErrNoLeader";
  readonly outcomeUnknown = false;
}

/**
 * The commit may or may not have happened (go-dqlite's ErrLeadershipLost seen by a
 * client, or a timeout after the request was sent).
 */
export class ErrOutcomeUnknown extends DqliteError {
  override readonly name = "ErrOutcomeUnknown";
  readonly outcomeUnknown = true;
  constructor(
    message: string,
    readonly txid: number | undefined,
  ) {
    super(message);
  }
}

/** SQLite refused the statement; nothing of it was committed. */
export class ErrSqlite extends DqliteError {
  override readonly name = "ErrSqlite";
  readonly outcomeUnknown = false;
  constructor(
    message: string,
    readonly sqliteCode: number,
  ) {
    super(message);
  }
}

/**
 * The interactive transaction was rolled back by the server (expired, or leadership moved); nothing of it was
 * committed.
 */
export class ErrTransactionAborted extends DqliteError {
  override readonly name = "ErrTransactionAborted";
  readonly outcomeUnknown = false;
}

/** The request was malformed (a bug in the caller). */
export class ErrInvalidRequest extends DqliteError {
  override readonly name = "ErrInvalidRequest";
  readonly outcomeUnknown = false;
}
