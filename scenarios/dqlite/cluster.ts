/**
 * The server side of the dqlite scenarios: one host per dqlite server
 * (runDqliteServer with wa-sqlite on the host's simulated disk), each under a
 * supervisor that restarts the host's process (a clean stop, the disk kept) after
 * a failed start or a fatal stop (Raft's storage failed, or the node stopped
 * serving because its copy lacks what Raft committed), for as long as the run lasts, after a backoff that
 * doubles up to RESTART_BACKOFF_MS_MAX (supervisor.ts's; it resets once a process ran long). A
 * fresh process, not a second start in the same one: a stopped node does not
 * release its ports. The records the scenarios check
 * continuously:
 * - raft.election-safety: at most one leader per term (from the leadership observers);
 * - dqlite.fsm-invariant: no FSM invariant violation on any node (the FSM records
 *   them instead of throwing; they are collected from live nodes and from a node
 *   when it stops).
 * Every node's Raft observer also feeds the committed log's model of the databases
 * (dqlite-committed-log.ts), which the final checks hold every node's copy to.
 */
import {
  CHECKPOINT_THRESHOLD_FRAMES,
  PAGE_SIZE,
  runDqliteServer,
  type DqliteNode,
  type DqliteNodeOptions,
  type RunningDqliteServer,
} from "../../src/impl/dqlite/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { RaftObserver } from "../../src/impl/raft/node/observer.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import { intKnob, pickKnob } from "../../src/sim/knobs.ts";
import {
  DEFAULT_ELECTION_TIMEOUT_TICKS,
  DEFAULT_MAX_ENTRIES_PER_APPEND,
  DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES,
  DEFAULT_TRAILING_LOG_ENTRIES,
} from "../../src/impl/raft/index.ts";
import type { RaftSafetyChecker } from "../../src/impl/raft/testing/safety-checker.ts";
import { CommittedDatabases } from "./committed-log.ts";
import {
  DATABASE_FILES_BROKEN_VARIANTS,
  DQLITE_FSM_BROKEN_VARIANTS,
  DQLITE_LEADER_BROKEN_VARIANTS,
  dqliteParts,
} from "./variants.ts";
import {
  declareLeaderRole,
  newRaftSafety,
  observeElectionSafety,
  raftObserverOf,
  reportClusterProblems,
} from "../harness/cluster-records.ts";
import { caughtUpServers as caughtUpReplicas } from "../harness/caught-up.ts";
import { RestartBackoff } from "../harness/supervisor.ts";
import type { KnobReader, Scenario, ScenarioContext } from "../../src/sim/runner.ts";
import { createWaSqliteModule } from "../../src/sim/wasm/wa-sqlite-module.ts";
import type { World } from "../../src/sim/world.ts";

/** Steps of 1 ms that `settle` runs the world at most while waiting on simulated I/O. */
const SETTLE_STEPS_MAX = 20_000;

export interface DqliteClusterOptions {
  readonly servers: readonly string[];
  /** The scenario's variant name: one of DQLITE_BROKEN_VARIANTS, or undefined. */
  readonly variant?: string;
  /** The run's tuning (dqliteTuningOf its knobs); `node` overrides it. */
  readonly tuning?: ClusterNodeOptions;
  /** More node options (cache size, checkpoint threshold, Raft settings). */
  readonly node?: ClusterNodeOptions;
  /** Per-host node options, over `node` (e.g. election timeouts that decide who leads next). */
  readonly nodeFor?: (host: string) => ClusterNodeOptions;
  /** Sees every trace record a server makes, synchronously (scenarios cut the network at chosen points). */
  readonly watchTrace?: (host: string, kind: string, fields: Record<string, unknown> | undefined) => void;
  /**
   * The Env a server runs with, made from the one the kit gives it (tests: a log of its probes and traces, a disk that
   * holds a write until a chosen moment).
   */
  readonly env?: (env: Env) => Env;
}

