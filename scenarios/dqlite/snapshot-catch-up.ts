/**
 * dqlite-snapshot-catch-up: a dqlite follower left behind past log compaction.
 *
 * Goal: show that a follower cut off while the leader compacts its Raft log
 * catches up by InstallSnapshot (the FSM restores every database from it), that the
 * same server restarted later rebuilds its databases from its snapshot and log,
 * and that all replicas end identical and hold what the client was told.
 * Method: three servers with a small snapshot threshold (16 entries, 4 kept) and
 * a small checkpoint threshold (16 frames, so Checkpoint commands are in the log
 * the follower catches up on), and one
 * client (c1) inserting rows of ROW_BYTES (so the rows span many pages and a lost
 * page loses rows), each labelled. The scenario's own faults (no swarm plan): the
 * laggard episode of dqlite-laggard.ts, from LAGGARD_START_MS: a follower of the
 * ready leader is isolated until the others compacted their logs past it (or
 * LAGGARD_HEAL_BY_MS), then healed; once it has installed a snapshot it runs a
 * little more, crashes (still in the safety phase) and starts again. Healing on
 * compaction, not after a fixed time, keeps the episode inside the safety phase
 * when an election comes late (buggify's dropped messages delayed the first leader
 * past 1 s: with a fixed 700 ms isolation the install came after the safety phase
 * and the restart never happened).
 * Variants: the dqlite servers' (DQLITE_BROKEN_VARIANTS) and two of the Raft node's:
 * "ignore-install-snapshot-state" (the follower keeps its own databases when it
 * installs a snapshot), which this scenario exists to catch, and "no-snapshot-retry"
 * (a refused snapshot is asked for again only when the next entry applies: a dqlite
 * leader never snapshots, so the laggard has no snapshot to install).
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - dqlite-snapshot-catch-up.snapshot-installed (final, liveness kind): the isolated
 *   follower installed a snapshot; otherwise the run did not test catch-up;
 * - dqlite-snapshot-catch-up.restart-from-snapshot (final, liveness kind): the
 *   restarted follower restored a snapshot at start;
 * - dqlite-snapshot-catch-up.rows (final): the leader's table holds every row
 *   acknowledged to the client, once, and no row the client was told failed;
 * - dqlite-snapshot-catch-up.integrity, .replicas-identical (final: checkReplicas);
 * - progress: a row is acknowledged after the heal and every replica caught up.
 */
import { DqliteClient, DqliteError } from "../../src/impl/dqlite/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { Random } from "../../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  caughtUp,
  checkReplicas,
  DQLITE_BROKEN_VARIANTS,
  DQLITE_SCENARIO_BASE,
  queryLeader,
  quiesce,
  reportProblems,
  startDqliteCluster,
  type DqliteCluster,
} from "./cluster.ts";
import { Laggard, type LaggardOutcome } from "./laggard.ts";
import { BROKEN_NODE_VARIANTS, withVariant, type BrokenNodeVariant } from "../raft-kv/variants.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENT = "c1";
const DATABASE = "db";
const NAME = "dqlite-snapshot-catch-up";
/** The Raft node's variants this scenario offers (the others are raft-kv's). */
const RAFT_VARIANTS: readonly BrokenNodeVariant[] = ["ignore-install-snapshot-state", "no-snapshot-retry"];
const ROW_BYTES = 1_000;
const SAFETY_MS = 2_200;
/** The servers' log kept behind a snapshot (small, so a short isolation falls behind it). */
const TRAILING_LOG_ENTRIES = 4;
const LAGGARD_START_MS = 300;
/**
 * The last moment a laggard attempt starts, and the latest heal: an install, a crash and a restart must fit after them.
 */
const LAGGARD_LAST_START_MS = 1_500;
const LAGGARD_HEAL_BY_MS = 1_800;
const THINK_MS_MAX = 10;
const RETRY_MS = 50;
const QUIESCE_MS_MAX = 5_000;

export const dqliteSnapshotCatchUp: Scenario = {
  name: NAME,
  description:
    "a dqlite follower isolated past log compaction catches up by InstallSnapshot; restarted from snapshot and log, its databases equal the others'",
  safetyMs: SAFETY_MS,
  livenessMs: 4_000,
  ...DQLITE_SCENARIO_BASE,
  variants: {
    ...DQLITE_BROKEN_VARIANTS,
    ...Object.fromEntries(RAFT_VARIANTS.map((name) => [name, BROKEN_NODE_VARIANTS[name]])),
  },
  rareStates: { "snapshot-sent": "raft.snapshot-sent", "snapshot-installed": "raft.snapshot-installed" },
  setup,
};

