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
import {
  bytesToString,
  DEFAULT_LEASE_CHECK_INTERVAL_MS,
  encodeSnapshot,
  runEtcdServer,
  type EtcdCommand,
  type EtcdServer,
  type FsmResult,
} from "../../src/impl/etcd/index.ts";
import { DEFAULT_MAX_ENTRIES_PER_APPEND, type RaftNodeOptions } from "../../src/impl/raft/index.ts";
import { boolKnob, intKnob, pickKnob } from "../../src/sim/knobs.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import type { Env } from "../../src/sim/env.ts";
import type { RaftSafetyChecker } from "../../src/impl/raft/testing/safety-checker.ts";
import { declareLeaderRole, newRaftSafety, reportClusterProblems } from "../harness/cluster-records.ts";
import {
  recordApplied,
  superviseRaftServer,
  type AppliedRecords,
  type RaftServerCluster,
} from "../harness/raft-server.ts";
import { caughtUpServers as caughtUpReplicas, describeServers } from "../harness/caught-up.ts";
import { WipeAndRejoin } from "../harness/wipe-and-rejoin.ts";
import type { KnobReader, Scenario, ScenarioContext } from "../../src/sim/runner.ts";
import { DISK_SYNC_KNOB, disksOfKnob } from "../harness/disk-knob.ts";
import { SERVER_BROKEN_VARIANTS, withVariant, type ServerBrokenVariant } from "./variants.ts";

export interface EtcdClusterOptions {
  readonly servers: readonly string[];
  readonly raft?: Partial<Omit<RaftNodeOptions, "fsm" | "bootstrapVoters">>;
  /** The scenario's variant, if it is one of the server's broken variants. */
  readonly variant?: string;
  readonly minLeaseTtlSeconds?: number;
  readonly leaseCheckIntervalMs?: number;
  readonly autoCompactionRetentionRevisions?: number;
  /** Sees every entry a member applies (after the cluster's own checks). */
  readonly onApplied?: (host: string, index: number, command: EtcdCommand | undefined, result: FsmResult) => void;
}

/** What the members record as they run: the harness's records of a Raft-based cluster (appliedAt: command, result). */
export interface EtcdCluster extends RaftServerCluster<EtcdServer>, AppliedRecords {
  /** Raft's safety properties across the members, from their observers. */
  readonly raftSafety: RaftSafetyChecker;
  /** Wipes and rejoins a member whose disk cannot be read (set by startEtcdCluster). */
  operator: WipeAndRejoin | undefined;
}

/**
 * etcd's documented defaults (etcd.io op-guide/configuration, v3.6): --heartbeat-interval, --election-timeout (in
 * heartbeats), --snapshot-count, --experimental-snapshot-catchup-entries.
 */
export const ETCD_HEARTBEAT_INTERVAL_MS_DEFAULT = 100;
export const ETCD_ELECTION_TIMEOUT_HEARTBEATS_DEFAULT = 10;
export const ETCD_SNAPSHOT_COUNT_DEFAULT = 10_000;
export const ETCD_SNAPSHOT_CATCH_UP_ENTRIES_DEFAULT = 5_000;
/** etcd's raft: MaxInflightMsgs (4096 / 8). */
export const ETCD_MAX_INFLIGHT_MSGS_DEFAULT = 512;

/**
 * Swarm testing of an etcd cluster's configuration (etcd-kv, etcd-leases): its size
 * and every setting the etcd on Raft takes, each with etcd's documented default
 * among its values and as the value shrinking moves toward. etcd ticks its Raft
 * every heartbeat interval (HeartbeatTick 1) and requires an election timeout of at
 * least 5 heartbeats; a snapshot every 16 or 64 entries, and 4 or 16 entries kept
 * for followers, make snapshots and InstallSnapshot happen in runs of seconds.
 * Raft's message size limit (MaxSizePerMsg, 1 MiB: far above what these small
 * entries fill) is drawn as entries per append.
 */
export const ETCD_KNOBS = {
  servers: pickKnob([3, 5], 3),
  heartbeatIntervalMs: pickKnob([20, 50, ETCD_HEARTBEAT_INTERVAL_MS_DEFAULT], ETCD_HEARTBEAT_INTERVAL_MS_DEFAULT),
  electionTimeoutHeartbeats: intKnob(5, 20, ETCD_ELECTION_TIMEOUT_HEARTBEATS_DEFAULT),
  snapshotCount: pickKnob([16, 64, 1_024, ETCD_SNAPSHOT_COUNT_DEFAULT], ETCD_SNAPSHOT_COUNT_DEFAULT),
  snapshotCatchUpEntries: pickKnob(
    [4, 16, 64, ETCD_SNAPSHOT_CATCH_UP_ENTRIES_DEFAULT],
    ETCD_SNAPSHOT_CATCH_UP_ENTRIES_DEFAULT,
  ),
  maxEntriesPerAppend: pickKnob([1, 8, DEFAULT_MAX_ENTRIES_PER_APPEND], DEFAULT_MAX_ENTRIES_PER_APPEND),
  maxInflightAppends: pickKnob([1, 8, ETCD_MAX_INFLIGHT_MSGS_DEFAULT], ETCD_MAX_INFLIGHT_MSGS_DEFAULT),
  preVote: boolKnob(0.5, true),
  leaseCheckIntervalMs: pickKnob([DEFAULT_LEASE_CHECK_INTERVAL_MS, 500], DEFAULT_LEASE_CHECK_INTERVAL_MS),
  ...DISK_SYNC_KNOB,
} as const satisfies Scenario["knobs"];

/** The members a run has: n1..n3 or n1..n5 (the `servers` knob). */
export function etcdServersOf(knob: KnobReader): string[] {
  return Array.from({ length: knob<number>("servers") }, (_, index) => `n${index + 1}`);
}

