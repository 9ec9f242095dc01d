/**
 * BMDB: Monogon's bare-metal database layer (seed 003: sessions with heartbeats
 * and expiry, work locking with history and backoff) on this project's
 * Raft-replicated SQLite (src/impl/dqlite) instead of CockroachDB.
 */
export {
  Connection,
  DEFAULT_SESSION_RULES,
  Session,
  Work,
  LEASE_MARGIN_MS,
  SESSION_INTERVAL_SECONDS_DEFAULT,
  TRANSACT_ATTEMPTS_MAX,
} from "./session.ts";
export type { ConnectionOptions, SessionOptions, SessionRules, TransactFn } from "./session.ts";
export {
  BmdbError,
  ErrNothingToDo,
  ErrSessionExpired,
  ErrTransactionFailed,
  ErrWorkAlreadyDone,
  ErrWorkConflict,
} from "./errors.ts";
export { BmdbMetrics } from "./metrics.ts";
export type { ProcessorRecorder, ProcessRecorder, WorkResult } from "./metrics.ts";
export { MIGRATIONS, Queries } from "./model.ts";
export type { HistoryRow, WorkBackoffRow, WorkHistoryEvent } from "./model.ts";
export { nextBackoffSeconds } from "./backoff.ts";
export type { Backoff, ExistingBackoff } from "./backoff.ts";
export { BMDB_BUGGIFY_POINTS } from "./buggify-points.ts";
export type { BmdbBuggifyPoint } from "./buggify-points.ts";
