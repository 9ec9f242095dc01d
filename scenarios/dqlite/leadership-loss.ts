/**
 * dqlite-leadership-loss: the leadership-loss matrix of the dqlite issue. The
 * leader is deposed at one hook point of a write transaction, with the Frames
 * command either on a quorum or on the leader alone, and then either the same
 * leader or another one is elected. The seed picks the cell (16 cells: seed mod 16,
 * see `cellOfSeed`), and the seed's randomness the rest (think times, sizes).
 *
 * Goal: show that every path of the seed's zombie machinery (resurrection of a
 * zombie whose commit a new or re-elected leader applies, surrogate followers for
 * non-commit frames, purge of a stale zombie, Undo of a dangling transaction) leaves
 * the replicas identical, sound and consistent with what the client was told.
 * Method: three servers with a small page cache (the leader replicates a page
 * cache's worth of a big transaction's frames as a non-commit Frames command, as
 * go-dqlite does at each spill) and one client (c1) that inserts batches of rows,
 * each batch tagged; a batch is either one row (one commit Frames command) or a
 * plain bulk insert of BIG_BATCH_ROWS rows of ROW_PAD_BYTES (several non-commit
 * commands, then the commit).
 * Every insert is guarded (`WHERE NOT EXISTS` a row of its tag), and a batch whose
 * outcome was unknown or that failed is retried with the same tag until it is
 * acknowledged. The TARGET_OPERATION-th batch is the target: when its leader proposes
 * the cell's Frames command (the trace `dqlite.leader.propose` is watched), the
 * scenario cuts the leader off:
 * - quorum reached: one follower (F1) still receives from the leader but its replies
 *   are dropped, and F2 is cut from both: the entry reaches F1 (a quorum with the
 *   leader) and the leader never learns it committed;
 * - quorum not reached: the leader is cut from both followers (and they from each other).
 * Once the leader has stepped down (check-quorum), the network heals except that
 * the loser of the cell is isolated: F1 for "same" (then only the old leader's log
 * is up to date enough among the two that talk), the old leader for "other". Once
 * the expected server leads a ready term, everything heals.
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - dqlite-leadership-loss.acknowledged-present (final): every batch acknowledged to
 *   the client is present, all of its rows;
 * - dqlite-leadership-loss.no-duplicate (final): no batch is present twice or in
 *   part (a retried batch of unknown outcome is present at most once);
 * - dqlite-leadership-loss.cell-realized (final, liveness kind): the cut happened at
 *   the cell's hook, the quorum condition held, and the expected server was elected;
 *   otherwise the run did not test its cell;
 * - dqlite-leadership-loss.integrity, .replicas-identical (final: checkReplicas);
 * - progress: batches are acknowledged after the heal and every replica caught up.
 *
 * dqlite-zombies is the same workload under random leadership changes instead of
 * one chosen cut: the swarm partitions, isolates, clogs, pauses and crashes
 * servers. Its client also abandons some big batches: it begins an interactive
 * transaction, inserts the batch (which spills frames to the followers) and rolls
 * it back, so the followers undo frames they hold and the leader may checkpoint
 * right after (the seed draws the checkpoint threshold, as dqlite-bank's does). Its
 * invariants are the same (without cell-realized), plus
 * dqlite-zombies.no-transaction-left (final): once every replica caught up and the
 * client stopped, no node's registry holds a transaction (no zombie, surrogate or
 * follower transaction was left behind); and dqlite-zombies.rolled-back-absent
 * (final): no row of an abandoned batch is present.
 */