/** The Raft options and lease check interval the knobs give. */
export function etcdTuningOf(knob: KnobReader): Pick<EtcdClusterOptions, "raft" | "leaseCheckIntervalMs"> {
  return {
    raft: {
      tickIntervalMs: knob<number>("heartbeatIntervalMs"),
      heartbeatIntervalTicks: 1,
      electionTimeoutTicks: knob<number>("electionTimeoutHeartbeats"),
      snapshotThresholdEntries: knob<number>("snapshotCount"),
      trailingLogEntries: knob<number>("snapshotCatchUpEntries"),
      maxEntriesPerAppend: knob<number>("maxEntriesPerAppend"),
      maxInflightAppends: knob<number>("maxInflightAppends"),
      preVote: knob<boolean>("preVote"),
    },
    leaseCheckIntervalMs: knob<number>("leaseCheckIntervalMs"),
  };
}

/**
 * Election timeouts a liveness phase allows at least: without pre-vote, a member
 * that raised its term while cut off deposes each new leader until one is elected
 * at its term (etcd's raft answers a lower-term leader's appends with its own term,
 * as this one does), which took 6 s at etcd's default timing on etcd-leases seed 99
 * (5 members, a 1.7 s clog from the leader to one member).
 */
export const ETCD_LIVENESS_ELECTION_TIMEOUTS_MIN = 10;

/**
 * The liveness bound under the run's knobs: `baseMs`, or ETCD_LIVENESS_ELECTION_TIMEOUTS_MIN election timeouts if
 * longer.
 */
export function etcdLivenessMsOf(baseMs: number): (knob: KnobReader) => number {
  return (knob) =>
    Math.max(
      baseMs,
      ETCD_LIVENESS_ELECTION_TIMEOUTS_MIN *
        knob<number>("heartbeatIntervalMs") *
        knob<number>("electionTimeoutHeartbeats"),
    );
}

/** What etcd-kv and etcd-leases share besides ETCD_SCENARIO_BASE: the knobs, their members and their disks. */
export const ETCD_KNOB_BASE = {
  knobs: ETCD_KNOBS,
  swarm: { hosts: etcdServersOf },
  createDisks: disksOfKnob,
} as const satisfies Partial<Scenario>;

export const ETCD_SCENARIO_BASE = {
  maxEvents: 400_000,
  probePrefixes: ["etcd.", "raft."],
  roles: ["leader"],
  createDisks: () => createSimDisks(),
} as const;

function describeApplied(
  command: unknown,
  result: { ok: boolean; revision?: number; error?: { message: string } },
): string {
  const text = JSON.stringify(command, (_, value: unknown) =>
    value instanceof Uint8Array ? `b:${bytesToString(value)}` : value,
  );
  return `${text} -> ${result.ok ? `ok @${result.revision}` : `error ${result.error?.message}`}`;
}

export function startEtcdCluster(context: ScenarioContext, options: EtcdClusterOptions): EtcdCluster {
  const cluster: EtcdCluster = {
    servers: options.servers,
    live: new Map(),
    leadersByTerm: new Map(),
    appliedAt: new Map(),
    problems: [],
    failures: {},
    raftSafety: newRaftSafety(),
    operator: undefined,
  };
  cluster.operator = new WipeAndRejoin(context, cluster);
  for (const host of options.servers)
    context.world.addHost(host, (env) => superviseMember(env, cluster, options)).start();
  declareLeaderRole(context, () => [...cluster.live].map(([host, server]) => [host, server.node]));
  return cluster;
}

async function superviseMember(env: Env, cluster: EtcdCluster, options: EtcdClusterOptions): Promise<void> {
  const serverVariant =
    options.variant !== undefined && options.variant in SERVER_BROKEN_VARIANTS
      ? (options.variant as ServerBrokenVariant)
      : undefined;
  await superviseRaftServer(env, cluster, "etcd.election-safety", ({ bootstrapVoters, observer }) =>
    runEtcdServer(
      env,
      withVariant(
        {
          raft: { ...options.raft, bootstrapVoters, observer },
          ...(options.minLeaseTtlSeconds !== undefined ? { minLeaseTtlSeconds: options.minLeaseTtlSeconds } : {}),
          ...(options.leaseCheckIntervalMs !== undefined ? { leaseCheckIntervalMs: options.leaseCheckIntervalMs } : {}),
          ...(options.autoCompactionRetentionRevisions !== undefined
            ? {
                autoCompactionRetentionRevisions: options.autoCompactionRetentionRevisions,
                autoCompactionIntervalMs: 200,
              }
            : {}),
          observer: {
            applied: (index, command, result) => {
              const text = describeApplied(command ?? "(not a command)", result);
              recordApplied(cluster, env.host, index, text, "etcd.state-machine-safety", "member");
              options.onApplied?.(env.host, index, command, result);
            },
          },
        },
        serverVariant,
      ),
    ),
  );
}

/** Reports the problems recorded since the last call; returns the new count reported. */
export function reportProblems(context: ScenarioContext, cluster: EtcdCluster, reported: number): number {
  return reportClusterProblems(context, cluster, reported);
}

/**
 * The running members when all run, one leads, none is being wiped and rejoined, and all applied its commit index;
 * undefined otherwise.
 */
export function caughtUpServers(cluster: EtcdCluster): EtcdServer[] | undefined {
  if (cluster.operator?.idle() === false) return undefined;
  return caughtUpReplicas(cluster.servers, cluster.live, (server) => server.node);
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

/** Each member's applied index and store digest, for violation messages. */
export function describeMembers(cluster: EtcdCluster): string {
  return describeServers(
    cluster.servers,
    cluster.live,
    (server) => server.node,
    (server) => `store ${storeDigest(server)}`,
  );
}
