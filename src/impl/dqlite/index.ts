/**
 * dqlite: Raft-replicated SQLite (go-dqlite's replication state machine) on the
 * project's Raft, with real SQLite (wa-sqlite) on each host's simulated disk.
 * See types.ts for how the parts fit; the FSM follows go-dqlite's replication
 * package (its Apply, Snapshot and Restore, and the leader's WAL hooks).
 */
export { DqliteClient } from "./client/client.ts";
export type { DqliteClientOptions, ExecReply, Param, Transaction } from "./client/client.ts";
export {
  DqliteError,
  ErrInvalidRequest,
  ErrNoLeader,
  ErrOutcomeUnknown,
  ErrSqlite,
  ErrTransactionAborted,
} from "./errors.ts";
export { DqliteNode, DQLITE_PORT, CHECKPOINT_THRESHOLD_FRAMES } from "./node/dqlite-node.ts";
export type { DqliteNodeOptions, DqliteNodeParts } from "./node/dqlite-node.ts";
export { DqliteServer } from "./node/server.ts";
export { runDqliteServer } from "./node/run-server.ts";
export type { RunningDqliteServer } from "./node/run-server.ts";
export type { SqliteModuleFactory } from "./sqlite/module.ts";
export { PAGE_SIZE } from "./types.ts";
export { LeaderMethods } from "./leader/methods.ts";
export type { DatabaseLeader, MethodsHost } from "./leader/methods.ts";
export { SQLITE_OK, WalCapture } from "./leader/wal-capture.ts";
export type { CaptureHooks } from "./leader/wal-capture.ts";
export { DqliteFsm } from "./fsm/fsm.ts";
export type { DqliteFsmOptions } from "./fsm/fsm.ts";
export { DiskDatabaseFiles, DiskDatabaseStore } from "./wal/database-files.ts";
export type { DatabaseFilesInit, DatabaseStoreOptions, WalChainState } from "./wal/database-files.ts";
