/**
 * The pure Raft core: no I/O, no ambient time or randomness. See raft-core.ts.
 */
export { RaftCore, EMPTY_RESTORE } from "./raft-core.ts";
export type { BatchOutcome, CoreRestore, CoreStatus, FollowerStatus, ProposeOutcome } from "./raft-core.ts";
export type { ConfigurationChange, Placement } from "./leader-requests.ts";
export { resolveCoreOptions } from "./options.ts";
export type { CoreOptions, CoreRandom, ResolvedCoreOptions } from "./options.ts";
export { DEFAULT_CORE_RULES } from "./rules.ts";
export type { CoreRules, RulesLog } from "./rules.ts";
export { isEmptyReady } from "./ready.ts";
export type { LeadershipChange, Ready, TransferOutcome, Verification } from "./ready.ts";
export { describeMessage } from "./messages.ts";
export type * from "./messages.ts";
export { configurationOf, EMPTY_CONFIGURATION, isVoter, quorumOf } from "./types.ts";
export type { Configuration, EntryKind, HardState, LogEntry, RaftRole, ServerId, SnapshotMetadata } from "./types.ts";
export type { ProgressMode } from "./progress.ts";
