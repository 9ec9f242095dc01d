/**
 * A cluster of RaftNodes on the simulator, for end-to-end tests: one host per
 * server with a simulated disk, each running `RaftNode.start` with a RecordingFsm.
 * The test reaches the live node of each host, drives virtual time, crashes and
 * restarts hosts and partitions links. What every cluster kit checks comes from
 * the shared harness (scenarios/harness/cluster-records.ts): election safety from
 * the leadership observers, and all of Raft's safety properties from each node's
 * observer (`problemsOf`).
 */
import { RaftNode, type RaftNodeOptions } from "../../../src/impl/raft/index.ts";
import type { RaftSafetyChecker } from "../../../src/impl/raft/testing/safety-checker.ts";
import { createSimDisks, type SimDiskSystem, type SimDiskSystemOptions } from "../../../src/sim/disk/system.ts";
import type { Env } from "../../../src/sim/env.ts";
import { World } from "../../../src/sim/world.ts";
import {
  leaderInHighestTerm,
  newRaftSafety,
  raftObserverOf,
  runObserved,
  takeRaftSafetyProblems,
  type ClusterProblem,
  type ClusterRecords,
} from "../../../scenarios/harness/cluster-records.ts";
import { RecordingFsm } from "./recording-fsm.ts";

export interface Member {
  readonly node: RaftNode;
  readonly fsm: RecordingFsm;
  readonly incarnation: number;
  readonly terminated: RaftNode["terminated"];
}

export interface SimCluster extends ClusterRecords {
  readonly world: World;
  readonly disks: SimDiskSystem;
  readonly hosts: readonly string[];
  /** The live node of each host (absent while down or starting). */
  readonly live: Map<string, Member>;
  /** Errors that stopped a start (RaftNode.start rejected), by host. */
  readonly startErrors: Map<string, unknown>;
  readonly problems: ClusterProblem[];
  readonly raftSafety: RaftSafetyChecker;
}

export interface SimClusterOptions {
  readonly hosts?: readonly string[];
  readonly node?: Partial<Omit<RaftNodeOptions, "fsm">>;
  /** Hosts that start without bootstrap configuration (to be added later). */
  readonly joining?: readonly string[];
  /** Options of every host's simulated disk (e.g. a slow fsync). */
  readonly disks?: SimDiskSystemOptions;
}

export function startSimCluster(seed: number, options: SimClusterOptions = {}): SimCluster {
  const hosts = options.hosts ?? ["n1", "n2", "n3"];
  const disks = createSimDisks(options.disks);
  const world = new World({ seed, disks });
  const cluster: SimCluster = {
    world,
    disks,
    hosts,
    live: new Map(),
    startErrors: new Map(),
    leadersByTerm: new Map(),
    problems: [],
    raftSafety: newRaftSafety(),
  };
  const initial = hosts.filter((host) => !(options.joining ?? []).includes(host));
  for (const host of hosts)
    world.addHost(host, (env) => serve(env, cluster, { ...options.node, ...bootstrap(initial, host) })).start();
  return cluster;
}

function bootstrap(initial: readonly string[], host: string): Pick<RaftNodeOptions, "bootstrapVoters"> {
  return initial.includes(host) ? { bootstrapVoters: initial } : {};
}

async function serve(env: Env, cluster: SimCluster, options: Partial<Omit<RaftNodeOptions, "fsm">>): Promise<void> {
  env.lifetime.signal.addEventListener("abort", () => cluster.live.delete(env.host));
  const fsm = new RecordingFsm();
  let node: RaftNode;
  try {
    node = await RaftNode.start(env, {
      observer: raftObserverOf(cluster, env.host, env.hash.crc32),
      ...options,
      fsm,
    });
  } catch (error) {
    cluster.startErrors.set(env.host, error);
    return;
  }
  const member = { node, fsm, incarnation: env.lifetime.incarnation, terminated: node.terminated };
  await runObserved(cluster, env.host, "raft.election-safety")(member);
}

/** The problems found so far (election safety, and Raft's safety properties across the nodes), as text. */
export function problemsOf(cluster: SimCluster): string[] {
  takeRaftSafetyProblems(cluster);
  return cluster.problems.map((problem) => `${problem.invariant} on ${problem.host}: ${problem.details}`);
}

/** Runs virtual time forward by `durationMs`. */
export async function runFor(cluster: SimCluster, durationMs: number): Promise<void> {
  await cluster.world.scheduler.run({ untilTime: cluster.world.now + durationMs });
}

/** Runs until `done` holds (checked every `stepMs`), at most `maxMs`; returns whether it held. */
export async function runUntil(cluster: SimCluster, done: () => boolean, maxMs: number, stepMs = 20): Promise<boolean> {
  const deadline = cluster.world.now + maxMs;
  while (!done()) {
    if (cluster.world.now >= deadline) return false;
    await runFor(cluster, stepMs);
  }
  return true;
}

/** The live member that leads in the highest term, if one does. */
export function leaderOf(cluster: SimCluster): string | undefined {
  return leaderInHighestTerm([...cluster.live].map(([host, member]) => [host, member.node]));
}

export function member(cluster: SimCluster, host: string): Member {
  const found = cluster.live.get(host);
  if (found === undefined) throw new Error(`${host} has no live node`);
  return found;
}

/** Crashes a host: its node is gone (the disk keeps what was durable). */
export function crash(cluster: SimCluster, host: string): void {
  cluster.world.host(host).crash();
}

export function restart(cluster: SimCluster, host: string): void {
  cluster.world.host(host).start();
}

/** A promise's outcome, observable while virtual time runs (the tests' shared helper). */
export { track } from "../../_support/world-run.ts";