/**
 * Node options a cluster's servers take. `parts` is for tests that break one server's part (a scenario names its
 * variant in `variant`, which replaces them).
 */
export type ClusterNodeOptions = Partial<Omit<DqliteNodeOptions, "sqlite" | "bootstrapVoters">>;

/**
 * The configuration the swarm draws for the dqlite scenarios that take it (bank,
 * register, zombies): when the WAL is checkpointed (go-dqlite's 1,000 frames, or
 * far sooner, so that checkpoints happen in short runs) and the Raft tuning. The
 * defaults (what shrinking moves toward) are go-dqlite's and the Raft node's.
 */
export const DQLITE_KNOBS = {
  checkpointThresholdFrames: pickKnob([8, 64, CHECKPOINT_THRESHOLD_FRAMES], CHECKPOINT_THRESHOLD_FRAMES),
  electionTimeoutTicks: intKnob(5, 20, DEFAULT_ELECTION_TIMEOUT_TICKS),
  snapshotThresholdEntries: pickKnob([16, 64, 256], DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES),
  trailingLogEntries: pickKnob([0, 8, 64], DEFAULT_TRAILING_LOG_ENTRIES),
  maxEntriesPerAppend: pickKnob([1, 8, 64], DEFAULT_MAX_ENTRIES_PER_APPEND),
} as const satisfies Scenario["knobs"];

/** The node options the knobs give. */
export function dqliteTuningOf(knob: KnobReader): ClusterNodeOptions {
  return {
    checkpointThresholdFrames: knob<number>("checkpointThresholdFrames"),
    raft: {
      electionTimeoutTicks: knob<number>("electionTimeoutTicks"),
      snapshotThresholdEntries: knob<number>("snapshotThresholdEntries"),
      trailingLogEntries: knob<number>("trailingLogEntries"),
      maxEntriesPerAppend: knob<number>("maxEntriesPerAppend"),
    },
  };
}

/** Broken variants of the cluster's recovery (the supervisor here). */
export const DQLITE_CLUSTER_BROKEN_VARIANTS = {
  "no-restart-after-node-failure":
    "a server that stopped itself (its copy lacks what Raft committed) is left down instead of being restarted to rebuild from the snapshot and log",
} as const;

/** What the supervisor does when a server's node stopped itself (a seam: a broken policy leaves the server down). */
interface SupervisorPolicy {
  /** True to restart a server whose node stopped itself (its copy lacks what Raft committed). */
  readonly restartsAfterNodeFailure: boolean;
}

/** The supervisor's own policy: a server that stopped itself is restarted, to rebuild from the snapshot and log. */
const SUPERVISOR_POLICY: SupervisorPolicy = { restartsAfterNodeFailure: true };

const BROKEN_SUPERVISOR_POLICIES: Readonly<Record<keyof typeof DQLITE_CLUSTER_BROKEN_VARIANTS, SupervisorPolicy>> = {
  "no-restart-after-node-failure": { restartsAfterNodeFailure: false },
};

/** The supervisor's policy under `variant` (its own unless it names one of DQLITE_CLUSTER_BROKEN_VARIANTS). */
function supervisorPolicyOf(variant: string | undefined): SupervisorPolicy {
  return variant !== undefined && Object.hasOwn(BROKEN_SUPERVISOR_POLICIES, variant)
    ? BROKEN_SUPERVISOR_POLICIES[variant as keyof typeof DQLITE_CLUSTER_BROKEN_VARIANTS]
    : SUPERVISOR_POLICY;
}

/** Every broken variant of a dqlite cluster: the leader's, the FSM's, the database files' and the supervisor's. */
export const DQLITE_BROKEN_VARIANTS: Readonly<Record<string, string>> = {
  ...DQLITE_LEADER_BROKEN_VARIANTS,
  ...DQLITE_FSM_BROKEN_VARIANTS,
  ...DATABASE_FILES_BROKEN_VARIANTS,
  ...DQLITE_CLUSTER_BROKEN_VARIANTS,
};

