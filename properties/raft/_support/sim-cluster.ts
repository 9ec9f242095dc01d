/**
 * A cluster of RaftNodes on the simulator, for end-to-end tests: one host per
 * server with a simulated disk, each running `RaftNode.start` with a RecordingFsm.
 * The test reaches the live node of each host, drives virtual time, crashes and
 * restarts hosts and partitions links. Election safety is checked continuously from
 * the leadership observers (at most one leader per term).
 */
import { RaftNode, type RaftNodeOptions } from "../../../src/impl/raft/index.ts";
import { createSimDisks, type SimDiskSystem, type SimDiskSystemOptions } from "../../../src/sim/disk/system.ts";
import { World } from "../../../src/sim/world.ts";
import { RecordingFsm } from "./recording-fsm.ts";

export interface Member {
  readonly node: RaftNode;
  readonly fsm: RecordingFsm;
  readonly incarnation: number;
}

export interface SimCluster {
  readonly world: World;
  readonly disks: SimDiskSystem;
  readonly hosts: readonly string[];
  /** The live node of each host (absent while down or starting). */
  readonly members: Map<string, Member>;
  /** Errors that stopped a start (RaftNode.start rejected), by host. */
  readonly startErrors: Map<string, unknown>;
  readonly leadersByTerm: Map<number, string>;
  readonly problems: string[];
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
    members: new Map(),
    startErrors: new Map(),
    leadersByTerm: new Map(),
    problems: [],
  };
  const initial = hosts.filter((host) => !(options.joining ?? []).includes(host));
  for (const host of hosts) {
    world
      .addHost(host, async (env) => {
        const fsm = new RecordingFsm();
        let node: RaftNode;
        try {
          node = await RaftNode.start(env, {
            ...options.node,
            fsm,
            ...(initial.includes(host) ? { bootstrapVoters: initial } : {}),
          });
        } catch (error) {
          cluster.startErrors.set(host, error);
          return;
        }
        cluster.members.set(host, { node, fsm, incarnation: env.lifetime.incarnation });
        node.observeLeadership((event) => {
          if (!event.isLeader) return;
          const other = cluster.leadersByTerm.get(event.term);
          if (other !== undefined && other !== host)
            cluster.problems.push(`${host} and ${other} both lead term ${event.term}`);
          cluster.leadersByTerm.set(event.term, host);
        });
        await node.terminated;
      })
      .start();
  }
  return cluster;
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

/** The live member that leads, if exactly one does in the highest term. */
export function leaderOf(cluster: SimCluster): string | undefined {
  let best: { host: string; term: number } | undefined;
  for (const [host, member] of cluster.members) {
    if (member.node.state() !== "Leader") continue;
    const term = Number(member.node.stats().term);
    if (best === undefined || term > best.term) best = { host, term };
  }
  return best?.host;
}

export function member(cluster: SimCluster, host: string): Member {
  const found = cluster.members.get(host);
  if (found === undefined) throw new Error(`${host} has no live node`);
  return found;
}

/** Crashes a host: its node is gone (the disk keeps what was durable). */
export function crash(cluster: SimCluster, host: string): void {
  cluster.members.delete(host);
  cluster.world.host(host).crash();
}

export function restart(cluster: SimCluster, host: string): void {
  cluster.members.delete(host);
  cluster.world.host(host).start();
}

/** A promise's outcome, observable while virtual time runs. */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const outcome: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      outcome.settled = true;
      outcome.value = value;
    },
    (error: unknown) => {
      outcome.settled = true;
      outcome.error = error;
    },
  );
  return outcome;
}