import { DqliteClient, DqliteError } from "../../src/impl/dqlite/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { Random } from "../../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  caughtUp,
  checkReplicas,
  DQLITE_KNOBS,
  DQLITE_SCENARIO_BASE,
  quiesce,
  queryLeader,
  reportProblems,
  startDqliteCluster,
  type DqliteCluster,
} from "./cluster.ts";
import { DQLITE_ZOMBIE_RARE_STATES } from "./rare-states.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENT = "c1";
const DATABASE = "db";
/** The target batch (1-based): earlier ones warm the database up. */
const TARGET_OPERATION = 4;
/** Batches the client writes at least; it goes on until one is acknowledged after the heal. */
const OPERATIONS_MIN = 8;
/** Attempts of one batch at most (the same tag each time). */
const ATTEMPTS_MAX = 40;
/** Batches after the target that may become the target (see `rearms`). */
const REARMS_MAX = 5;
const BIG_BATCH_ROWS = 200;
/** dqlite-zombies: the share of batches the client abandons (inserts in a transaction, then rolls back). */
const ABANDON_PROBABILITY = 0.2;
const ROW_PAD_BYTES = 400;
/** The leader's page cache: a big batch spills several times before its commit. */
const CACHE_SIZE_PAGES = 8;
const RETRY_MS = 30;
const THINK_MS_MIN = 20;
const THINK_MS_MAX = 80;
/** How long the scenario waits for the deposed leader to step down, and then for the next leader. */
const STEP_DOWN_MS_MAX = 3_000;
const ELECTION_MS_MAX = 6_000;
const QUIESCE_MS_MAX = 8_000;

export const LEADERSHIP_LOSS_HOOKS = [
  "commit",
  "first-non-commit",
  "second-non-commit",
  "commit-after-non-commit",
] as const;
export type LeadershipLossHook = (typeof LEADERSHIP_LOSS_HOOKS)[number];

/** One cell of the matrix. */
export interface LeadershipLossCell {
  readonly hook: LeadershipLossHook;
  /** Did the Frames command reach a quorum before the leader was cut off? */
  readonly quorum: boolean;
  /** Who leads next: the deposed leader again, or another server. */
  readonly next: "same" | "other";
}

/** Every cell, in a fixed order (cell i is run by seeds congruent to i mod 16). */
export const LEADERSHIP_LOSS_CELLS: readonly LeadershipLossCell[] = LEADERSHIP_LOSS_HOOKS.flatMap((hook) =>
  [true, false].flatMap((quorum) => (["same", "other"] as const).map((next) => ({ hook, quorum, next }))),
);

export function cellOfSeed(seed: number): LeadershipLossCell {
  return LEADERSHIP_LOSS_CELLS[
    ((seed % LEADERSHIP_LOSS_CELLS.length) + LEADERSHIP_LOSS_CELLS.length) % LEADERSHIP_LOSS_CELLS.length
  ] as LeadershipLossCell;
}

export function describeCell(cell: LeadershipLossCell): string {
  return `${cell.hook}/${cell.quorum ? "quorum" : "no-quorum"}/${cell.next}`;
}

/** The scenario for one cell (tests); the registered scenario picks the cell from the seed. */
export function leadershipLossScenario(fixed?: LeadershipLossCell): Scenario {
  return {
    name: "dqlite-leadership-loss",
    description:
      "the dqlite leader is deposed at a chosen Frames command (quorum or not; same or other leader next); replicas identical, acknowledged batches present, none twice",
    // The runner heals every partition when the safety phase ends: the cut and the election must be over by then.
    safetyMs: 3_500,
    livenessMs: 8_000,
    ...DQLITE_SCENARIO_BASE,
    rareStates: DQLITE_ZOMBIE_RARE_STATES,
    setup: (context) => setup(context, fixed ?? cellOfSeed(context.seed)),
  };
}

export const dqliteLeadershipLoss: Scenario = leadershipLossScenario();

export const dqliteZombies: Scenario = {
  name: "dqlite-zombies",
  description:
    "batches of rows, some spilling, under random leadership changes (partitions, pauses, crashes); no FSM invariant trips, no transaction is left behind, replicas identical",
  safetyMs: 3_000,
  livenessMs: 8_000,
  swarm: { hosts: SERVERS, kinds: ["partition", "isolate", "clog", "pause", "crash"] },
  ...DQLITE_SCENARIO_BASE,
  knobs: { checkpointThresholdFrames: DQLITE_KNOBS.checkpointThresholdFrames },
  rareStates: DQLITE_ZOMBIE_RARE_STATES,
  setup: (context) => setup(context, undefined),
};