/** The node options that select `variant`: its broken parts (variants.ts), none for a supervisor variant. */
export function variantOptions(variant: string | undefined): Pick<DqliteNodeOptions, "parts"> {
  if (variant === undefined || variant in DQLITE_CLUSTER_BROKEN_VARIANTS) return {};
  return { parts: dqliteParts(variant) };
}

/** What the cluster's hosts record as they run. */
export interface DqliteCluster {
  readonly servers: readonly string[];
  /** The server each host runs now (removed when its process dies). */
  readonly live: Map<string, RunningDqliteServer>;
  readonly leadersByTerm: Map<number, string>;
  readonly problems: Array<{ readonly invariant: string; readonly host: string; readonly details: string }>;
  readonly failures: Record<string, number>;
  /** Raft's safety properties across the servers, from their observers. */
  readonly raftSafety: RaftSafetyChecker;
  /** What the entries the servers applied say each database holds. */
  readonly committed: CommittedDatabases;
}

/** What every dqlite scenario shares: the runaway guard, the broken variants, the probes it reports, its disks. */
export const DQLITE_SCENARIO_BASE = {
  maxEvents: 2_000_000,
  variants: DQLITE_BROKEN_VARIANTS,
  probePrefixes: ["dqlite.", "raft."],
  roles: ["leader"],
  createDisks: () => createSimDisks(),
} as const satisfies Partial<Scenario>;

/** Adds and starts one host per server; returns the records they fill. */
export function startDqliteCluster(context: ScenarioContext, options: DqliteClusterOptions): DqliteCluster {
  const cluster: DqliteCluster = {
    servers: options.servers,
    live: new Map(),
    leadersByTerm: new Map(),
    problems: [],
    failures: {},
    raftSafety: newRaftSafety(),
    committed: new CommittedDatabases(),
  };
  const backoffs = new Map<string, { policy: RestartBackoff; lastAt: number }>();
  const { world } = context;
  const policy = supervisorPolicyOf(options.variant);
  /** Restarts `host`'s process after the backoff, unless it was restarted meanwhile (by the fault plan). */
  const restart = (host: string, incarnation: number) => {
    const backoff = backoffs.get(host) ?? { policy: new RestartBackoff(), lastAt: Number.NEGATIVE_INFINITY };
    const backoffMs = backoff.policy.after(world.now - backoff.lastAt);
    backoffs.set(host, { policy: backoff.policy, lastAt: world.now });
    world.scheduler.schedule(backoffMs, () => {
      const process = world.host(host);
      if (process.incarnations !== incarnation || process.incarnation === undefined) return;
      process.stop();
      process.start();
    });
  };
  for (const host of options.servers) {
    const process = world.addHost(host, (env) =>
      supervise(env, cluster, options, policy, () => restart(host, process.incarnations)),
    );
    process.start();
  }
  declareLeaderRole(context, () => [...cluster.live].map(([host, running]) => [host, running.node.raft]));
  return cluster;
}

function count(cluster: DqliteCluster, name: string): void {
  cluster.failures[name] = (cluster.failures[name] ?? 0) + 1;
}

/** FSM violations already turned into problems, per node object (one per incarnation). */
const collected = new WeakMap<DqliteNode, number>();

/** Moves the FSM violations `node` recorded since the last call into the problems. */
function collectFsmViolations(cluster: DqliteCluster, host: string, node: DqliteNode): void {
  const violations = node.fsm.violations;
  let seen = collected.get(node) ?? 0;
  for (; seen < violations.length; seen++) {
    const violation = violations[seen];
    if (violation === undefined) continue;
    cluster.problems.push({
      invariant: "dqlite.fsm-invariant",
      host,
      details: `${violation.command} at index ${violation.index} (term ${violation.term}): ${violation.message}`,
    });
  }
  collected.set(node, seen);
}

