/**
 * etcd: a small etcd v3 on the raft package's RaftNode, for Gazette's specs,
 * members and assignments. An MVCC store with revisions and history (mvcc/),
 * transactions, leases decided by the leader's lessor and replicated as commands,
 * watches that resume across failures; a member (server/: RaftNode + EtcdFsm + RPC
 * services on ETCD_PORT) and a cluster-aware client (client/).
 */
export * from "./bytes.ts";
export * from "./errors.ts";
export type * from "./types.ts";
export { MAX_REQUEST_BYTES, MAX_TXN_OPS, checkTxnRequest, checkIntervals } from "./mvcc/check.ts";
export { MvccStore, compareKv } from "./mvcc/store.ts";
export type { HeaderOf, LeaseRecord, StoreState } from "./mvcc/store.ts";
export { ErrSnapshotInvalid, decodeSnapshot, encodeSnapshot } from "./mvcc/snapshot-codec.ts";
export { decodeCommand, encodeCommand } from "./commands.ts";
export type { EtcdCommand } from "./commands.ts";
export {
  MAX_LEASE_TTL_SECONDS,
  TXN_NESTING_MAX,
  decodeTxnRequest,
  decodeRangeRequest,
  decodePutRequest,
  decodeDeleteRangeRequest,
} from "./wire.ts";
export { EtcdFsm } from "./server/fsm.ts";
export type { EtcdFsmOptions, FsmObserver, FsmResult } from "./server/fsm.ts";
export { Lessor, REVOKES_PER_CHECK_MAX } from "./server/lessor.ts";
export type { LessorOptions } from "./server/lessor.ts";
export { ReadIndex } from "./server/read-index.ts";
export {
  DEFAULT_LEASE_CHECK_INTERVAL_MS,
  DEFAULT_WATCH_PROGRESS_INTERVAL_MS,
  ETCD_INFLIGHT_REQUESTS_MAX,
  ETCD_PORT,
  ETCD_WATCHERS_MAX,
  idOf,
  runEtcdServer,
} from "./server/server.ts";
export type { EtcdServer, EtcdServerOptions, EtcdServerParts } from "./server/server.ts";
export { EtcdClient } from "./client/client.ts";
export type { EtcdClientOptions, GetOptions, PutOptions } from "./client/client.ts";
export { Compares, Ops, TxnBuilder, rangeEndOf } from "./client/txn-builder.ts";
export type { KeyRangeOptions } from "./client/txn-builder.ts";
export type { KeepAlive, KeepAliveEnd, KeepAliveOptions } from "./client/keep-alive.ts";
export { DEFAULT_WATCH_RESUME } from "./client/watch.ts";
export type { WatchOptions, WatchResume } from "./client/watch.ts";
export { ETCD_BUGGIFY_POINTS, ETCD_PROBES } from "./probes.ts";
export type { EtcdBuggifyPoint, EtcdProbe } from "./probes.ts";
