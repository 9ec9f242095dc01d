/**
 * The server side of the etcd scenarios: one host per member (runEtcdServer), each
 * under a supervisor that starts it again after a fatal disk failure or a failed
 * start, with a capped backoff, for as long as the run lasts (supervisor.ts); a
 * member whose disk can no longer be read is wiped and rejoined by the operator
 * (wipe-and-rejoin.ts, counted as `wiped-and-rejoined`); and the records the
 * scenarios check continuously:
 * - etcd.election-safety: at most one leader per Raft term;
 * - etcd.state-machine-safety: no two members apply different commands at one
 *   index, or the same command with different results (revision, success).
 */
import { bytesToString, encodeSnapshot, runEtcdServer, SERVER_BROKEN_VARIANTS, type EtcdCommand, type EtcdServer, type FsmResult, type ServerBrokenVariant } from "../src/impl/etcd/index.ts";
import type { RaftNodeOptions } from "../src/impl/raft/index.ts";
import { createSimDisks } from "../src/sim/disk/system.ts";
import type { Env } from "../src/sim/env.ts";
import type { RaftSafetyChecker } from "../src/impl/raft/testing/safety-checker.ts";
import { declareLeaderRole, newRaftSafety, observeElectionSafety, raftObserverOf, reportClusterProblems } from "./cluster-records.ts";
import { supervise } from "./supervisor.ts";
import { WipeAndRejoin } from "./wipe-and-rejoin.ts";
import type { ScenarioContext } from "../src/sim/runner.ts";


export interface EtcdClusterOptions {
  readonly servers: readonly string[];
  readonly raft?: Partial<Omit<RaftNodeOptions, "fsm" | "bootstrapVoters">>;
  /** The scenario's variant, if it is one of the server's broken variants. */
  readonly variant?: string;
  readonly minLeaseTtlSeconds?: number;
  readonly autoCompactionRetentionRevisions?: number;
  /** Sees every entry a member applies (after the cluster's own checks). */
  readonly onApplied?: (host: string, index: number, command: EtcdCommand | undefined, result: FsmResult) => void;
}

export interface EtcdCluster {
  readonly servers: readonly string[];
  readonly live: Map<string, EtcdServer>;
  readonly leadersByTerm: Map<number, string>;
  /** What the first member to apply each index applied there: the command and its result. */
  readonly appliedAt: Map<number, string>;
  readonly problems: Array<{ readonly invariant: string; readonly host: string; readonly details: string }>;
  readonly failures: Record<string, number>;
  /** Raft's safety properties across the members, from their observers. */
  readonly raftSafety: RaftSafetyChecker;
  /** Wipes and rejoins a member whose disk cannot be read (set by startEtcdCluster). */
  operator: WipeAndRejoin | undefined;
}

export const ETCD_SCENARIO_BASE = {
  maxEvents: 400_000,
  probePrefixes: ["etcd.", "raft."],
  roles: ["leader"],
  createDisks: () => createSimDisks(),
} as const;

function describeApplied(command: unknown, result: { ok: boolean; revision?: number; error?: { message: string } }): string {
  const text = JSON.stringify(command, (_, value: unknown) => (value instanceof Uint8Array ? `b:${bytesToString(value)}` : value));
  return `${text} -> ${result.ok ? `ok @${result.revision}` : `error ${result.error?.message}`}`;
}

export function startEtcdCluster(context: ScenarioContext, options: EtcdClusterOptions): EtcdCluster {
  const cluster: EtcdCluster = { servers: options.servers, live: new Map(), leadersByTerm: new Map(), appliedAt: new Map(), problems: [], failures: {}, raftSafety: newRaftSafety(), operator: undefined };
  cluster.operator = new WipeAndRejoin(context, cluster);
  for (const host of options.servers) context.world.addHost(host, (env) => superviseMember(env, cluster, options)).start();
  declareLeaderRole(context, () => [...cluster.live].map(([host, server]) => [host, server.node]));
  return cluster;
}


async function superviseMember(env: Env, cluster: EtcdCluster, options: EtcdClusterOptions): Promise<void> {
  env.lifetime.signal.addEventListener("abort", () => cluster.live.delete(env.host));
  const brokenVariant = options.variant !== undefined && options.variant in SERVER_BROKEN_VARIANTS ? (options.variant as ServerBrokenVariant) : undefined;
  const operator = cluster.operator as WipeAndRejoin;
  await supervise(env, cluster.failures, {
    retired: () => operator.handedOver(env.host),
    start: () =>
      operator.watchStart(env.host, runEtcdServer(env, {
        raft: {
          ...options.raft,
          bootstrapVoters: operator.joinsByAddition(env.host) ? undefined : options.servers,
          observer: raftObserverOf(cluster, env.host, env.hash.crc32),
        },
        ...(options.minLeaseTtlSeconds !== undefined ? { minLeaseTtlSeconds: options.minLeaseTtlSeconds } : {}),
        ...(options.autoCompactionRetentionRevisions !== undefined ? { autoCompactionRetentionRevisions: options.autoCompactionRetentionRevisions, autoCompactionIntervalMs: 200 } : {}),
        ...(brokenVariant !== undefined ? { brokenVariant } : {}),
        observer: {
          applied: (index, command, result) => {
            const text = describeApplied(command ?? "(not a command)", result);
            const other = cluster.appliedAt.get(index);
            if (other !== undefined && other !== text) cluster.problems.push({ invariant: "etcd.state-machine-safety", host: env.host, details: `${env.host} applied ${text} at index ${index}, another member ${other}` });
            cluster.appliedAt.set(index, text);
            options.onApplied?.(env.host, index, command, result);
          },
        },
      })),
    run: async (server) => {
      cluster.live.set(env.host, server);
      observeElectionSafety(server.node, env.host, cluster, "etcd.election-safety");
      const reason = await server.terminated;
      cluster.live.delete(env.host);
      return reason?.name;
    },
  });
}

/** Reports the problems recorded since the last call; returns the new count reported. */
export function reportProblems(context: ScenarioContext, cluster: EtcdCluster, reported: number): number {
  return reportClusterProblems(context, cluster, reported);
}

/** The running members when all run, one leads, none is being wiped and rejoined, and all applied its commit index; undefined otherwise. */
export function caughtUpServers(cluster: EtcdCluster): EtcdServer[] | undefined {
  if (cluster.operator?.idle() === false) return undefined;
  const servers = cluster.servers.map((host) => cluster.live.get(host));
  if (servers.some((server) => server === undefined || server.node.state() === "Shutdown")) return undefined;
  const running = servers as EtcdServer[];
  const leader = running.find((server) => server.node.state() === "Leader");
  if (leader === undefined) return undefined;
  const commit = leader.node.stats().commit_index;
  return running.every((server) => server.node.stats().applied_index === commit) ? running : undefined;
}

/** The leader, if one runs. */
export function leaderOf(cluster: EtcdCluster): EtcdServer | undefined {
  return [...cluster.live.values()].find((server) => server.node.state() === "Leader");
}

/** A digest of a member's whole store (equal stores, equal digests). */
export function storeDigest(server: EtcdServer): string {
  const bytes = encodeSnapshot(server.fsm.mvcc.state());
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `${server.fsm.mvcc.revision}/${bytes.length}/${hash.toString(16)}`;
}

export function describeMembers(cluster: EtcdCluster): string {
  return cluster.servers
    .map((host) => {
      const server = cluster.live.get(host);
      return server === undefined ? `${host}: down` : `${host}: ${server.node.state()} applied ${server.node.stats().applied_index} store ${storeDigest(server)}`;
    })
    .join("; ");
}