async function supervise(
  hostEnv: Env,
  cluster: DqliteCluster,
  options: DqliteClusterOptions,
  policy: SupervisorPolicy,
  restart: () => void,
): Promise<void> {
  const traced = watched(hostEnv, options.watchTrace);
  const env = options.env?.(traced) ?? traced;
  env.lifetime.signal.addEventListener("abort", () => {
    const running = cluster.live.get(env.host);
    if (running !== undefined) collectFsmViolations(cluster, env.host, running.node);
    cluster.live.delete(env.host);
  });
  let running: RunningDqliteServer;
  try {
    const node = { ...options.tuning, ...options.node, ...options.nodeFor?.(env.host) };
    const observer = alsoOnApplied(raftObserverOf(cluster, env.host, env.hash.crc32), (entry) =>
      cluster.committed.applied(entry),
    );
    const raft = { ...options.tuning?.raft, ...options.node?.raft, ...options.nodeFor?.(env.host).raft, observer };
    running = await runDqliteServer(env, {
      ...node,
      raft,
      sqlite: createWaSqliteModule,
      bootstrapVoters: options.servers,
      ...variantOptions(options.variant),
    });
  } catch (error) {
    count(cluster, `start:${error instanceof Error ? error.name : "unknown"}`);
    restart();
    return;
  }
  cluster.live.set(env.host, running);
  observeElectionSafety(running.node.raft, env.host, cluster, "raft.election-safety");
  const reason = await running.terminated;
  collectFsmViolations(cluster, env.host, running.node);
  cluster.live.delete(env.host);
  if (reason !== undefined) count(cluster, `stopped:${reason.name}`);
  // The node stops itself (a clean Raft shutdown) when its copy could not keep up with what Raft committed.
  else if (running.node.failure() !== undefined && policy.restartsAfterNodeFailure)
    count(cluster, "stopped:node-failed");
  else return;
  restart();
}

/** `env`, also telling `watch` (if any) of every trace record. */
function watched(env: Env, watch: DqliteClusterOptions["watchTrace"]): Env {
  if (watch === undefined) return env;
  return {
    ...env,
    trace: (kind, fields) => {
      env.trace(kind, fields);
      watch(env.host, kind, fields);
    },
  };
}

/** `observer`, also telling `onApplied` of every entry the node applied. */
function alsoOnApplied(
  observer: RaftObserver | undefined,
  onApplied: RaftObserver["applied"],
): RaftObserver | undefined {
  if (observer === undefined) return undefined;
  return {
    ...observer,
    applied: (entry) => {
      observer.applied(entry);
      onApplied(entry);
    },
  };
}

/**
 * Reports the problems recorded since the last call (and live nodes' new FSM violations) as safety violations; returns
 * the new count reported.
 */
export function reportProblems(context: ScenarioContext, cluster: DqliteCluster, reported: number): number {
  for (const [host, running] of cluster.live) collectFsmViolations(cluster, host, running.node);
  return reportClusterProblems(context, cluster, reported);
}

/** True when every server runs, one is a ready leader, and all applied the leader's commit index. */
export function caughtUp(cluster: DqliteCluster): boolean {
  return (
    caughtUpReplicas(
      cluster.servers,
      cluster.live,
      (server) => server.node.raft,
      (server) => server.node.isReadyLeader(),
    ) !== undefined
  );
}

/**
 * Waits for a promise whose work needs simulated time (disk reads), running the
 * world meanwhile: the finish phase runs outside the scheduler's loop.
 */
export async function settle<T>(world: World, promise: Promise<T>): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  // Observed now, awaited below: a rejection is not "unhandled" while the world runs.
  tracked.catch(() => undefined);
  for (let step = 0; step < SETTLE_STEPS_MAX && !done; step++) await world.scheduler.run({ untilTime: world.now + 1 });
  if (!done) {
    throw new Error(`simulated work did not finish within ${SETTLE_STEPS_MAX} ms`);
  }
  return tracked;
}

