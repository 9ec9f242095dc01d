/**
 * dqlite snapshots end to end: three servers on the simulator with a small Raft
 * snapshot threshold, each test on a fixed seed, each asserting from the servers'
 * probes and traces that the path it is about was really taken.
 * - A follower partitioned while the leader compacts its log past the follower's
 *   position catches up by InstallSnapshot (the FSM restores it), and every replica
 *   ends with a byte-identical logical database, integrity_check ok, holding exactly
 *   the rows the client wrote. Fails on the Raft variant
 *   "ignore-install-snapshot-state" (the follower keeps its own state): its copy
 *   differs and its rows are missing (or its database is malformed).
 * - A leader crashed after snapshots were taken restarts from its snapshot (its
 *   log compacted behind it) plus its log, and its databases equal the others'.
 * - Several named databases, each with its own table, round-trip through an
 *   InstallSnapshot and then a restart from the installed snapshot.
 * - A transaction in flight (an interactive transaction whose pages spill to the
 *   WAL before its commit) makes every FSM refuse to snapshot (probe
 *   raft.snapshot-refused) without harm: no snapshot captures an index inside the
 *   transaction, later snapshots succeed, and a follower crashed in the middle of
 *   the transaction rebuilds from an earlier snapshot and its log and ends with the
 *   same databases. Fails on the FSM variant "snapshot-ignores-transactions" (on
 *   the followers only: on a leader, such a snapshot reads the WAL while its SQLite
 *   writes it and fails with ErrWalMalformed, which escapes the Raft node as an
 *   unhandled rejection): a follower snapshots mid-transaction, and restarted from
 *   that snapshot it lacks the frames applied before it.
 * - The scenario dqlite-snapshot-catch-up (the first two properties under a
 *   running client, with the crash after the install) passes on fixed seeds and
 *   catches "ignore-install-snapshot-state". Failures print the replay command.
 *
 * - A leader snapshots between its own autocommit writes: a snapshot the FSM
 *   refused (its own commit was in flight) is asked for again at the next tick.
 *   Fails on the raft variant "no-snapshot-retry" (retry only when the next entry
 *   applies: on a leader that is always its own next commit, refused again).
 */
import { describe, expect, it } from "vitest";
import { dqliteSnapshotCatchUp } from "../../../scenarios/dqlite/snapshot-catch-up.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { withVariant as withDqliteVariant, type DqliteFsmBrokenVariant } from "../../../scenarios/dqlite/variants.ts";
import { withVariant, type BrokenNodeVariant } from "../../../scenarios/raft-kv/variants.ts";
import {
  caughtUp,
  divergences,
  eventsNamed,
  readyLeader,
  runClient,
  runUntil,
  SERVERS,
  startHandDrivenCluster,
  type ServerOptions,
  type HandDrivenCluster,
} from "./_support/hand-driven-cluster.ts";

const TEST_TIMEOUT_MS = 30_000;
/** Virtual time given to the cluster to converge after the last fault. */
const CONVERGE_MS = 10_000;
/** Row values this long spread the rows over many pages, so a lost page means lost rows. */
const ROW_BYTES = 1_000;
/** Snapshots every 16 applied entries, 4 kept behind each; the leader's at checkpoints of 16 frames. */
const SMALL_SNAPSHOTS: ServerOptions = {
  checkpointThresholdFrames: 16,
  raft: { snapshotThresholdEntries: 16, trailingLogEntries: 4 },
};

/** A value of ROW_BYTES starting with `label` (read back with rtrim(v, '.')). */
function padded(label: string): string {
  return label.padEnd(ROW_BYTES, ".");
}

/** The rows `SELECT id, rtrim(v, '.') FROM t ORDER BY id` returns after inserting `labels` into an empty table. */
function rowsOf(labels: readonly string[]): unknown[][] {
  return labels.map((label, index) => [index + 1, label]);
}

const ROWS_SQL = "SELECT id, rtrim(v, '.') FROM t ORDER BY id";