type Told = "acknowledged" | "unknown" | "failed";

interface Batch {
  readonly tag: string;
  readonly rows: number;
  told: Told | undefined;
  attempts: number;
}

/** The cut's progress, for the summary and the cell-realized check. */
interface Cut {
  phase: "armed" | "cut" | "stepped-down" | "elected" | "healed";
  leader?: string;
  f1?: string;
  f2?: string;
  /** The index the cut command got in the leader's log (its last index + 1 at the hook). */
  entryIndex?: number;
  termAtCut?: number;
  nonCommitSeen: number;
  /** Why the cell was not realized, if it was not. */
  notRealized?: string;
  elected?: string;
}

interface Run {
  /** The matrix cell; undefined under the swarm (dqlite-zombies). */
  readonly cell: LeadershipLossCell | undefined;
  readonly batches: Batch[];
  /** Tags of the batches the client rolled back (dqlite-zombies). */
  readonly abandoned: string[];
  readonly cut: Cut;
  armed: boolean;
  /** Times the target moved on to the next batch (a commit hook whose batch spilled). */
  rearms: number;
  clientDone: boolean;
  lastOkAt: number | undefined;
  readonly counts: Record<string, number>;
}

function setup(context: ScenarioContext, cell: LeadershipLossCell | undefined): ScenarioHooks {
  const { world } = context;
  const prefix = cell === undefined ? "dqlite-zombies" : "dqlite-leadership-loss";
  const run = newRun(cell);
  const cluster = startDqliteCluster(context, {
    servers: SERVERS,
    node: {
      cacheSizePages: CACHE_SIZE_PAGES,
      ...(cell === undefined ? { checkpointThresholdFrames: context.knob<number>("checkpointThresholdFrames") } : {}),
      raft: { snapshotThresholdEntries: 1_000_000 },
    },
    variant: context.variant,
    watchTrace: (host, kind, fields) => {
      if (cell !== undefined && kind === "dqlite.leader.propose" && fields?.kind === "frames")
        onProposal(context, cluster, run, cell, host, fields.isCommit === true);
    },
  });
  const healedAndAcknowledged = () => cutOverAndAcknowledged(context, run);
  const random = context.random.fork("client");
  world
    .addHost(CLIENT, async (env) => {
      try {
        await runClient(env, random, run, healedAndAcknowledged);
      } finally {
        run.clientDone = true;
      }
    })
    .start();
  let reported = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
    },
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: async () => {
      await quiesce(context, cluster, () => !run.clientDone, QUIESCE_MS_MAX);
      reported = reportProblems(context, cluster, reported);
      if (cell !== undefined) checkCellRealized(context, run, cell);
      else checkNoTransactionLeft(context, cluster);
      if (world.violations.length > 0) return;
      await checkReplicas(context, cluster, [DATABASE], prefix);
      if (world.violations.length > 0) return;
      await checkBatches(context, cluster, run, prefix);
    },
    summary: () => ({
      ...(cell !== undefined ? { cell: describeCell(cell), cut: run.cut.phase } : {}),
      ...(run.cut.elected !== undefined ? { elected: run.cut.elected, deposed: run.cut.leader ?? "" } : {}),
      ...run.counts,
      terms: cluster.leadersByTerm.size,
      ...cluster.failures,
    }),
  };
}

function newRun(cell: LeadershipLossCell | undefined): Run {
  return {
    cell,
    batches: [],
    abandoned: [],
    cut: { phase: cell === undefined ? "healed" : "armed", nonCommitSeen: 0 },
    armed: false,
    rearms: 0,
    clientDone: false,
    lastOkAt: undefined,
    counts: {},
  };
}

/** The cut is over (healed, or the cell could not be realized) and the client had an operation acknowledged since. */
function cutOverAndAcknowledged(context: ScenarioContext, run: Run): boolean {
  const since = context.livenessStartedAt();
  return (
    (run.cut.phase === "healed" || run.cut.notRealized !== undefined) &&
    since !== undefined &&
    run.lastOkAt !== undefined &&
    run.lastOkAt >= since
  );
}