/**
 * PRAGMA integrity_check of `filename` on one node (["ok"] when sound). A ready
 * leader (or a deposed one) keeps its own connection open and another gets
 * SQLITE_BUSY: then the check runs on that connection, under the database's lock.
 */
export async function integrityCheck(node: DqliteNode, filename: string): Promise<string[]> {
  try {
    return await node.engine.integrityCheck(filename);
  } catch (error) {
    if (!String(error).includes("locked")) throw error;
  }
  return (await execOnNode(node, filename, "PRAGMA integrity_check")).map((row) => String(row[0]));
}

/**
 * Runs `sql` on a node's own connection to `filename`, under the database's lock (the final checks read the leader's
 * copy this way).
 */
export async function execOnNode(
  node: DqliteNode,
  filename: string,
  sql: string,
): Promise<ReadonlyArray<readonly unknown[]>> {
  const release = await node.lock(filename).acquire();
  try {
    return (await (await node.connection(filename)).exec(sql)).rows;
  } finally {
    release();
  }
}

/**
 * The rows of `sql` read on `node`'s own copy of `filename`: on a connection of its
 * own, closed without checkpointing (a follower's files stay as the FSM wrote
 * them); on a leader, whose own connection holds the database, on that connection
 * under the database's lock. SQLite's errors (a malformed database) propagate.
 */
export async function rowsOnNode(node: DqliteNode, filename: string, sql: string): Promise<unknown[][]> {
  try {
    const connection = await node.engine.open(filename);
    try {
      return (await connection.exec(sql)).rows.map((row) => [...row]);
    } finally {
      await connection.close();
    }
  } catch (error) {
    if (!String(error).includes("locked")) throw error;
  }
  return (await execOnNode(node, filename, sql)).map((row) => [...row]);
}

/**
 * Every server's rows of `sql` on its own copy of `database`, running the world
 * meanwhile: "down" for a server not running, "missing" for one that does not have
 * the database, the error's text when the read failed.
 */
export async function replicaRows(
  context: ScenarioContext,
  cluster: DqliteCluster,
  database: string,
  sql: string,
): Promise<Map<string, unknown[][] | string>> {
  const found = new Map<string, unknown[][] | string>();
  for (const host of cluster.servers) {
    const node = cluster.live.get(host)?.node;
    if (node === undefined) found.set(host, "down");
    else if (node.store.get(database) === undefined) found.set(host, "missing");
    else
      found.set(
        host,
        await settle(context.world, rowsOnNode(node, database, sql)).catch(
          (error: unknown) => `read failed: ${String(error)}`,
        ),
      );
  }
  return found;
}

/**
 * The rows of `sql` on the ready leader's copy of `filename` (undefined without a ready leader), running the world
 * meanwhile.
 */
export async function queryLeader(
  context: ScenarioContext,
  cluster: DqliteCluster,
  filename: string,
  sql: string,
): Promise<ReadonlyArray<readonly unknown[]> | undefined> {
  const leader = [...cluster.live.values()].find((running) => running.node.isReadyLeader());
  if (leader === undefined) return undefined;
  return settle(context.world, execOnNode(leader.node, filename, sql));
}

/** Runs the world until `busy` is false and every replica caught up, or `maxMs` passed. */
export async function quiesce(
  context: ScenarioContext,
  cluster: DqliteCluster,
  busy: () => boolean,
  maxMs: number,
): Promise<void> {
  const { world } = context;
  const deadline = world.now + maxMs;
  while ((busy() || !caughtUp(cluster)) && world.now < deadline)
    await world.scheduler.run({ untilTime: world.now + 10 });
}

/**
 * The final checks of every dqlite scenario, per database: `${prefix}.integrity`
 * (PRAGMA integrity_check is ok on every replica), `${prefix}.matches-committed-log`
 * (every replica that applied the whole committed log holds exactly what it says:
 * the committed transactions' frames, none of an undone or unfinished one; see
 * dqlite-committed-log.ts) and `${prefix}.replicas-identical` (every replica's
 * logical database, the file with its committed WAL frames applied, is
 * byte-identical; a server that is down counts as different).
 */
