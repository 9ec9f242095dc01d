/**
 * raft-kv-linearizable: the key-value store on Raft stays linearizable under the
 * swarm's faults.
 *
 * Goal: show that get, put and cas through src/impl/raft-kv are linearizable, that
 * Raft's safety properties hold meanwhile, and that the replicas converge once the
 * faults heal; and that a broken Raft (a variant) is caught.
 * Method: three or five KV servers (a knob; each a RaftNode with a KvFsm, restarted
 * after a fatal disk failure, tuned by the seed's knobs) and three client hosts (c1..c3) issuing random get, put and
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
import { SHAPE_KINDS } from "../../src/sim/faults/shapes.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import {
  converged,
  describeReplicas,
  PRE_VOTE_KNOB,
  RAFT_KV_KNOBS,
  RAFT_KV_SCENARIO_BASE,
  raftTuningOf,
  reportProblems,
  startKvCluster,
} from "./cluster.ts";
import { checkHistory, startKvWorkload } from "./workload.ts";

/** The servers a run has: n1..n3 or n1..n5 (the `servers` knob). */
function serversOf(knob: KnobReader): string[] {
  return Array.from({ length: knob<number>("servers") }, (_, index) => `n${index + 1}`);
}
const CLIENTS = ["c1", "c2", "c3"] as const;
const KEYS = ["x", "y", "z"] as const;

export const raftKvLinearizable: Scenario = {
  name: "raft-kv-linearizable",
  description:
    "KV store on 3 or 5 Raft servers (tuned per seed), 3 clients doing get/put/cas under the swarm's faults; the history must be linearizable and the replicas converge",
  safetyMs: 10_000,
  livenessMs: 5_000,
  swarm: { hosts: serversOf, shapes: SHAPE_KINDS },
  ...RAFT_KV_SCENARIO_BASE,
  knobs: { ...RAFT_KV_KNOBS, ...PRE_VOTE_KNOB, servers: pickKnob([3, 5], 3) },
  rareStates: {
    "leadership-lost-with-pending": "raft.leadership-lost-with-pending",
    "follower-log-truncated": "raft.log-conflict-truncated",
    "snapshot-installed": "raft.snapshot-installed",
    "leader-stepped-down-by-check-quorum": "raft.check-quorum-step-down",
  },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const servers = serversOf(context.knob);
  const cluster = startKvCluster(context, {
    servers,
    tuning: raftTuningOf(context.knob, { drawsPreVote: true }),
    variant: context.variant,
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  const workload = startKvWorkload(context, {
    clients: CLIENTS,
    servers,
    keys: KEYS,
    thinkMsMax: 20,
    stop: healedAndAcknowledged,
  });
  let reported = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
    },
    progress: () => healedAndAcknowledged() && converged(cluster),
    finish: () => {
      if (!converged(cluster)) {
        context.world.violate({
          invariant: "raft-kv.replicas-converge",
          kind: "safety",
          details: describeReplicas(cluster),
        });
      }
      checkHistory(context, workload);
    },
    summary: () => ({
      ...workload.counts,
      terms: cluster.leadersByTerm.size,
      applied: cluster.appliedAt.size,
      ...cluster.failures,
    }),
  };
}