function tally(run: Run, name: string): void {
  run.counts[name] = (run.counts[name] ?? 0) + 1;
}

/** Called synchronously when a server proposes Frames: cuts the leader off at the cell's hook. */
function onProposal(
  context: ScenarioContext,
  cluster: DqliteCluster,
  run: Run,
  cell: LeadershipLossCell,
  host: string,
  isCommit: boolean,
): void {
  if (!run.armed || run.cut.phase !== "armed") return;
  const { hook } = cell;
  if (!isCommit) run.cut.nonCommitSeen++;
  const hit =
    (hook === "commit" && isCommit && run.cut.nonCommitSeen === 0) ||
    (hook === "first-non-commit" && !isCommit && run.cut.nonCommitSeen === 1) ||
    (hook === "second-non-commit" && !isCommit && run.cut.nonCommitSeen === 2) ||
    (hook === "commit-after-non-commit" && isCommit && run.cut.nonCommitSeen > 0);
  if (!hit) {
    if (isCommit) {
      run.armed = false;
      // A one-row batch may spill too (its index pages): the next batch is the target then.
      if (hook === "commit" && run.rearms < REARMS_MAX) run.rearms++;
      else
        run.cut.notRealized = `the target's commit came after ${run.cut.nonCommitSeen} non-commit Frames commands: hook ${hook} never happened`;
      run.cut.nonCommitSeen = 0;
    }
    return;
  }
  const running = cluster.live.get(host);
  if (running === undefined) return;
  const [f1, f2] = SERVERS.filter((server) => server !== host) as [string, string];
  const stats = running.node.raft.stats();
  Object.assign(run.cut, {
    phase: "cut",
    leader: host,
    f1,
    f2,
    entryIndex: Number(stats.last_log_index) + 1,
    termAtCut: Number(stats.term),
  });
  run.armed = false;
  const network = context.world.network;
  // The command is appended and sent after this returns: the links are cut first.
  network.partition([[f2], [host, f1]]);
  // Held, not dropped: the stream stays up and the leader's entries reach F1, but none of F1's replies reach the
  // leader.
  if (cell.quorum) network.links.clog(f1, host, context.world.now + STEP_DOWN_MS_MAX + ELECTION_MS_MAX);
  else network.partition([[host], [f1]]);
  context.world.record(undefined, "dqlite-leadership-loss.cut", {
    cell: describeCell(cell),
    leader: host,
    entryIndex: run.cut.entryIndex ?? 0,
  });
  void driveElection(context, cluster, run, cell);
}

/** After the cut: waits for the step-down, isolates the cell's loser, waits for the expected leader, heals. */
async function driveElection(
  context: ScenarioContext,
  cluster: DqliteCluster,
  run: Run,
  cell: LeadershipLossCell,
): Promise<void> {
  const { world } = context;
  const cut = run.cut;
  const leader = cut.leader as string;
  const f1 = cut.f1 as string;
  const deadline = world.now + STEP_DOWN_MS_MAX;
  while (cluster.live.get(leader)?.node.raft.state() === "Leader" && world.now < deadline) await sleep(world, 5);
  if (cluster.live.get(leader)?.node.raft.state() === "Leader") {
    cut.notRealized = `${leader} did not step down within ${STEP_DOWN_MS_MAX} ms`;
  }
  const f1Index = Number(cluster.live.get(f1)?.node.raft.stats().last_log_index ?? 0);
  const reached = f1Index >= (cut.entryIndex ?? Infinity);
  if (reached !== cell.quorum)
    cut.notRealized ??= `the cut entry ${cut.entryIndex} ${reached ? "reached" : "did not reach"} ${f1} (last index ${f1Index})`;
  cut.phase = "stepped-down";
  world.network.heal();
  const loser = cell.next === "same" ? f1 : leader;
  // Isolate first: F1's held replies (vote grants among them) must not reach a leader that is to lose.
  world.network.isolate(loser);
  world.network.links.unclog(f1, leader);
  const electionDeadline = world.now + ELECTION_MS_MAX;
  const newLeader = () =>
    SERVERS.find((host) => {
      const node = cluster.live.get(host)?.node;
      return node !== undefined && node.isReadyLeader() && Number(node.raft.stats().term) > (cut.termAtCut ?? 0);
    });
  while (newLeader() === undefined && world.now < electionDeadline) await sleep(world, 5);
  const elected = newLeader();
  cut.elected = elected ?? "none";
  const expectedOk = elected !== undefined && (cell.next === "same" ? elected === leader : elected !== leader);
  if (!expectedOk)
    cut.notRealized ??= `expected ${cell.next === "same" ? leader : "another server than " + leader} to lead next, got ${cut.elected}`;
  cut.phase = "elected";
  world.network.heal();
  cut.phase = "healed";
  world.record(undefined, "dqlite-leadership-loss.healed", { elected: cut.elected });
}