function labels(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix} ${index}`);
}

async function insertRows(cluster: HandDrivenCluster, values: readonly string[], database = "db"): Promise<void> {
  await runClient(cluster, async (client) => {
    const connection = client(database);
    for (const value of values) await connection.exec("INSERT INTO t (v) VALUES (?)", [padded(value)]);
  });
}

function stat(cluster: HandDrivenCluster, host: string, name: string): number {
  return Number(cluster.live.get(host)?.node.raft.stats()[name] ?? Number.NaN);
}

interface CatchUpRun {
  readonly cluster: HandDrivenCluster;
  readonly leader: string;
  readonly laggard: string;
  /** The laggard's applied index when it was cut off. */
  readonly laggardApplied: number;
  readonly converged: boolean;
  readonly problems: readonly string[];
}

/** A follower isolated while 30 rows commit (the leader compacts past it), then healed; 3 more rows. */
async function partitionPastCompaction(seed: number, brokenNodeVariant?: BrokenNodeVariant): Promise<CatchUpRun> {
  const raft = withVariant({ ...SMALL_SNAPSHOTS.raft }, brokenNodeVariant);
  const cluster = startHandDrivenCluster(seed, { ...SMALL_SNAPSHOTS, raft });
  await runClient(cluster, (client) => client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"));
  await insertRows(cluster, labels("before", 3));
  expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
  const leader = readyLeader(cluster) as string;
  const laggard = SERVERS.find((host) => host !== leader) as string;
  const laggardApplied = stat(cluster, laggard, "applied_index");
  cluster.world.network.isolate(laggard);
  await insertRows(cluster, labels("during", 30));
  cluster.world.network.heal();
  await insertRows(cluster, labels("after", 3));
  const converged = await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  const expected = rowsOf([...labels("before", 3), ...labels("during", 30), ...labels("after", 3)]);
  return {
    cluster,
    leader,
    laggard,
    laggardApplied,
    converged,
    problems: await divergences(cluster, "db", ROWS_SQL, expected),
  };
}

interface SpillRun {
  readonly cluster: HandDrivenCluster;
  /** The leader's last log index before the transaction, and the index of its commit. */
  readonly beginIndex: number;
  readonly commitIndex: number;
  /** The follower crashed and restarted in the middle of the transaction. */
  readonly restarted: string;
  readonly problems: readonly string[];
}

const SPILL_ROWS = 120;
const RESTART_AFTER_MS = 50;

/**
 * n1 (a shorter election timeout makes it the leader) runs an interactive
 * transaction that rewrites rows 1-60, then rows 61-120 (other pages), with a
 * 10-page cache: SQLite spills frames (each spill a Frames command) long before the
 * commit. Every server snapshots each 4 entries (n2 and n3 with
 * `variant`, if any). Between the two statements follower n2 crashes; it
 * restarts RESTART_AFTER_MS later, rebuilds from its snapshot and log, and takes
 * the rest of the transaction from the leader.
 */
async function spillingTransaction(seed: number, variant?: DqliteFsmBrokenVariant): Promise<SpillRun> {
  const restarted = "n2";
  const cluster = startHandDrivenCluster(seed, (host) =>
    withDqliteVariant(
      {
        cacheSizePages: 10,
        raft: {
          snapshotThresholdEntries: 4,
          trailingLogEntries: 2,
          ...(host === "n1" ? { electionTimeoutTicks: 5 } : {}),
        },
      },
      host === "n1" ? undefined : variant,
    ),
  );
  await runClient(cluster, async (client) => {
    await client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    await client().exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${SPILL_ROWS}) INSERT INTO t (v) SELECT printf('%.*c', ${ROW_BYTES}, '0') FROM n`,
    );
  });
  expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
  expect(readyLeader(cluster)).toBe("n1");
  const beginIndex = stat(cluster, "n1", "last_log_index");
  await runClient(cluster, (client) =>
    client().transaction(async (transaction) => {
      await transaction.exec(`UPDATE t SET v = printf('%.*c', ${ROW_BYTES}, 'A') WHERE id <= ${SPILL_ROWS / 2}`);
      cluster.world.host(restarted).crash();
      cluster.world.scheduler.schedule(RESTART_AFTER_MS, () => cluster.world.host(restarted).start());
      await transaction.exec(`UPDATE t SET v = printf('%.*c', ${ROW_BYTES}, 'B') WHERE id > ${SPILL_ROWS / 2}`);
    }),
  );
  const commitIndex = stat(cluster, "n1", "applied_index");
  expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
  const expected = [
    ["A", SPILL_ROWS / 2],
    ["B", SPILL_ROWS / 2],
  ];
  const problems = await divergences(
    cluster,
    "db",
    "SELECT substr(v, 1, 1), count(*) FROM t GROUP BY 1 ORDER BY 1",
    expected,
  );
  return { cluster, beginIndex, commitIndex, restarted, problems };
}

