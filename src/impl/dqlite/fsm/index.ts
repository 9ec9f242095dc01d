/**
 * The dqlite replication FSM (go-dqlite's replication.FSM, seed 001): the command
 * codec, transactions, the registry shared with the leader's replication code, the
 * FSM itself and its snapshot format.
 */
export {
  decodeCommand,
  encodeCommand,
  commandProblem,
  databaseNameProblem,
  PAGE_SIZE_MAX,
  PAGE_SIZE_MIN,
} from "./commands.ts";
export { COMMITTED_TXN_IDS_MAX } from "./committed-ring.ts";
export { ErrCommandMalformed, ErrSnapshotMalformed, ErrTransactionInProgress, FsmApplyError } from "./errors.ts";
export type { AppliedCommandKind, FsmInvariantViolation } from "./errors.ts";
export { DqliteFsm, FSM_VIOLATIONS_KEPT_MAX } from "./fsm.ts";
export type { DqliteFsmOptions, FsmEnv } from "./fsm.ts";
export { restoreEachUnderItsName } from "./restore-layout.ts";
export type { RestoreLayout } from "./restore-layout.ts";
export { DqliteFsmSnapshot } from "./fsm-snapshot.ts";
export { DQLITE_FSM_PROBES } from "./probes.ts";
export type { DqliteFsmProbe } from "./probes.ts";
export { Registry } from "./registry.ts";
export { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT_VERSION } from "./snapshot-format.ts";
export type { DatabaseSnapshot, FsmSnapshotData } from "./snapshot-format.ts";
export { Transaction } from "./transaction.ts";
export type { TransactionState } from "./transaction.ts";
