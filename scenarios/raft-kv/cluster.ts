/**
 * The server side of the raft-kv scenarios: one host per KV server (runKvServer),
 * each under a supervisor that starts it again after a fatal disk failure or a
 * failed start, with a capped backoff, for as long as the run lasts (supervisor.ts);
 * a server whose disk can no longer be read is wiped and rejoined by the operator
 * (wipe-and-rejoin.ts, counted as `wiped-and-rejoined`); and the records the
 * scenarios check continuously:
 * - raft.election-safety: at most one leader per term (from the leadership observers);
 * - raft.state-machine-safety: no two hosts apply different commands at one index
 *   (every applied entry is recorded as (index, command text) per host).
 */
import {
  DEFAULT_ELECTION_TIMEOUT_TICKS,
  DEFAULT_HEARTBEAT_INTERVAL_TICKS,
  DEFAULT_MAX_ENTRIES_PER_APPEND,
  DEFAULT_MAX_INFLIGHT_APPENDS,
  DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES,
  DEFAULT_TICK_INTERVAL_MS,
  DEFAULT_TRAILING_LOG_ENTRIES,
  type RaftNodeOptions,
} from "../../src/impl/raft/index.ts";
import type { RaftObserver } from "../../src/impl/raft/node/observer.ts";
import { runKvServer, type KvReadMode, type KvServer } from "../../src/impl/raft-kv/index.ts";
import type { Env } from "../../src/sim/env.ts";
import { boolKnob, intKnob, pickKnob } from "../../src/sim/knobs.ts";
import type { RaftSafetyChecker } from "../../src/impl/raft/testing/safety-checker.ts";
import { declareLeaderRole, newRaftSafety, reportClusterProblems } from "../harness/cluster-records.ts";
import {
  recordApplied,
  superviseRaftServer,
  type AppliedRecords,
  type RaftServerCluster,
} from "../harness/raft-server.ts";
import { DISK_SYNC_KNOB, disksOfKnob } from "../harness/disk-knob.ts";
import { caughtUpServers as caughtUpReplicas, describeServers } from "../harness/caught-up.ts";
import { WipeAndRejoin } from "../harness/wipe-and-rejoin.ts";
import type { KnobReader, Scenario, ScenarioContext } from "../../src/sim/runner.ts";
import { BROKEN_NODE_VARIANTS, BROKEN_VARIANTS, withVariant, type RaftVariant } from "./variants.ts";

export interface KvClusterOptions {
  readonly servers: readonly string[];
  /** The run's Raft tuning (raftTuningOf its knobs); `raft` overrides it. */
  readonly tuning?: Partial<RaftNodeOptions>;
  readonly raft?: Partial<Omit<RaftNodeOptions, "fsm" | "bootstrapVoters">>;
  readonly readMode?: KvReadMode;
  /** The scenario's variant name, if it is one of the raft node's or core's broken variants. */
  readonly variant?: string;
  /**
   * The operator that wipes and rejoins a server whose disk cannot be read (default: WipeAndRejoin; fixtures break it).
   */
  readonly operator?: (context: ScenarioContext, cluster: KvCluster) => WipeAndRejoin;
}

/** What the cluster's hosts record as they run (the harness's records of a Raft-based cluster, and more). */
export interface KvCluster extends RaftServerCluster<KvServer>, AppliedRecords {
  /** Ids of the commands each host applied (in any incarnation). */
  readonly appliedIds: Map<string, Set<string>>;
  /**
   * The log index each command id was applied at, with the hosts that applied it
   * there: two hosts agreeing make the index the command's (one host alone may be a
   * deposed leader applying its own uncommitted entry).
   */
  readonly indexOfId: Map<string, { readonly index: number; readonly hosts: Set<string> }>;
  /**
   * The highest snapshot index each host's state came from (installed from a leader or restored at start); its entries
   * it never applied one by one.
   */
  readonly snapshotThrough: Map<string, number>;
  /** Raft's safety properties across the servers, from their observers. */
  readonly raftSafety: RaftSafetyChecker;
  /** Wipes and rejoins a server whose disk cannot be read (set by startKvCluster). */
  operator: WipeAndRejoin | undefined;
}

/** Broken variants a KV scenario offers: every one of the node's and of the core's. */
export const RAFT_KV_VARIANTS: Readonly<Record<string, string>> = {
  "ack-before-fsync": "the raft node acknowledges votes and entries before they are durable (lost on a crash)",
  "apply-on-step-down":
    "a deposed raft leader applies its own uncommitted entries to its FSM (a lost write may be applied on that server only)",
  "ignore-install-snapshot-state":
    "a raft follower installing a snapshot keeps its own FSM state instead of the snapshot's",
  "no-snapshot-retry": `the raft node: ${BROKEN_NODE_VARIANTS["no-snapshot-retry"]}`,
  ...Object.fromEntries(
    Object.entries(BROKEN_VARIANTS).map(([name, description]) => [name, `the raft core: ${description}`]),
  ),
};