/** Snapshots captured at an index strictly inside the transaction (after its first frames, before its commit). */
function snapshotsInside(run: SpillRun): string[] {
  return eventsNamed(run.cluster, "raft.snapshot-taken")
    .filter((event) => Number(event.fields.index) > run.beginIndex && Number(event.fields.index) < run.commitIndex)
    .map((event) => `${event.host} at ${String(event.fields.index)}`);
}

describe("dqlite snapshots", () => {
  it(
    "a follower partitioned past log compaction catches up by InstallSnapshot (seed 11)",
    async () => {
      const run = await partitionPastCompaction(11);
      const { cluster, laggard } = run;
      expect(run.converged).toBe(true);
      expect(eventsNamed(cluster, "raft.snapshot-sent").length).toBeGreaterThan(0);
      expect(eventsNamed(cluster, "raft.snapshot-installed", laggard).length).toBeGreaterThan(0);
      const restored = eventsNamed(cluster, "dqlite.fsm-restored", laggard, 1);
      expect(restored.length).toBeGreaterThan(0);
      // The snapshot starts past what the laggard had, beyond the entries the leader kept.
      expect(Number(restored[0]?.fields.index)).toBeGreaterThan(
        run.laggardApplied + (SMALL_SNAPSHOTS.raft?.trailingLogEntries ?? 0),
      );
      expect(run.problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the catch-up check fails on the raft variant ignore-install-snapshot-state (seed 11)",
    async () => {
      const run = await partitionPastCompaction(11, "ignore-install-snapshot-state");
      const { cluster, laggard } = run;
      expect(eventsNamed(cluster, "raft.snapshot-installed", laggard).length).toBeGreaterThan(0);
      expect(eventsNamed(cluster, "dqlite.fsm-restored", laggard)).toEqual([]);
      // Only the laggard is wrong: its database lacks the pages written while it was cut off.
      const described = run.problems.join("\n");
      expect(
        run.problems.every((problem) => problem.startsWith(`${laggard}: `)),
        described,
      ).toBe(true);
      expect(
        run.problems.some((problem) => problem.startsWith(`${laggard}: db differs`)),
        described,
      ).toBe(true);
      expect(
        run.problems.some((problem) => problem.startsWith(`${laggard}: db rows`)),
        described,
      ).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a crashed leader restarts from its snapshot and its log, with the same databases (seed 12)",
    async () => {
      const cluster = startHandDrivenCluster(12, SMALL_SNAPSHOTS);
      await runClient(cluster, (client) => client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"));
      await insertRows(cluster, labels("first", 30));
      expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
      const leader = readyLeader(cluster) as string;
      const snapshotIndex = stat(cluster, leader, "last_snapshot_index");
      expect(snapshotIndex).toBeGreaterThan(SMALL_SNAPSHOTS.raft?.trailingLogEntries ?? 0);
      expect(stat(cluster, leader, "applied_index")).toBeGreaterThan(snapshotIndex);
      cluster.world.host(leader).crash();
      await insertRows(cluster, labels("second", 3));
      cluster.world.host(leader).start();
      await insertRows(cluster, labels("third", 3));
      expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
      // Restored at start from the snapshot it took (its log compacted behind it), the rest from its log.
      const started = eventsNamed(cluster, "raft.started", leader, 2);
      expect(started.map((event) => event.fields.snapshot)).toEqual([snapshotIndex]);
      expect(eventsNamed(cluster, "dqlite.fsm-restored", leader, 2).map((event) => event.fields.index)).toEqual([
        snapshotIndex,
      ]);
      expect(eventsNamed(cluster, "raft.snapshot-installed", leader, 2)).toEqual([]);
      expect(stat(cluster, leader, "applied_index")).toBeGreaterThan(snapshotIndex);
      expect(
        await divergences(
          cluster,
          "db",
          ROWS_SQL,
          rowsOf([...labels("first", 30), ...labels("second", 3), ...labels("third", 3)]),
        ),
      ).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "named databases round-trip through InstallSnapshot and a restart from it (seed 13)",
    async () => {
      const cluster = startHandDrivenCluster(13, SMALL_SNAPSHOTS);
      const schemas = {
        a: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
        b: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)",
        c: "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)",
      };
      const databases = Object.keys(schemas) as (keyof typeof schemas)[];
      await runClient(cluster, async (client) => {
        for (const database of databases) await client(database).exec(schemas[database]);
      });
      expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
      const laggard = SERVERS.find((host) => host !== readyLeader(cluster)) as string;
      cluster.world.network.isolate(laggard);
      await runClient(cluster, async (client) => {
        for (let round = 0; round < 10; round++) {
          for (const database of databases) {
            const value = padded(`${database} ${round}`);
            if (database === "b") await client(database).exec("INSERT INTO t (v, n) VALUES (?, ?)", [value, round]);
            else await client(database).exec("INSERT INTO t (v) VALUES (?)", [value]);
          }
        }
      });
      cluster.world.network.heal();
      expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
      expect(eventsNamed(cluster, "raft.snapshot-installed", laggard).length).toBeGreaterThan(0);
      expect(eventsNamed(cluster, "dqlite.fsm-restored", laggard, 1).map((event) => event.fields.databases)).toContain(
        databases.length,
      );
      cluster.world.host(laggard).crash();
      await cluster.world.scheduler.run({ untilTime: cluster.world.now + 100 });
      cluster.world.host(laggard).start();
      await runClient(cluster, async (client) => {
        for (const database of databases)
          await client(database).exec("INSERT INTO t (v) VALUES (?)", [padded(`${database} last`)]);
      });
      expect(await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS)).toBe(true);
      expect(eventsNamed(cluster, "dqlite.fsm-restored", laggard, 2).map((event) => event.fields.databases)).toEqual([
        databases.length,
      ]);
      for (const database of databases) {
        const expected = rowsOf([
          ...Array.from({ length: 10 }, (_, round) => `${database} ${round}`),
          `${database} last`,
        ]);
        expect(await divergences(cluster, database, ROWS_SQL, expected)).toEqual([]);
      }
    },
    TEST_TIMEOUT_MS,
  );

  /** 40 autocommit writes with the default checkpoint threshold (no Checkpoint command): the leader's snapshots. */
  async function leaderSnapshots(
    seed: number,
    brokenNodeVariant?: BrokenNodeVariant,
  ): Promise<{ taken: number; refused: number }> {
    const raft = withVariant({ ...SMALL_SNAPSHOTS.raft }, brokenNodeVariant);
    const cluster = startHandDrivenCluster(seed, { raft });
    const leader = await runClient(cluster, async (client) => {
      await client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
      for (let i = 0; i < 40; i++) await client().exec("INSERT INTO t (v) VALUES (?)", [padded(`w${i}`)]);
      return readyLeader(cluster);
    });
    expect(leader).toBeDefined();
    const host = leader as string;
    return {
      taken: eventsNamed(cluster, "raft.snapshot-taken", host).length,
      refused: eventsNamed(cluster, "raft.snapshot-refused", host).length,
    };
  }

  it(
    "a leader snapshots between its own autocommit writes: a refused snapshot is retried at the next tick (seed 15)",
    async () => {
      const { taken, refused } = await leaderSnapshots(15);
      expect(refused, "the leader's own commits were in flight at first").toBeGreaterThan(0);
      expect(taken).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the leader-snapshot check fails on the raft variant no-snapshot-retry (seed 15)",
    async () => {
      const { taken, refused } = await leaderSnapshots(15, "no-snapshot-retry");
      expect(refused).toBeGreaterThan(0);
      expect(taken).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a spilling transaction makes every FSM refuse to snapshot, without harm (seed 14)",
    async () => {
      const run = await spillingTransaction(14);
      const { cluster, restarted } = run;
      for (const host of SERVERS)
        expect(eventsNamed(cluster, "raft.snapshot-refused", host).length, `${host} refused`).toBeGreaterThan(0);
      expect(snapshotsInside(run)).toEqual([]);
      // The restarted follower rebuilt from a snapshot taken before the transaction, and the transaction's first frames
      // from its log
      // (it may install a later snapshot from the leader afterwards, never one from inside the transaction).
      const restored = eventsNamed(cluster, "dqlite.fsm-restored", restarted, 2).map((event) =>
        Number(event.fields.index),
      );
      expect(restored[0]).toBeLessThanOrEqual(run.beginIndex);
      expect(restored.filter((index) => index > run.beginIndex && index < run.commitIndex)).toEqual([]);
      expect(Number(eventsNamed(cluster, "raft.started", restarted, 2)[0]?.fields.lastIndex)).toBeGreaterThan(
        run.beginIndex,
      );
      // Later snapshots succeed: both followers took one at or after the commit (or installed the leader's, for the
      // restarted one).
      for (const host of ["n2", "n3"]) {
        const later = [
          ...eventsNamed(cluster, "raft.snapshot-taken", host),
          ...eventsNamed(cluster, "dqlite.fsm-restored", host),
        ];
        expect(
          later.some((event) => Number(event.fields.index) >= run.commitIndex),
          host,
        ).toBe(true);
      }
      expect(run.problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the spilling-transaction check fails on the FSM variant snapshot-ignores-transactions (first catch in seeds 1..20)",
    async () => {
      // A catch: a follower snapshots inside the transaction, restarts from that snapshot (its first restore), and
      // lacks the frames applied before it. Searched, not pinned: on some seeds the leader's later snapshot repairs it.
      const seen: string[] = [];
      for (let seed = 1; seed <= 20; seed++) {
        const run = await spillingTransaction(seed, "snapshot-ignores-transactions");
        const restored = eventsNamed(run.cluster, "dqlite.fsm-restored", run.restarted, 2).map((event) =>
          Number(event.fields.index),
        );
        const insideFirst = restored[0] !== undefined && restored[0] > run.beginIndex && restored[0] < run.commitIndex;
        const lacksRows = run.problems.some((problem) => problem.startsWith(`${run.restarted}: db rows`));
        seen.push(
          `seed ${seed}: ${snapshotsInside(run).length} inside, first restore ${restored[0] ?? "none"}, ${run.problems.length} problems`,
        );
        if (snapshotsInside(run).length === 0 || !insideFirst || !lacksRows) continue;
        const described = run.problems.join("\n");
        expect(
          run.problems.every((problem) => problem.startsWith(`${run.restarted}: `)),
          described,
        ).toBe(true);
        return;
      }
      expect.fail(`not caught: ${seen.join("; ")}`);
    },
    20 * TEST_TIMEOUT_MS,
  );
});

function describeRun(seed: number, variant: string | undefined, result: RunResult): string {
  const replay = `npx dst run ${dqliteSnapshotCatchUp.name} --seed ${seed}${variant === undefined ? "" : ` --variant ${variant}`}`;
  const violations = result.violations
    .map((violation) => `${violation.kind} ${violation.invariant}: ${violation.details.slice(0, 300)}`)
    .join("\n");
  return `${replay}\n${violations}\nworkload: ${JSON.stringify(result.stats.workload)}`;
}

describe("dqlite-snapshot-catch-up", () => {
  for (const seed of [1, 2, 3]) {
    it(
      `a follower isolated past compaction installs a snapshot, restarts from it, and converges (seed ${seed})`,
      async () => {
        const result = await runScenario(dqliteSnapshotCatchUp, { seed });
        expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
        expect(result.stats.probes["raft.snapshot-installed"] ?? 0).toBeGreaterThan(0);
        expect(Number(result.stats.workload["insert:ok"])).toBeGreaterThan(0);
      },
      TEST_TIMEOUT_MS,
    );
  }

  it(
    "catches the raft variant ignore-install-snapshot-state: the laggard's copy differs (seed 4)",
    async () => {
      const variant = "ignore-install-snapshot-state";
      const result = await runScenario(dqliteSnapshotCatchUp, { seed: 4, variant });
      const invariants = result.violations.map((violation) => violation.invariant);
      expect(invariants, describeRun(4, variant, result)).toContain("dqlite-snapshot-catch-up.replicas-identical");
    },
    TEST_TIMEOUT_MS,
  );
});
