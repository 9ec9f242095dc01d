/**
 * raft-kv-wipe-rejoin: a server whose disk can no longer be read is wiped and
 * rejoined by the operator, and nothing is lost.
 *
 * Goal: show the operator's remedy (wipe-and-rejoin.ts) end to end: the server is
 * removed through the leader, wiped, started empty and added back, catches up, and
 * the history stays linearizable; and that a remedy which skips the removal is caught.
 * Method: three KV servers, two clients. The scenario's own faults, by role once a
 * leader is known after ISOLATE_AT_MS: the other follower (the laggard) is isolated,
 * so every commit needs the victim's acknowledgement; at DAMAGE_AT_MS the victim
 * crashes and every read of its disk fails from then on (its restarts fail with
 * ErrSnapshotCorrupted); at HEAL_AT_MS the laggard is healed and the leader crashes,
 * to restart at LEADER_BACK_AT_MS. Only the leader holds the victim's last writes
 * meanwhile: a wiped victim that votes again (no removal) elects the laggard.
 * Invariants:
 * - raft.election-safety, raft.state-machine-safety and Raft's other safety
 *   properties (continuous);
 * - raft-kv.wiped-and-rejoined (final, liveness): the victim was wiped and rejoined once;
 * - raft-kv.linearizable, raft-kv.replicas-converge (final);
 * - progress: an operation is acknowledged after the heal and every replica applied
 *   the leader's commit index.
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
import { checkHistory, startKvWorkload } from "./workload.ts";
import type { WipeAndRejoin } from "../harness/wipe-and-rejoin.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const ISOLATE_AT_MS = 300;
const DAMAGE_AT_MS = 900;
const VICTIM_RESTART_AFTER_MS = 100;
const HEAL_AT_MS = 1_100;
const LEADER_BACK_AT_MS = 2_600;

/** The roles the episode gave the servers. */
interface Episode {
  readonly leader: string;
  readonly victim: string;
  readonly laggard: string;
}

/** The scenario, with the operator a fixture may replace (the default: the cluster's own). */
export function raftKvWipeRejoinWith(
  operator?: (context: ScenarioContext, cluster: KvCluster) => WipeAndRejoin,
): Scenario {
  return {
    name: "raft-kv-wipe-rejoin",
    description:
      "a server whose disk cannot be read is removed through the leader, wiped, started empty and added back; the history stays linearizable",
    safetyMs: 5_000,
    livenessMs: 6_000,
    ...RAFT_KV_SCENARIO_BASE,
    rareStates: {
      "unreadable-store-read-again": "raft.read-retried-after-checksum-failure",
      "snapshot-installed": "raft.snapshot-installed",
    },
    setup: (context) => setup(context, operator),
  };
}

export const raftKvWipeRejoin: Scenario = raftKvWipeRejoinWith();

function setup(
  context: ScenarioContext,
  operator: ((context: ScenarioContext, cluster: KvCluster) => WipeAndRejoin) | undefined,
): ScenarioHooks {
  const cluster = startKvCluster(context, {
    servers: SERVERS,
    tuning: raftTuningOf(context.knob),
    variant: context.variant,
    operator,
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  const workload = startKvWorkload(context, {
    clients: ["c1", "c2"],
    servers: SERVERS,
    keys: ["x", "y", "z"],
    thinkMsMax: 15,
    stop: healedAndAcknowledged,
  });
  let reported = 0;
  let episode: Episode | undefined;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      episode ??= startEpisode(context, cluster);
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => {
      if (!converged(cluster)) {
        context.world.violate({
          invariant: "raft-kv.replicas-converge",
          kind: "safety",
          details: describeReplicas(cluster),
        });
        return;
      }
      if (episode !== undefined && cluster.failures["wiped-and-rejoined"] !== 1) {
        context.world.violate({
          invariant: "raft-kv.wiped-and-rejoined",
          kind: "liveness",
          details: `${episode.victim} was wiped and rejoined ${cluster.failures["wiped-and-rejoined"] ?? 0} times, not once`,
        });
      }
      checkHistory(context, workload);
    },
    summary: () => ({
      ...workload.counts,
      victim: episode?.victim ?? "none",
      terms: cluster.leadersByTerm.size,
      applied: cluster.appliedAt.size,
      ...cluster.failures,
    }),
  };
}

/**
 * Once a leader is known after ISOLATE_AT_MS in the safety phase: schedules the episode's faults (see the file's
 * comment).
 */
function startEpisode(context: ScenarioContext, cluster: KvCluster): Episode | undefined {
  const { world, disks } = context;
  if (world.now < ISOLATE_AT_MS || context.phase() !== "safety" || disks === undefined) return undefined;
  const leader = SERVERS.find((host) => cluster.live.get(host)?.node.state() === "Leader");
  if (leader === undefined) return undefined;
  const [victim, laggard] = SERVERS.filter((host) => host !== leader) as [string, string];
  world.record(undefined, "raft-kv.wipe-rejoin-episode", { leader, victim, laggard });
  world.network.isolate(laggard);
  world.scheduler.at(Math.max(world.now, DAMAGE_AT_MS), () => {
    world.host(victim).crash();
    disks.setDiskFaults(victim, { readErrorProbability: 1 });
    world.scheduler.schedule(VICTIM_RESTART_AFTER_MS, () => world.host(victim).start());
  });
  world.scheduler.at(Math.max(world.now, HEAL_AT_MS), () => {
    world.network.heal();
    world.host(leader).crash();
  });
  world.scheduler.at(Math.max(world.now, LEADER_BACK_AT_MS), () => world.host(leader).start());
  return { leader, victim, laggard };
}