/**
 * Swarm testing of the configuration: the Raft tunings and the disk's sync
 * latency every Raft KV scenario draws per seed (recorded in the result). The
 * ranges cover the defaults and the corners where bugs live: one-entry appends,
 * one append in flight, tiny snapshot thresholds, no trailing log, heartbeats
 * close to the election timeout, slow fsyncs against a fast network. The defaults
 * (what shrinking moves toward) are the Raft node's and the simulated disk's.
 */
export const RAFT_KV_KNOBS = {
  tickIntervalMs: pickKnob([10, 20, 30], DEFAULT_TICK_INTERVAL_MS),
  electionTimeoutTicks: intKnob(5, 20, DEFAULT_ELECTION_TIMEOUT_TICKS),
  heartbeatIntervalTicks: intKnob(1, 3, DEFAULT_HEARTBEAT_INTERVAL_TICKS),
  snapshotThresholdEntries: pickKnob([8, 32, 64, 256], DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES),
  trailingLogEntries: pickKnob([0, 4, 16, 64], DEFAULT_TRAILING_LOG_ENTRIES),
  maxEntriesPerAppend: pickKnob([1, 4, 64], DEFAULT_MAX_ENTRIES_PER_APPEND),
  maxInflightAppends: pickKnob([1, 2, 8], DEFAULT_MAX_INFLIGHT_APPENDS),
  ...DISK_SYNC_KNOB,
} as const satisfies Scenario["knobs"];

/**
 * Pre-vote on or off (hashicorp/raft's PreVoteDisabled), for a scenario that judges
 * safety alone under faults: pre-vote hides whole classes of election bugs (a vote
 * counted from an earlier term) when on. Scenarios that need a stable leader to
 * reach their state (a laggard caught up by snapshot, a leadership lost on cue)
 * keep hashicorp/raft's default, on: without it a rejoining server deposes the leader.
 */
export const PRE_VOTE_KNOB = {
  preVote: boolKnob(0.5, true),
} as const satisfies Scenario["knobs"];

/** The Raft options the knobs give (pre-vote only when the scenario draws it: PRE_VOTE_KNOB). */
export function raftTuningOf(
  knob: KnobReader,
  options: { readonly drawsPreVote?: boolean } = {},
): Partial<RaftNodeOptions> {
  const electionTimeoutTicks = knob<number>("electionTimeoutTicks");
  return {
    tickIntervalMs: knob<number>("tickIntervalMs"),
    electionTimeoutTicks,
    heartbeatIntervalTicks: Math.min(knob<number>("heartbeatIntervalTicks"), electionTimeoutTicks - 1),
    snapshotThresholdEntries: knob<number>("snapshotThresholdEntries"),
    trailingLogEntries: knob<number>("trailingLogEntries"),
    maxEntriesPerAppend: knob<number>("maxEntriesPerAppend"),
    maxInflightAppends: knob<number>("maxInflightAppends"),
    ...(options.drawsPreVote === true ? { preVote: knob<boolean>("preVote") } : {}),
  };
}

/**
 * What every Raft KV scenario shares: the runaway guard, the broken variants, the probes it reports, its knobs and
 * disks.
 */
export const RAFT_KV_SCENARIO_BASE = {
  maxEvents: 2_000_000,
  variants: RAFT_KV_VARIANTS,
  probePrefixes: ["raft.", "raft-kv."],
  roles: ["leader"],
  knobs: RAFT_KV_KNOBS,
  createDisks: disksOfKnob,
} as const satisfies Partial<Scenario>;

/** Adds and starts one host per server; returns the records they fill. */

export function startKvCluster(context: ScenarioContext, options: KvClusterOptions): KvCluster {
  const cluster: KvCluster = {
    servers: options.servers,
    live: new Map(),
    leadersByTerm: new Map(),
    appliedAt: new Map(),
    appliedIds: new Map(),
    indexOfId: new Map(),
    snapshotThrough: new Map(),
    problems: [],
    failures: {},
    raftSafety: newRaftSafety(),
    operator: undefined,
  };
  const operator = (options.operator ?? ((scenario, records) => new WipeAndRejoin(scenario, records)))(
    context,
    cluster,
  );
  cluster.operator = operator;
  for (const host of options.servers) {
    cluster.appliedIds.set(host, new Set());
    context.world.addHost(host, (env) => superviseServer(env, cluster, options)).start();
  }
  declareLeaderRole(context, () => [...cluster.live].map(([host, server]) => [host, server.node]));
  return cluster;
}

