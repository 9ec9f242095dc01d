/**
 * raft-leadership-loss: a leader cut off with a write in flight.
 *
 * Goal: show that a write whose leader loses leadership before it commits is
 * reported with an unknown outcome (ErrLeadershipLost → "info"), and that its fate
 * is then the same everywhere: after the heal it is applied on every replica or on
 * none, and the history stays linearizable.
 * Method: three KV servers and one client host (c1) issuing get, put and cas on two
 * keys with long call deadlines (the leader's step-down comes first). The
 * scenario's own faults (no swarm plan): when the client has a write in flight
 * and the leader an entry not yet applied, it is partitioned with the client away from both followers; the
 * partition heals LEADER_CUT_MS later. This repeats up to CUTS_MAX times.
 * Invariants:
 * - raft.election-safety, raft.state-machine-safety (continuous);
 * - raft-kv.leadership-lost-observed (final, liveness): the client saw at least
 *   one write end with ErrLeadershipLost (otherwise the scenario tested nothing);
 * - raft-kv.unknown-write-fate (final): every write of unknown outcome was applied
 *   by all replicas or by none (a replica whose state came from a snapshot through
 *   the write's index holds it: buggify's snapshot-at-odd-moment takes snapshots the
 *   scenario's threshold never would);
 * - raft-kv.linearizable, raft-kv.replicas-converge (final);
 * - progress: an operation is acknowledged after the heal and every replica applied
 *   the leader's commit index (then raft-kv.replicas-converge compares their maps).
 */
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import {
  caughtUp,
  converged,
  describeReplicas,
  holdsCommand,
  RAFT_KV_SCENARIO_BASE,
  raftTuningOf,
  reportProblems,
  startKvCluster,
  type KvCluster,
} from "./cluster.ts";
import { checkHistory, startKvWorkload, type KvWorkload } from "./workload.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENT = "c1";
const CUTS_MAX = 3;
const LEADER_CUT_MS = 600;
const FIRST_CUT_AFTER_MS = 400;

export const raftLeadershipLoss: Scenario = {
  name: "raft-leadership-loss",
  description:
    "the leader is cut off (with its client) while a write is in flight; the write's unknown fate must be the same on every replica",
  safetyMs: 2_500,
  livenessMs: 4_000,
  ...RAFT_KV_SCENARIO_BASE,
  rareStates: {
    "leadership-lost-with-pending": "raft.leadership-lost-with-pending",
    "deposed-leader-log-truncated": "raft.log-conflict-truncated",
    "leader-stepped-down-by-check-quorum": "raft.check-quorum-step-down",
  },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const cluster = startKvCluster(context, {
    servers: SERVERS,
    tuning: raftTuningOf(context.knob),
    raft: { snapshotThresholdEntries: 1_000_000 },
    variant: context.variant,
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  const workload = startKvWorkload(context, {
    clients: [CLIENT],
    servers: SERVERS,
    keys: ["x", "y"],
    thinkMsMax: 10,
    stop: healedAndAcknowledged,
    operationTimeoutMs: 1_500,
    callDeadlineMs: 800,
  });
  let reported = 0;
  let cuts = 0;
  let cutActive = false;
  const maybeCut = () => {
    if (cutActive || cuts >= CUTS_MAX || context.phase() !== "safety" || world.now < FIRST_CUT_AFTER_MS * (cuts + 1))
      return;
    const leader = SERVERS.find((host) => cluster.live.get(host)?.node.state() === "Leader");
    if (leader === undefined || cluster.live.get(leader)?.node.stats().fsm_pending === "0") return;
    // Only a write's fate is in question (a read that lost its leader is simply retried).
    if ((workload.inFlight.get(CLIENT)?.f ?? "get") === "get") return;
    cutActive = true;
    cuts++;
    world.network.partition([[leader, CLIENT], SERVERS.filter((host) => host !== leader)]);
    world.record(undefined, "raft-kv.leader-cut", { leader });
    world.scheduler.schedule(LEADER_CUT_MS, () => {
      world.network.heal();
      cutActive = false;
    });
  };
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      maybeCut();
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, workload),
    summary: () => ({
      ...workload.counts,
      cuts,
      terms: cluster.leadersByTerm.size,
      applied: cluster.appliedAt.size,
      ...cluster.failures,
    }),
  };
}

function finish(context: ScenarioContext, cluster: KvCluster, workload: KvWorkload): void {
  const { world } = context;
  if (!converged(cluster)) {
    world.violate({ invariant: "raft-kv.replicas-converge", kind: "safety", details: describeReplicas(cluster) });
    return;
  }
  if (!workload.unknownWrites.some((write) => write.reason.includes("leadership lost"))) {
    const reasons = workload.unknownWrites.map((write) => write.reason).join("; ");
    world.violate({
      invariant: "raft-kv.leadership-lost-observed",
      kind: "liveness",
      details: `no write ended with ErrLeadershipLost (unknown outcomes: ${reasons || "none"})`,
    });
  }
  for (const write of workload.unknownWrites) {
    const holders = SERVERS.filter((host) => holdsCommand(cluster, host, write.id));
    if (holders.length !== 0 && holders.length !== SERVERS.length) {
      world.violate({
        invariant: "raft-kv.unknown-write-fate",
        kind: "safety",
        details: `write ${write.id} (${write.reason}) applied only on ${holders.join(", ")}`,
      });
    }
  }
  checkHistory(context, workload);
}
