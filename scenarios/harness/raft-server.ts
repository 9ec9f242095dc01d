/**
 * One Raft-based server's process as the raft-kv and etcd kits run it: under the
 * supervisor (supervisor.ts), its starts watched by the wipe-and-rejoin operator
 * (a server whose disk cannot be read is wiped and rejoined, and this host's
 * supervisor retires), bootstrapped with the cluster's servers unless it rejoins
 * by addition, reporting to the cluster's Raft safety checker, and live while it
 * runs with its leaderships checked for election safety (runObserved). Also the
 * state-machine-safety record every such kit keeps: what was applied at each index.
 */
import type { RaftObserver } from "../../src/impl/raft/node/observer.ts";
import type { Env } from "../../src/sim/env.ts";
import {
  raftObserverOf,
  runObserved,
  type ClusterProblem,
  type ClusterRecords,
  type ObservedServer,
} from "./cluster-records.ts";
import { supervise } from "./supervisor.ts";
import type { WipeAndRejoin } from "./wipe-and-rejoin.ts";

/** The records of a cluster of supervised Raft-based servers. */
export interface RaftServerCluster<S extends ObservedServer> extends ClusterRecords {
  readonly servers: readonly string[];
  /** The server each host runs now (removed when its process dies). */
  readonly live: Map<string, S>;
  readonly failures: Record<string, number>;
  /** Wipes and rejoins a server whose disk cannot be read (set when the cluster starts). */
  readonly operator: WipeAndRejoin | undefined;
}

/** What the kit hands a server's Raft node at each start. */
export interface RaftServerStart {
  /** The cluster's servers, or undefined for a server that rejoins by addition (it starts empty). */
  readonly bootstrapVoters: readonly string[] | undefined;
  /** Reports to the cluster's Raft safety checker (undefined without one). */
  readonly observer: RaftObserver | undefined;
}

/**
 * Supervises the server of `env`'s host for as long as the process lives: `start` starts it with what the kit hands
 * its Raft node; `invariant` names a second leader in a term (raft.election-safety or its system's name).
 */
export async function superviseRaftServer<S extends ObservedServer>(
  env: Env,
  cluster: RaftServerCluster<S>,
  invariant: string,
  start: (raft: RaftServerStart) => Promise<S>,
): Promise<void> {
  env.lifetime.signal.addEventListener("abort", () => cluster.live.delete(env.host));
  const operator = cluster.operator as WipeAndRejoin;
  await supervise(env, cluster.failures, {
    retired: () => operator.handedOver(env.host),
    start: () =>
      operator.watchStart(
        env.host,
        start({
          bootstrapVoters: operator.joinsByAddition(env.host) ? undefined : cluster.servers,
          observer: raftObserverOf(cluster, env.host, env.hash.crc32),
        }),
      ),
    run: runObserved(cluster, env.host, invariant),
  });
}

/** What every server applied at each index, and the problems found. */
export interface AppliedRecords {
  /** What the first server to apply each index applied there, as text. */
  readonly appliedAt: Map<number, string>;
  readonly problems: ClusterProblem[];
}

/**
 * Records that `host` applied `text` at `index`: another text there is an `invariant` problem (state machine
 * safety: no two servers apply different commands at one index). `peer` names the others in the details.
 */
export function recordApplied(
  records: AppliedRecords,
  host: string,
  index: number,
  text: string,
  invariant: string,
  peer = "server",
): void {
  const other = records.appliedAt.get(index);
  if (other !== undefined && other !== text)
    records.problems.push({
      invariant,
      host,
      details: `${host} applied ${text} at index ${index}, another ${peer} ${other}`,
    });
  records.appliedAt.set(index, text);
}
