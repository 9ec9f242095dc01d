/**
 * dst-harness/systems/raft-kv: the Raft-replicated key-value store's cluster kit
 * (scenarios/raft-kv/cluster.ts: startKvCluster, its knobs and scenario base, the
 * checks of its records, converged and caughtUp, describeReplicas), its workload, and
 * the system itself (runKvServer, KvClient, KvFsm). Needs no wa-sqlite.
 */
export * from "../../scenarios/raft-kv/cluster.ts";
export * from "../../scenarios/raft-kv/workload.ts";
export * from "../impl/raft-kv/index.ts";
