/**
 * raft: hashicorp/raft's contract in TypeScript. A pure, deterministic protocol
 * core (core/: etcd-raft style, tick/step/propose → Ready) and a node (node/) that
 * runs it on an Env: RPC transport, log, stable and snapshot stores on the host's
 * disk, and hashicorp/raft's API (apply, barrier, verifyLeader, leader, state,
 * leadership observation, stats, getConfiguration, addVoter, removeServer, leadershipTransfer,
 * snapshot, shutdown) with its typed errors (errors.ts).
 */
export * from "./core/index.ts";
export * from "./errors.ts";
export { RaftNode, DEFAULT_ENQUEUE_TIMEOUT_MS, USER_SNAPSHOT_WAITS_MAX } from "./node/raft-node.ts";
export type { RaftNodeParts, RaftState, UserSnapshot } from "./node/raft-node.ts";
export { ReadyPipeline } from "./node/ready-pipeline.ts";
export type { PipelineHost } from "./node/ready-pipeline.ts";
export type { ApplyResult } from "./node/pending-operations.ts";
export type { Fsm, FsmSnapshot, LogRecord, SnapshotReader, SnapshotSink } from "./node/fsm.ts";
export { ErrSnapshotRefused, readerOf } from "./node/fsm.ts";
export type { LeadershipEvent } from "./node/leadership-observers.ts";
export {
  DEFAULT_ELECTION_TIMEOUT_TICKS,
  DEFAULT_HEARTBEAT_INTERVAL_TICKS,
  DEFAULT_MAX_ENTRIES_PER_APPEND,
  DEFAULT_MAX_INFLIGHT_APPENDS,
  DEFAULT_RAFT_PORT,
  DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES,
  DEFAULT_TICK_INTERVAL_MS,
  DEFAULT_TRAILING_LOG_ENTRIES,
  resolveNodeOptions,
} from "./node/node-options.ts";
export type { RaftNodeOptions } from "./node/node-options.ts";
export { RAFT_INSTALL_SNAPSHOT_METHOD, RAFT_MESSAGE_METHOD } from "./node/transport.ts";
export { RAFT_BUGGIFY_POINTS, RAFT_PROBES } from "./probes.ts";
export type { RaftBuggifyPoint, RaftProbe } from "./probes.ts";
