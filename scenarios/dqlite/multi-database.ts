/**
 * dqlite-multi-database: several databases on one Raft-replicated SQLite cluster,
 * written at once, snapshotted together and restored together.
 *
 * Goal: show that snapshots and restores keep every database whole and apart: a
 * follower that catches up by InstallSnapshot, or restarts from its snapshot and
 * log, ends with each database exactly as the others hold it.
 * Method: three servers with a small Raft snapshot threshold (so snapshots are
 * frequent and cover every database) and a small checkpoint threshold (knobs);
 * three clients insert labelled rows (`<database>/<client>-<n>`, ROW_BYTES each)
 * into the 3 or 4 databases (a knob), each insert into a database picked at random.
 * The swarm's full fault mix hits the servers; besides, a follower is cut off until
 * the others compacted past it, and once it installed a snapshot it is crashed and
 * restarted (dqlite-laggard.ts).
 * Reach: the laggard installs a snapshot holding every database, then starts again
 * from a snapshot (summary: laggardInstalled, laggardRestarted; the probes in
 * DQLITE_MULTI_DATABASE_PROBES). Not an invariant: the swarm's faults on the two
 * other servers may keep them from compacting in time; the tests check that fixed
 * seeds reach it, and a sweep's coverage counts the probes.
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - .rows (final): on every replica each database holds every acknowledged row of
 *   its own, once, no row of another database, none the client was told failed,
 *   and the same rows as every other replica;
 * - .integrity, .replicas-identical (final: checkReplicas, every database);
 * - progress: an insert is acknowledged after the heal and every replica caught up.
 * Variant: the FSM's "restore-swaps-wals" (a multi-database restore bug), and the
 * other dqlite servers' variants (DQLITE_BROKEN_VARIANTS).
 */
import { DqliteClient, DqliteError } from "../../src/impl/dqlite/index.ts";
import type { Env } from "../../src/sim/env.ts";
import { intKnob, pickKnob } from "../../src/sim/knobs.ts";
import type { Random } from "../../src/sim/random.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  caughtUp,
  checkReplicas,
  DQLITE_SCENARIO_BASE,
  quiesce,
  replicaRows,
  reportProblems,
  startDqliteCluster,
  type DqliteCluster,
} from "./cluster.ts";
import { Laggard, type LaggardOutcome } from "./laggard.ts";

const NAME = "dqlite-multi-database";
const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENTS = ["c1", "c2", "c3"] as const;
/** The databases a run may have; a run uses the first `databases` (a knob) of them. */
const DATABASE_NAMES = ["alpha", "beta", "gamma", "delta"] as const;
/** Rows span several per page, so every insert writes frames and the WALs grow to checkpoints. */
const ROW_BYTES = 600;
const THINK_MS_MAX = 10;
const RETRY_MS = 50;
const SAFETY_MS = 3_000;
const QUIESCE_MS_MAX = 5_000;
/** The laggard episode: its first attempt, its last start and when an isolation ends at the latest. */
const LAGGARD_START_MS = 300;
const LAGGARD_LAST_START_MS = 2_000;
const LAGGARD_HEAL_BY_MS = 2_500;
/** Reads a replica's rows of one database: the labels, in insertion order. */
const ROWS_SQL = "SELECT rtrim(v, '.') FROM t ORDER BY id";

/** The probes a run of this scenario exists to reach (its tests check that fixed seeds reach them). */
export const DQLITE_MULTI_DATABASE_PROBES = [
  "raft.snapshot-installed",
  "dqlite.fsm.restored-several-databases",
  "dqlite.node.started-from-snapshot",
] as const;

export const dqliteMultiDatabase: Scenario = {
  name: NAME,
  description:
    "3 dqlite servers, 3 clients inserting into 3 or 4 databases under the swarm's faults, a follower caught up by InstallSnapshot and restarted; every database identical, row by row, on every replica",
  safetyMs: SAFETY_MS,
  livenessMs: 6_000,
  swarm: { hosts: SERVERS },
  ...DQLITE_SCENARIO_BASE,
  knobs: {
    // Defaults (what shrinking moves toward): the fewest databases and the largest thresholds, the quietest runs.
    databases: pickKnob([3, 4], 3),
    snapshotThresholdEntries: intKnob(8, 24, 24),
    trailingLogEntries: intKnob(2, 6, 6),
    checkpointThresholdFrames: intKnob(8, 48, 48),
  },
  rareStates: {
    "snapshot-installed": "raft.snapshot-installed",
    "several-databases-restored": "dqlite.fsm.restored-several-databases",
    "started-from-snapshot": "dqlite.node.started-from-snapshot",
    "leadership-lost-after-apply": "dqlite.leader.leadership-lost-after-apply",
  },
  setup,
};

