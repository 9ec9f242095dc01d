/**
 * dst-harness/systems/etcd: the etcd cluster kit (scenarios/etcd/cluster.ts:
 * startEtcdCluster, etcd's documented defaults as knobs, the checks of its records,
 * leaderOf, caughtUpServers, storeDigest, describeMembers) and the system itself
 * (runEtcdServer, EtcdClient, the MVCC store). Needs no wa-sqlite.
 */
export * from "../../scenarios/etcd/cluster.ts";
export * from "../impl/etcd/index.ts";
