/**
 * Status: the response status of every Gazette RPC (protocol.proto `enum Status`),
 * carried on the wire by name. Numbers are Gazette's, for reference; SUSPENDED and
 * FRAGMENT_STORE_UNHEALTHY come from later Gazette releases than the seed's v0.89.
 */
import { ValidationError } from "./validation.ts";

export const STATUS_NUMBERS = {
  OK: 0,
  /** The named journal does not exist. */
  JOURNAL_NOT_FOUND: 1,
  /** There is no current primary broker for the journal (temporary). */
  NO_JOURNAL_PRIMARY_BROKER: 2,
  /** The present broker is not the assigned primary broker for the journal. */
  NOT_JOURNAL_PRIMARY_BROKER: 3,
  /** There are too few assigned brokers for the journal's replication. */
  INSUFFICIENT_JOURNAL_BROKERS: 4,
  /** The present broker is not an assigned broker for the journal. */
  NOT_JOURNAL_BROKER: 5,
  /** The requested offset is not yet available (non-blocking reads only). */
  OFFSET_NOT_YET_AVAILABLE: 6,
  /** The peer disagrees with the Route accompanying a ReplicateRequest. */
  WRONG_ROUTE: 7,
  /** The peer disagrees with the proposal accompanying a ReplicateRequest. */
  PROPOSAL_MISMATCH: 8,
  /** The Etcd transaction failed (an expect_mod_revision did not match). */
  ETCD_TRANSACTION_FAILED: 9,
  /** A disallowed journal access was attempted (eg, a write to a read-only journal). */
  NOT_ALLOWED: 10,
  /** The Append's requested offset is not the journal's furthest written offset. */
  WRONG_APPEND_OFFSET: 11,
  /** The replication pipeline tracks a smaller offset than the remote fragment index. */
  INDEX_HAS_GREATER_OFFSET: 12,
  /** A check_registers selector did not match the journal's registers. */
  REGISTER_MISMATCH: 13,
  /** The journal is suspended (later Gazette). */
  SUSPENDED: 14,
  /** The journal's fragment store is unhealthy; appends are refused (later Gazette). */
  FRAGMENT_STORE_UNHEALTHY: 15,
} as const;

export type Status = keyof typeof STATUS_NUMBERS;

export const STATUSES = Object.keys(STATUS_NUMBERS) as Status[];

export function isStatus(value: unknown): value is Status {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(STATUS_NUMBERS, value);
}

/** Status.Validate. */
export function validateStatus(status: string): asserts status is Status {
  if (!isStatus(status)) throw new ValidationError(`invalid status (${status})`);
}