/** What the clients share and record. */
interface Workload {
  readonly databases: readonly string[];
  /** Databases whose table exists (a CREATE TABLE acknowledged). */
  readonly created: Set<string>;
  running: number;
  lastOkAt: number | undefined;
  /** Labels acknowledged, per database. */
  readonly acknowledged: Map<string, Set<string>>;
  /** Labels the client was told certainly failed. */
  readonly failed: Set<string>;
  /** Every label a client tried to insert. */
  readonly attempted: Set<string>;
  readonly counts: Record<string, number>;
}

function databasesOf(knob: KnobReader): string[] {
  return DATABASE_NAMES.slice(0, knob<number>("databases"));
}

function setup(context: ScenarioContext): ScenarioHooks {
  const { knob } = context;
  const databases = databasesOf(knob);
  const workload: Workload = {
    databases,
    created: new Set(),
    running: CLIENTS.length,
    lastOkAt: undefined,
    acknowledged: new Map(databases.map((name) => [name, new Set()])),
    failed: new Set(),
    attempted: new Set(),
    counts: {},
  };
  const trailingLogEntries = knob<number>("trailingLogEntries");
  const laggard = new Laggard(context, {
    name: NAME,
    trailingLogEntries,
    startAtMs: LAGGARD_START_MS,
    lastStartMs: LAGGARD_LAST_START_MS,
    healByMs: LAGGARD_HEAL_BY_MS,
    ready: () => workload.created.size === databases.length,
  });
  const cluster = startDqliteCluster(context, {
    servers: SERVERS,
    variant: context.variant,
    node: {
      checkpointThresholdFrames: knob<number>("checkpointThresholdFrames"),
      raft: { snapshotThresholdEntries: knob<number>("snapshotThresholdEntries"), trailingLogEntries },
    },
    watchTrace: (host, kind, fields) => laggard.watch(host, kind, fields),
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  for (const host of CLIENTS) startClient(context, workload, host, healedAndAcknowledged);
  let reported = 0;
  const report = () => {
    reported = reportProblems(context, cluster, reported);
  };
  return {
    check: () => {
      report();
      laggard.step(cluster);
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, workload, report),
    summary: () => summary(workload, laggard.outcome(), cluster),
  };
}

function summary(workload: Workload, laggard: LaggardOutcome, cluster: DqliteCluster): Record<string, number | string> {
  const acknowledged = Object.fromEntries(
    [...workload.acknowledged].map(([database, labels]) => [`acknowledged:${database}`, labels.size]),
  );
  return {
    ...workload.counts,
    ...acknowledged,
    laggard: laggard.host ?? "none",
    laggardAttempts: laggard.attempts,
    laggardInstalled: laggard.installedDatabases ?? 0,
    laggardRestarted: String(laggard.restartedFromSnapshot),
    terms: cluster.leadersByTerm.size,
    ...cluster.failures,
  };
}

function startClient(context: ScenarioContext, workload: Workload, host: string, stop: () => boolean): void {
  const random = context.random.fork(`client/${host}`);
  context.world
    .addHost(host, async (env) => {
      try {
        await runClient(env, random, workload, stop);
      } finally {
        workload.running--;
      }
    })
    .start();
}

function tally(workload: Workload, name: string): void {
  workload.counts[name] = (workload.counts[name] ?? 0) + 1;
}

/** One client: creates the table in every database, then inserts labelled rows into random databases until `stop`. */
async function runClient(env: Env, random: Random, workload: Workload, stop: () => boolean): Promise<void> {
  const client = new DqliteClient(env, {
    servers: SERVERS,
    operationTimeoutMs: 1_500,
    callDeadlineMs: 400,
    attemptsMax: 20,
  });
  for (const database of random.shuffle(workload.databases)) await createTable(env, client, workload, database);
  for (let sequence = 0; !stop(); sequence++) {
    const database = random.pick(workload.databases);
    const label = `${database}/${env.host}-${sequence}`;
    workload.attempted.add(label);
    const traced = invokeOperation(env, "insert", { database, label });
    try {
      await client.exec("INSERT INTO t (v) VALUES (?)", [label.padEnd(ROW_BYTES, ".")], database);
      traced.ok();
      workload.acknowledged.get(database)?.add(label);
      workload.lastOkAt = env.clock.now();
      tally(workload, "insert:ok");
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      if (!error.outcomeUnknown) workload.failed.add(label);
      tally(workload, `insert:${error.outcomeUnknown ? "unknown" : "failed"}`);
    }
    await env.clock.sleep(random.int(0, THINK_MS_MAX));
  }
}

/**
 * Creates `t` in `database`, retrying until acknowledged (IF NOT EXISTS: a retry after an unknown outcome is harmless).
 */
async function createTable(env: Env, client: DqliteClient, workload: Workload, database: string): Promise<void> {
  for (;;) {
    const traced = invokeOperation(env, "create", { database });
    try {
      await client.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", [], database);
      traced.ok();
      workload.created.add(database);
      return;
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      tally(workload, `create:${error.name}`);
    }
    await env.clock.sleep(RETRY_MS);
  }
}

/** Lets the clients stop and the replicas catch up; then every database's rows on every replica, and checkReplicas. */
async function finish(
  context: ScenarioContext,
  cluster: DqliteCluster,
  workload: Workload,
  report: () => void,
): Promise<void> {
  await quiesce(context, cluster, () => workload.running > 0, QUIESCE_MS_MAX);
  report();
  for (const database of workload.databases)
    checkRows(context, workload, database, await replicaRows(context, cluster, database, ROWS_SQL));
  await checkReplicas(context, cluster, workload.databases, NAME);
}

/** The rows invariant for one database, on every replica (see the file's comment). */
function checkRows(
  context: ScenarioContext,
  workload: Workload,
  database: string,
  found: ReadonlyMap<string, unknown[][] | string>,
): void {
  const problems: string[] = [];
  let reference: { host: string; labels: string } | undefined;
  for (const [host, rows] of found) {
    if (typeof rows === "string") {
      problems.push(`${host}: ${rows}`);
      continue;
    }
    const labels = rows.map((row) => String(row[0]));
    problems.push(...labelProblems(workload, database, labels).map((problem) => `${host}: ${problem}`));
    const joined = labels.join(",");
    reference ??= { host, labels: joined };
    if (joined !== reference.labels)
      problems.push(`${host}: its ${labels.length} rows differ from ${reference.host}'s`);
  }
  if (problems.length > 0)
    context.world.violate({
      invariant: `${NAME}.rows`,
      kind: "safety",
      details: `${database}: ${problems.join("; ").slice(0, 800)}`,
    });
}

/**
 * What is wrong with one replica's labels of `database`: acknowledged ones missing, duplicates, failed ones, another
 * database's or unknown ones.
 */
function labelProblems(workload: Workload, database: string, labels: readonly string[]): string[] {
  const problems: string[] = [];
  const present = new Set(labels);
  const missing = [...(workload.acknowledged.get(database) ?? [])].filter((label) => !present.has(label));
  if (missing.length > 0)
    problems.push(`${missing.length} acknowledged rows missing (${missing.slice(0, 3).join(", ")})`);
  if (present.size !== labels.length) problems.push(`${labels.length - present.size} rows present twice`);
  const failed = labels.filter((label) => workload.failed.has(label));
  if (failed.length > 0) problems.push(`rows the client was told failed (${failed.slice(0, 3).join(", ")})`);
  const foreign = labels.filter((label) => !label.startsWith(`${database}/`));
  if (foreign.length > 0)
    problems.push(`${foreign.length} rows of another database (${foreign.slice(0, 3).join(", ")})`);
  const unknown = labels.filter((label) => label.startsWith(`${database}/`) && !workload.attempted.has(label));
  if (unknown.length > 0) problems.push(`${unknown.length} rows no client wrote (${unknown.slice(0, 3).join(", ")})`);
  return problems;
}