function checkCellRealized(context: ScenarioContext, run: Run, cell: LeadershipLossCell): void {
  const reason =
    run.cut.notRealized ??
    (run.cut.phase !== "healed" ? `the cut never completed (phase ${run.cut.phase})` : undefined);
  if (reason === undefined) return;
  context.world.violate({
    invariant: "dqlite-leadership-loss.cell-realized",
    kind: "liveness",
    details: `${describeCell(cell)}: ${reason}`,
  });
}

/** Once all caught up and the client stopped: no transaction of any kind is registered on any node. */
function checkNoTransactionLeft(context: ScenarioContext, cluster: DqliteCluster): void {
  if (!caughtUp(cluster)) return; // progress reports it
  for (const [host, running] of cluster.live) {
    const left = running.node.registry.transactions();
    if (left.length === 0) continue;
    context.world.violate({
      invariant: "dqlite-zombies.no-transaction-left",
      kind: "safety",
      host,
      details: `left registered: ${left.map((txn) => txn.describe()).join(", ")}`,
    });
  }
}

/** The client: batches one after another, each retried with its tag until acknowledged. */
async function runClient(env: Env, random: Random, run: Run, stop: () => boolean): Promise<void> {
  const client = new DqliteClient(env, {
    servers: SERVERS,
    database: DATABASE,
    operationTimeoutMs: 3_000,
    callDeadlineMs: 1_000,
    attemptsMax: 30,
  });
  await untilDone(env, run, "create", () =>
    client.exec(
      "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, tag TEXT NOT NULL, n INTEGER NOT NULL, pad BLOB NOT NULL)",
    ),
  );
  await untilDone(env, run, "index", () => client.exec("CREATE INDEX IF NOT EXISTS t_tag ON t (tag)"));
  // Random keys: a batch touches index pages all over, so SQLite reads back between its spills.
  const targetBig = run.cell !== undefined && run.cell.hook !== "commit";
  for (let number = 1; number <= OPERATIONS_MIN || !stop(); number++) {
    if (number > OPERATIONS_MIN * 20) break;
    if (run.cell === undefined && random.bool(ABANDON_PROBABILITY)) {
      await abandonBatch(client, run, `a${number}`);
      await env.clock.sleep(random.int(THINK_MS_MIN, THINK_MS_MAX));
      continue;
    }
    const target =
      number === TARGET_OPERATION + run.rearms && run.cut.phase === "armed" && run.cut.notRealized === undefined;
    const big = target ? targetBig : random.bool(0.5);
    const batch: Batch = { tag: `b${number}`, rows: big ? BIG_BATCH_ROWS : 1, told: undefined, attempts: 0 };
    run.batches.push(batch);
    if (target) run.armed = true;
    await insertBatch(env, client, run, batch);
    if (target && run.armed) {
      run.armed = false;
      run.cut.notRealized ??= "the target batch was acknowledged without reaching its hook";
    }
    await env.clock.sleep(random.int(THINK_MS_MIN, THINK_MS_MAX));
  }
}

/** Inserts the rows of a batch (parameters: rows, tag, pad bytes, tag), unless a row of its tag is present. */
const INSERT_BATCH_SQL =
  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) " +
  "INSERT INTO t (tag, n, pad) SELECT ?, i, randomblob(?) FROM c WHERE NOT EXISTS (SELECT 1 FROM t WHERE tag = ?)";

