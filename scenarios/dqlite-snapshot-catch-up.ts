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
 * first follower seen after ISOLATE_AT_MS is isolated for ISOLATE_MS; once it has
 * installed a snapshot it runs CRASH_AFTER_INSTALL_MS more, crashes (still in the
 * safety phase), and starts again RESTART_AFTER_MS later.
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
import { DqliteClient, DqliteError } from "../src/impl/dqlite/index.ts";
import { BROKEN_NODE_VARIANTS, type BrokenNodeVariant } from "../src/impl/raft/index.ts";
import type { Env } from "../src/sim/env.ts";
import type { Random } from "../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../src/sim/runner.ts";
import { invokeOperation } from "./client-operations.ts";
import { caughtUp, checkReplicas, DQLITE_BROKEN_VARIANTS, DQLITE_SCENARIO_BASE, queryLeader, quiesce, reportProblems, startDqliteCluster, type DqliteCluster } from "./dqlite-cluster.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENT = "c1";
const DATABASE = "db";
const NAME = "dqlite-snapshot-catch-up";
/** The Raft node's variants this scenario offers (the others are raft-kv's). */
const RAFT_VARIANTS: readonly BrokenNodeVariant[] = ["ignore-install-snapshot-state", "no-snapshot-retry"];
const ROW_BYTES = 1_000;
const ISOLATE_AT_MS = 300;
const ISOLATE_MS = 700;
const CRASH_AFTER_INSTALL_MS = 200;
const RESTART_AFTER_MS = 100;
const THINK_MS_MAX = 10;
const RETRY_MS = 50;
const QUIESCE_MS_MAX = 5_000;

export const dqliteSnapshotCatchUp: Scenario = {
  name: NAME,
  description: "a dqlite follower isolated past log compaction catches up by InstallSnapshot; restarted from snapshot and log, its databases equal the others'",
  safetyMs: 1_800,
  livenessMs: 4_000,
  faultHosts: [],
  ...DQLITE_SCENARIO_BASE,
  variants: { ...DQLITE_BROKEN_VARIANTS, ...Object.fromEntries(RAFT_VARIANTS.map((name) => [name, BROKEN_NODE_VARIANTS[name]])) },
  rareStates: { "snapshot-sent": "raft.snapshot-sent", "snapshot-installed": "raft.snapshot-installed" },
  setup,
};

/** What the client and the fault schedule record. */
interface Run {
  laggard: string | undefined;
  /** The laggard installed a snapshot (traced raft.snapshot-restored). */
  installed: boolean;
  /** The laggard's restarted process started from a snapshot (raft.started with a snapshot index). */
  restartedFromSnapshot: boolean;
  crashed: boolean;
  lastOkAt: number | undefined;
  running: boolean;
  readonly acknowledged: Set<string>;
  readonly failed: Set<string>;
  readonly counts: Record<string, number>;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const run: Run = { laggard: undefined, installed: false, restartedFromSnapshot: false, crashed: false, lastOkAt: undefined, running: true, acknowledged: new Set(), failed: new Set(), counts: {} };
  const raftVariant = RAFT_VARIANTS.find((name) => name === context.variant);
  const cluster = startDqliteCluster(context, {
    servers: SERVERS,
    ...(context.variant !== undefined && raftVariant === undefined ? { variant: context.variant } : {}),
    node: { checkpointThresholdFrames: 16, raft: { snapshotThresholdEntries: 16, trailingLogEntries: 4, brokenNodeVariant: raftVariant } },
    watchTrace: (host, kind, fields) => {
      if (host !== run.laggard) return;
      if (kind === "raft.snapshot-restored" && !run.installed) {
        run.installed = true;
        crashLater(context, host, run);
      }
      if (kind === "raft.started" && run.crashed && Number(fields?.snapshot ?? 0) > 0) run.restartedFromSnapshot = true;
    },
  });
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && run.lastOkAt !== undefined && run.lastOkAt >= since;
  };
  const random = context.random.fork(`client/${CLIENT}`);
  world
    .addHost(CLIENT, async (env) => {
      try {
        await runWriter(env, random, run, healedAndAcknowledged);
      } finally {
        run.running = false;
      }
    })
    .start();
  let reported = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      isolateFollower(context, cluster, run);
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, run),
    summary: () => ({ ...run.counts, laggard: run.laggard ?? "none", terms: cluster.leadersByTerm.size, ...cluster.failures }),
  };
}