/**
 * The broken part of the scenario's variant (none without one): scenarios offer only Raft's variants
 * (RAFT_KV_VARIANTS).
 */
function variantOptions(variant: string | undefined): Partial<RaftNodeOptions> {
  return withVariant({}, variant as RaftVariant | undefined);
}

async function superviseServer(env: Env, cluster: KvCluster, options: KvClusterOptions): Promise<void> {
  const applied = cluster.appliedIds.get(env.host) as Set<string>;
  await superviseRaftServer(env, cluster, "raft.election-safety", ({ bootstrapVoters, observer }) =>
    runKvServer(env, {
      raft: {
        ...options.tuning,
        ...options.raft,
        ...variantOptions(options.variant),
        bootstrapVoters,
        observer: withSnapshotRecords(observer, cluster, env.host),
      },
      ...(options.readMode ? { readMode: options.readMode } : {}),
      onApply: (index, command) => {
        const text = command === undefined ? "(not a command)" : JSON.stringify(command);
        recordApplied(cluster, env.host, index, text, "raft.state-machine-safety");
        if (command !== undefined) {
          applied.add(command.id);
          const at = cluster.indexOfId.get(command.id);
          if (at === undefined) cluster.indexOfId.set(command.id, { index, hosts: new Set([env.host]) });
          else if (at.index === index) at.hosts.add(env.host);
        }
      },
    }),
  );
}

/**
 * Whether `host` holds the command `id`: it applied it, or its state came from a
 * snapshot through the index two other hosts applied it at (a follower that installs
 * a snapshot never applies the entries behind it one by one).
 */
export function holdsCommand(cluster: KvCluster, host: string, id: string): boolean {
  if (cluster.appliedIds.get(host)?.has(id) === true) return true;
  const at = cluster.indexOfId.get(id);
  return at !== undefined && at.hosts.size >= 2 && at.index <= (cluster.snapshotThrough.get(host) ?? 0);
}

/**
 * `observer` (if any), with the snapshots `host` installs or restores at start recorded in the cluster's
 * snapshotThrough.
 */
function withSnapshotRecords(observer: RaftObserver | undefined, cluster: KvCluster, host: string): RaftObserver {
  const note = (index: number) => {
    if (index > (cluster.snapshotThrough.get(host) ?? 0)) cluster.snapshotThrough.set(host, index);
  };
  return {
    restored: (base, entries) => {
      note(base.index);
      observer?.restored(base, entries);
    },
    persisted: (change) => {
      if (change.snapshot !== undefined) note(change.snapshot.index);
      observer?.persisted(change);
    },
    compacted: (index) => observer?.compacted(index),
    leadership: (role, term) => observer?.leadership(role, term),
    committed: (commitIndex, term) => observer?.committed(commitIndex, term),
    applied: (entry) => observer?.applied(entry),
    acknowledged: (matchIndex, term) => observer?.acknowledged(matchIndex, term),
  };
}

/** Reports the problems recorded since the last call as safety violations; returns the new count reported. */
export function reportProblems(context: ScenarioContext, cluster: KvCluster, reported: number): number {
  return reportClusterProblems(context, cluster, reported);
}

/**
 * True when every server runs, one leads, no server is being wiped and rejoined, and all applied the same index and
 * hold the same map.
 */
export function converged(cluster: KvCluster): boolean {
  const running = caughtUpServers(cluster);
  if (running === undefined) return false;
  const digest = (running[0] as KvServer).fsm.digest();
  return running.every((server) => server.fsm.digest() === digest);
}

/**
 * True when every server runs, one leads, and all applied its commit index, whatever
 * their maps: a scenario that makes this its progress condition then checks in its
 * final phase that the maps are equal (a safety violation if not, rather than a
 * liveness failure that hides why).
 */
export function caughtUp(cluster: KvCluster): boolean {
  return caughtUpServers(cluster) !== undefined;
}

function caughtUpServers(cluster: KvCluster): KvServer[] | undefined {
  if (cluster.operator?.idle() === false) return undefined;
  return caughtUpReplicas(cluster.servers, cluster.live, (server) => server.node);
}

/** Each server's applied index and map, for violation messages. */
export function describeReplicas(cluster: KvCluster): string {
  return describeServers(
    cluster.servers,
    cluster.live,
    (server) => server.node,
    (server) => server.fsm.digest(),
  );
}