export async function checkReplicas(
  context: ScenarioContext,
  cluster: DqliteCluster,
  databases: readonly string[],
  prefix: string,
): Promise<void> {
  const { world } = context;
  const logProblem = cluster.committed.problem;
  if (logProblem !== undefined)
    world.violate({
      invariant: `${prefix}.matches-committed-log`,
      kind: "safety",
      details: `the committed log is incomplete: ${logProblem}`,
    });
  for (const database of databases) {
    const images: string[] = [];
    for (const host of cluster.servers) {
      const running = cluster.live.get(host);
      if (running === undefined) {
        images.push(`${host}: down`);
        continue;
      }
      const files = running.node.store.get(database);
      const image = files === undefined ? new Uint8Array() : await settle(world, files.image());
      images.push(Buffer.from(image).toString("hex"));
      await checkAgainstLog(context, cluster, host, running, database, image, prefix);
      const integrity = await settle(world, integrityCheck(running.node, database)).catch((error: unknown) => [
        `integrity_check failed: ${String(error)}`,
      ]);
      if (integrity.length !== 1 || integrity[0] !== "ok") {
        world.violate({
          invariant: `${prefix}.integrity`,
          kind: "safety",
          host,
          details: `${database}: ${integrity.join("; ").slice(0, 500)}`,
        });
      }
    }
    if (new Set(images).size !== 1) {
      const digests = cluster.servers.map((host, i) => `${host}: ${digest(images[i] ?? "")}`).join("; ");
      world.violate({
        invariant: `${prefix}.replicas-identical`,
        kind: "safety",
        details: `the replicas' copies of ${database} differ (${digests})`,
      });
    }
  }
}

/**
 * `${prefix}.matches-committed-log` for one replica's copy of `database`, read back
 * from its files (`image`), if the replica applied exactly the log the model folded
 * (one behind or ahead is left to replicas-identical and progress).
 */
async function checkAgainstLog(
  context: ScenarioContext,
  cluster: DqliteCluster,
  host: string,
  running: RunningDqliteServer,
  database: string,
  image: Uint8Array,
  prefix: string,
): Promise<void> {
  const applied = Number(running.node.raft.stats().applied_index);
  const checked = applied === cluster.committed.index;
  context.world.record(host, "dqlite.checked-against-log", {
    database,
    applied,
    logIndex: cluster.committed.index,
    checked,
  });
  if (!checked) return;
  const template = await settle(context.world, running.node.engine.emptyDatabaseImage());
  const expected = cluster.committed.image(database, template) ?? new Uint8Array();
  const difference = firstDifference(image, expected);
  if (difference === undefined) return;
  context.world.violate({
    invariant: `${prefix}.matches-committed-log`,
    kind: "safety",
    host,
    details: `${host}'s ${database} after index ${applied} differs from the committed transactions' frames: ${difference}`,
  });
}

/** Where two database images differ (page and byte, or sizes), undefined when equal. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const length = Math.min(actual.length, expected.length);
  for (let offset = 0; offset < length; offset++) {
    if (actual[offset] === expected[offset]) continue;
    return `page ${Math.floor(offset / PAGE_SIZE) + 1} differs at byte ${offset % PAGE_SIZE}`;
  }
  if (actual.length !== expected.length)
    return `${actual.length / PAGE_SIZE} pages, the log says ${expected.length / PAGE_SIZE}`;
  return undefined;
}

/** A short, deterministic summary of a hex image for messages. */
function digest(hex: string): string {
  if (hex.endsWith("down")) return hex;
  let hash = 0;
  for (let i = 0; i < hex.length; i++) hash = (Math.imul(hash, 31) + hex.charCodeAt(i)) | 0;
  return `${hex.length / 2} bytes #${(hash >>> 0).toString(16)}`;
}