/** Once, after ISOLATE_AT_MS: isolates a follower of the current leader and schedules the heal. */
function isolateFollower(context: ScenarioContext, cluster: DqliteCluster, run: Run): void {
  const { world } = context;
  if (run.laggard !== undefined || world.now < ISOLATE_AT_MS || context.phase() !== "safety") return;
  const leader = SERVERS.find((host) => cluster.live.get(host)?.node.isReadyLeader());
  if (leader === undefined) return;
  const follower = SERVERS.find((host) => host !== leader) as string;
  run.laggard = follower;
  world.network.isolate(follower);
  world.record(undefined, `${NAME}.follower-isolated`, { follower });
  world.scheduler.schedule(ISOLATE_MS, () => world.network.heal());
}

/** After the laggard's install: crashes it CRASH_AFTER_INSTALL_MS later (if the safety phase still runs), restarts it RESTART_AFTER_MS after that. */
function crashLater(context: ScenarioContext, host: string, run: Run): void {
  const { world } = context;
  world.scheduler.schedule(CRASH_AFTER_INSTALL_MS, () => {
    if (context.phase() !== "safety") return;
    run.crashed = true;
    world.host(host).crash();
    world.scheduler.schedule(RESTART_AFTER_MS, () => world.host(host).start());
  });
}

function tally(run: Run, name: string): void {
  run.counts[name] = (run.counts[name] ?? 0) + 1;
}

/** Creates the table, then inserts labelled rows until `stop`, recording each outcome. */
async function runWriter(env: Env, random: Random, run: Run, stop: () => boolean): Promise<void> {
  const client = new DqliteClient(env, { servers: SERVERS, database: DATABASE, operationTimeoutMs: 1_500, callDeadlineMs: 400, attemptsMax: 20 });
  for (;;) {
    const traced = invokeOperation(env, "create");
    try {
      await client.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
      traced.ok();
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

async function finish(context: ScenarioContext, cluster: DqliteCluster, run: Run): Promise<void> {
  const { world } = context;
  await quiesce(context, cluster, () => run.running, QUIESCE_MS_MAX);
  if (!run.installed) {
    world.violate({ invariant: `${NAME}.snapshot-installed`, kind: "liveness", details: `the isolated follower (${run.laggard ?? "none"}) caught up without InstallSnapshot` });
  }
  if (!run.restartedFromSnapshot) {
    world.violate({ invariant: `${NAME}.restart-from-snapshot`, kind: "liveness", details: `the restarted follower (${run.laggard ?? "none"}) did not restore a snapshot at start` });
  }
  const labels = await queryLeader(context, cluster, DATABASE, "SELECT rtrim(v, '.') FROM t ORDER BY id");
  if (labels !== undefined) checkRows(context, run, labels.map((row) => String(row[0])));
  await checkReplicas(context, cluster, [DATABASE], NAME);
}

function checkRows(context: ScenarioContext, run: Run, labels: readonly string[]): void {
  const present = new Set(labels);
  const problems: string[] = [];
  const missing = [...run.acknowledged].filter((label) => !present.has(label));
  if (missing.length > 0) problems.push(`${missing.length} acknowledged rows missing (${missing.slice(0, 5).join(", ")})`);
  if (present.size !== labels.length) problems.push(`${labels.length - present.size} rows present twice`);
  const failed = labels.filter((label) => run.failed.has(label));
  if (failed.length > 0) problems.push(`rows the client was told failed are present (${failed.slice(0, 5).join(", ")})`);
  if (problems.length > 0) context.world.violate({ invariant: `${NAME}.rows`, kind: "safety", details: problems.join("; ") });
}