/** Inserts one batch, retrying with the same tag until it is acknowledged or ATTEMPTS_MAX. */
async function insertBatch(env: Env, client: DqliteClient, run: Run, batch: Batch): Promise<void> {
  while (batch.attempts < ATTEMPTS_MAX) {
    batch.attempts++;
    const traced = invokeOperation(env, "insert-batch", { tag: batch.tag, rows: batch.rows, attempt: batch.attempts });
    try {
      await client.exec(INSERT_BATCH_SQL, [batch.rows, batch.tag, ROW_PAD_BYTES, batch.tag]);
      traced.ok();
      batch.told = "acknowledged";
      run.lastOkAt = env.clock.now();
      tally(run, "batch:ok");
      return;
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      const told: Told = error.outcomeUnknown ? "unknown" : "failed";
      if (batch.told !== "unknown") batch.told = told;
      tally(run, `batch:${told}`);
    }
    await env.clock.sleep(RETRY_MS);
  }
}

/** Thrown inside a transaction to roll it back. */
class BatchAbandoned extends Error {}

/** Inserts a big batch in an interactive transaction, then rolls it back: none of its rows may ever be present. */
async function abandonBatch(client: DqliteClient, run: Run, tag: string): Promise<void> {
  run.abandoned.push(tag);
  try {
    await client.transaction(async (transaction) => {
      await transaction.exec(INSERT_BATCH_SQL, [BIG_BATCH_ROWS, tag, ROW_PAD_BYTES, tag]);
      throw new BatchAbandoned(tag);
    });
  } catch (error) {
    if (error instanceof BatchAbandoned) return tally(run, "abandoned:rolled-back");
    if (!(error instanceof DqliteError)) throw error;
    tally(run, `abandoned:${error.name}`);
  }
}

async function untilDone(env: Env, run: Run, what: string, operation: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const traced = invokeOperation(env, what);
    try {
      await operation();
      traced.ok();
      return;
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      tally(run, `${what}:${error.name}`);
    }
    await env.clock.sleep(RETRY_MS);
  }
}

/** Compares the rows of the ready leader's database with what the client was told. */
async function checkBatches(context: ScenarioContext, cluster: DqliteCluster, run: Run, prefix: string): Promise<void> {
  const { world } = context;
  const rows = await queryLeader(
    context,
    cluster,
    DATABASE,
    "SELECT tag, count(*), count(DISTINCT n) FROM t GROUP BY tag",
  );
  if (rows === undefined) return; // progress reports it
  const present = new Map<string, { rows: number; distinct: number }>();
  for (const [tag, count, distinct] of rows)
    present.set(String(tag), { rows: Number(count), distinct: Number(distinct) });
  const abandoned = run.abandoned.filter((tag) => present.has(tag));
  if (abandoned.length > 0)
    world.violate({
      invariant: `${prefix}.rolled-back-absent`,
      kind: "safety",
      details: `rows of batches the client rolled back are present: ${abandoned.join(", ")}`,
    });
  for (const batch of run.batches) {
    const found = present.get(batch.tag);
    if (batch.told === "acknowledged" && found === undefined) {
      world.violate({
        invariant: `${prefix}.acknowledged-present`,
        kind: "safety",
        details: `batch ${batch.tag} (${batch.rows} rows) was acknowledged but is absent`,
      });
    }
    if (found !== undefined && (found.rows !== batch.rows || found.distinct !== batch.rows)) {
      world.violate({
        invariant: `${prefix}.no-duplicate`,
        kind: "safety",
        details: `batch ${batch.tag} of ${batch.rows} rows (told ${batch.told ?? "nothing"} after ${batch.attempts} attempts) is present as ${found.rows} rows, ${found.distinct} distinct`,
      });
    }
  }
}

function sleep(world: ScenarioContext["world"], ms: number): Promise<void> {
  return new Promise((resolve) => world.scheduler.schedule(ms, resolve));
}