/** What the client and the fault schedule record. */
interface Run {
  lastOkAt: number | undefined;
  running: boolean;
  readonly acknowledged: Set<string>;
  readonly failed: Set<string>;
  readonly counts: Record<string, number>;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const run: Run = { lastOkAt: undefined, running: true, acknowledged: new Set(), failed: new Set(), counts: {} };
  const raftVariant = RAFT_VARIANTS.find((name) => name === context.variant);
  let created = false;
  const laggard = new Laggard(context, {
    name: NAME,
    trailingLogEntries: TRAILING_LOG_ENTRIES,
    startAtMs: LAGGARD_START_MS,
    lastStartMs: LAGGARD_LAST_START_MS,
    healByMs: LAGGARD_HEAL_BY_MS,
    ready: () => created,
  });
  const cluster = startDqliteCluster(context, {
    servers: SERVERS,
    ...(context.variant !== undefined && raftVariant === undefined ? { variant: context.variant } : {}),
    node: {
      checkpointThresholdFrames: 16,
      raft: withVariant({ snapshotThresholdEntries: 16, trailingLogEntries: TRAILING_LOG_ENTRIES }, raftVariant),
    },
    watchTrace: (host, kind, fields) => laggard.watch(host, kind, fields),
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && run.lastOkAt !== undefined && run.lastOkAt >= since;
  };
  const random = context.random.fork(`client/${CLIENT}`);
  world
    .addHost(CLIENT, async (env) => {
      try {
        await runWriter(env, random, run, healedAndAcknowledged, () => {
          created = true;
        });
      } finally {
        run.running = false;
      }
    })
    .start();
  let reported = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      laggard.step(cluster);
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, run, laggard.outcome()),
    summary: () => ({
      ...run.counts,
      laggard: laggard.outcome().host ?? "none",
      laggardAttempts: laggard.outcome().attempts,
      terms: cluster.leadersByTerm.size,
      ...cluster.failures,
    }),
  };
}

function tally(run: Run, name: string): void {
  run.counts[name] = (run.counts[name] ?? 0) + 1;
}

/** Creates the table, then inserts labelled rows until `stop`, recording each outcome. */
async function runWriter(
  env: Env,
  random: Random,
  run: Run,
  stop: () => boolean,
  onCreated: () => void,
): Promise<void> {
  const client = new DqliteClient(env, {
    servers: SERVERS,
    database: DATABASE,
    operationTimeoutMs: 1_500,
    callDeadlineMs: 400,
    attemptsMax: 20,
  });
  for (;;) {
    const traced = invokeOperation(env, "create");
    try {
      await client.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
      traced.ok();
      onCreated();
      break;
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      tally(run, `create:${error.name}`);
    }
    await env.clock.sleep(RETRY_MS);
  }
  for (let sequence = 0; !stop(); sequence++) {
    const label = `${CLIENT}-${sequence}`;
    const traced = invokeOperation(env, "insert", { label });
    try {
      await client.exec("INSERT INTO t (v) VALUES (?)", [label.padEnd(ROW_BYTES, ".")]);
      traced.ok();
      run.acknowledged.add(label);
      run.lastOkAt = env.clock.now();
      tally(run, "insert:ok");
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      if (!error.outcomeUnknown) run.failed.add(label);
      tally(run, `insert:${error.outcomeUnknown ? "unknown" : "failed"}`);
    }
    await env.clock.sleep(random.int(0, THINK_MS_MAX));
  }
}

async function finish(
  context: ScenarioContext,
  cluster: DqliteCluster,
  run: Run,
  laggard: LaggardOutcome,
): Promise<void> {
  const { world } = context;
  await quiesce(context, cluster, () => run.running, QUIESCE_MS_MAX);
  if (laggard.installedDatabases === undefined) {
    world.violate({
      invariant: `${NAME}.snapshot-installed`,
      kind: "liveness",
      details: `the isolated follower (${laggard.host ?? "none"}, ${laggard.attempts} attempts) caught up without InstallSnapshot`,
    });
  } else if (!laggard.restartedFromSnapshot) {
    world.violate({
      invariant: `${NAME}.restart-from-snapshot`,
      kind: "liveness",
      details: `the restarted follower (${laggard.host ?? "none"}) did not restore a snapshot at start`,
    });
  }
  const labels = await queryLeader(context, cluster, DATABASE, "SELECT rtrim(v, '.') FROM t ORDER BY id");
  if (labels !== undefined)
    checkRows(
      context,
      run,
      labels.map((row) => String(row[0])),
    );
  await checkReplicas(context, cluster, [DATABASE], NAME);
}

function checkRows(context: ScenarioContext, run: Run, labels: readonly string[]): void {
  const present = new Set(labels);
  const problems: string[] = [];
  const missing = [...run.acknowledged].filter((label) => !present.has(label));
  if (missing.length > 0)
    problems.push(`${missing.length} acknowledged rows missing (${missing.slice(0, 5).join(", ")})`);
  if (present.size !== labels.length) problems.push(`${labels.length - present.size} rows present twice`);
  const failed = labels.filter((label) => run.failed.has(label));
  if (failed.length > 0)
    problems.push(`rows the client was told failed are present (${failed.slice(0, 5).join(", ")})`);
  if (problems.length > 0)
    context.world.violate({ invariant: `${NAME}.rows`, kind: "safety", details: problems.join("; ") });
}
