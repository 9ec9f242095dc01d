/**
 * raft-kv-linearizable: the key-value store on Raft stays linearizable under the
 * swarm's faults.
 *
 * Goal: show that get, put and cas through src/impl/raft-kv are linearizable, that
 * Raft's safety properties hold meanwhile, and that the replicas converge once the
 * faults heal; and that a broken Raft (a variant) is caught.
 * Method: three KV servers (n1..n3, each a RaftNode with a KvFsm, restarted after a
 * fatal disk failure) and three client hosts (c1..c3) issuing random get, put and
 * cas on three keys, recorded in one history at true virtual time. The swarm's
 * plan partitions (one-way too), isolates, clogs, pauses, skews clocks, degrades
 * links, crashes servers (a minority at once, losing unsynced writes) and injects
 * disk faults on a minority. Once a write is acknowledged after the heal, the
 * clients stop.
 * Invariants:
 * - raft.election-safety (continuous): at most one leader per term;
 * - raft.state-machine-safety (continuous): no two hosts apply different commands at one index;
 * - raft-kv.linearizable (final): the history is linearizable per key (a search
 *   that runs out is raft-kv.linearizability-unknown, of kind liveness);
 * - raft-kv.replicas-converge (final): every replica holds the same map;
 * - progress: an operation is acknowledged after the heal and the replicas converge.
 */
import type { Scenario, ScenarioContext, ScenarioHooks } from "../src/sim/runner.ts";
import { converged, describeReplicas, RAFT_KV_SCENARIO_BASE, reportProblems, startKvCluster } from "./raft-kv-cluster.ts";
import { checkHistory, startKvWorkload } from "./raft-kv-workload.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENTS = ["c1", "c2", "c3"] as const;
const KEYS = ["x", "y", "z"] as const;

export const raftKvLinearizable: Scenario = {
  name: "raft-kv-linearizable",
  description: "KV store on 3 Raft servers, 3 clients doing get/put/cas under the swarm's faults; the history must be linearizable and the replicas converge",
  safetyMs: 2_000,
  livenessMs: 5_000,
  faultHosts: SERVERS,
  ...RAFT_KV_SCENARIO_BASE,
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const cluster = startKvCluster(context, {
    servers: SERVERS,
    raft: { snapshotThresholdEntries: 64, trailingLogEntries: 16 },
    ...(context.variant !== undefined ? { variant: context.variant } : {}),
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  const workload = startKvWorkload(context, { clients: CLIENTS, servers: SERVERS, keys: KEYS, thinkMsMax: 20, stop: healedAndAcknowledged });
  let reported = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
    },
    progress: () => healedAndAcknowledged() && converged(cluster),
    finish: () => {
      if (!converged(cluster)) {
        context.world.violate({ invariant: "raft-kv.replicas-converge", kind: "safety", details: describeReplicas(cluster) });
      }
      checkHistory(context, workload);
    },
    summary: () => ({ ...workload.counts, terms: cluster.leadersByTerm.size, applied: cluster.appliedAt.size, ...cluster.failures }),
  };
}
