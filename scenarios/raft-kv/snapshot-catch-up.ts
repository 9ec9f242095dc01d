/**
 * raft-snapshot-catch-up: a follower left behind past log compaction.
 *
 * Goal: show that a follower cut off while the leader compacts its log catches up
 * by InstallSnapshot, and that a server restarted from its snapshot and log holds
 * exactly the state of the others.
 * Method: three KV servers with a small snapshot threshold (16 entries, 4 kept)
 * and two clients writing quickly. The scenario's own faults (no swarm plan): a
 * follower is isolated from ISOLATE_AT_MS for ISOLATE_MS (the leader compacts
 * meanwhile); after the heal it must install a snapshot; at CRASH_AT_MS the same
 * server crashes and restarts RESTART_AFTER_MS later, from its disk.
 * Invariants:
 * - raft.election-safety, raft.state-machine-safety (continuous);
 * - raft-kv.snapshot-installed (final, liveness): the probe raft.snapshot-installed was hit;
 * - raft-kv.restart-from-snapshot (final): the restarted server restored a snapshot
 *   and holds the same map as every other replica at the same applied index;
 * - raft-kv.linearizable, raft-kv.replicas-converge (final);
 * - progress: an operation is acknowledged after the heal and every replica applied
 *   the leader's commit index (then raft-kv.replicas-converge compares their maps).
 */
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import {
  caughtUp,
  converged,
  describeReplicas,
  RAFT_KV_SCENARIO_BASE,
  raftTuningOf,
  reportProblems,
  startKvCluster,
  type KvCluster,
} from "./cluster.ts";
import { checkHistory, startKvWorkload, type KvWorkload } from "./workload.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const ISOLATE_AT_MS = 300;
const ISOLATE_MS = 900;
const CRASH_AT_MS = 1_700;
const RESTART_AFTER_MS = 100;

export const raftSnapshotCatchUp: Scenario = {
  name: "raft-snapshot-catch-up",
  description:
    "a follower isolated past log compaction catches up by InstallSnapshot; restarted from snapshot and log, it holds the same state",
  safetyMs: 2_200,
  livenessMs: 4_000,
  ...RAFT_KV_SCENARIO_BASE,
  rareStates: { "snapshot-sent": "raft.snapshot-sent", "snapshot-installed": "raft.snapshot-installed" },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const cluster = startKvCluster(context, {
    servers: SERVERS,
    tuning: raftTuningOf(context.knob),
    raft: { snapshotThresholdEntries: 16, trailingLogEntries: 4 },
    variant: context.variant,
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  const workload = startKvWorkload(context, {
    clients: ["c1", "c2"],
    servers: SERVERS,
    keys: ["x", "y", "z", "w"],
    thinkMsMax: 15,
    stop: healedAndAcknowledged,
  });
  let reported = 0;
  let laggard: string | undefined;
  const isolateFollower = () => {
    if (laggard !== undefined || world.now < ISOLATE_AT_MS || context.phase() !== "safety") return;
    const leader = SERVERS.find((host) => cluster.live.get(host)?.node.state() === "Leader");
    if (leader === undefined) return;
    const follower = SERVERS.find((host) => host !== leader) as string;
    laggard = follower;
    world.network.isolate(follower);
    world.record(undefined, "raft-kv.follower-isolated", { follower });
    world.scheduler.schedule(ISOLATE_MS, () => world.network.heal());
    world.scheduler.at(CRASH_AT_MS, () => {
      world.host(follower).crash();
      world.scheduler.schedule(RESTART_AFTER_MS, () => world.host(follower).start());
    });
  };
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      isolateFollower();
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, workload, laggard),
    summary: () => ({
      ...workload.counts,
      laggard: laggard ?? "none",
      terms: cluster.leadersByTerm.size,
      applied: cluster.appliedAt.size,
      ...cluster.failures,
    }),
  };
}

function finish(context: ScenarioContext, cluster: KvCluster, workload: KvWorkload, laggard: string | undefined): void {
  const { world } = context;
  if (!converged(cluster)) {
    world.violate({ invariant: "raft-kv.replicas-converge", kind: "safety", details: describeReplicas(cluster) });
    return;
  }
  if ((world.probes.get("raft.snapshot-installed") ?? 0) === 0) {
    world.violate({
      invariant: "raft-kv.snapshot-installed",
      kind: "liveness",
      details: `the isolated follower (${laggard ?? "none"}) caught up without InstallSnapshot`,
    });
  }
  const restarted = laggard === undefined ? undefined : cluster.live.get(laggard);
  if (restarted === undefined || restarted.fsm.restores === 0) {
    world.violate({
      invariant: "raft-kv.restart-from-snapshot",
      kind: "liveness",
      details: `the restarted server (${laggard ?? "none"}) did not restore a snapshot`,
    });
  }
  checkHistory(context, workload);
}
