/**
 * dqlite benchmark: SQL write transactions per wall second on a 3-server dqlite
 * cluster in the simulator (no faults; built by the scenarios' kit,
 * scenarios/dqlite/cluster.ts, so its Raft observers and committed-log model run
 * as in every scenario), side by side with the same statements on a
 * single unreplicated wa-sqlite database in memory, without the simulator. The
 * ratio is what replication (Raft, the WAL capture, the FSM writing every
 * replica's files on its simulated disk) and the simulation itself cost.
 *
 * Both runs create `t` once, then time only the write phase: TRANSACTIONS
 * autocommit INSERTs one after another (each its own transaction), bound
 * parameters, an integer key and a VALUE_BYTES text value.
 */
import * as SQLite from "wa-sqlite";
import { DqliteClient } from "../src/impl/dqlite/index.ts";
import { startDqliteCluster } from "../scenarios/dqlite/cluster.ts";
import { standaloneContext } from "../src/sim/runner.ts";
import { createSimDisks } from "../src/sim/disk/system.ts";
import type { Env } from "../src/sim/env.ts";
import { createWaSqliteModule } from "../src/sim/wasm/wa-sqlite-module.ts";
import { World } from "../src/sim/world.ts";
import { wallNow, type BenchSection } from "./lib.ts";

const SEED = 1;
const SERVERS = ["n1", "n2", "n3"];
/** Write transactions timed per run. */
const TRANSACTIONS = 500;
/** Bytes of each row's text value. */
const VALUE_BYTES = 100;
/** Fresh clusters measured; the best write phase counts (the first also warms the JIT). */
const REPLICATED_REPEATS = 2;
/** Fresh in-memory databases measured; the best counts. */
const BASELINE_REPEATS = 3;
/** Runaway guard of one replicated run, in virtual ms. */
const RUN_MAX_VIRTUAL_MS = 600_000;

const CREATE_TABLE = "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
const INSERT = "INSERT INTO t (k, v) VALUES (?, ?)";

/** The parameters of the `index`th INSERT: the same in both runs. */
function insertParams(index: number): [number, string] {
  return [index, `value ${index} `.padEnd(VALUE_BYTES, "x")];
}

interface WritePhase {
  readonly wallMs: number;
  readonly virtualMs: number;
}

/** Simulated time of the light-load run's timed phase, in ms. */
const LIGHT_LOAD_VIRTUAL_MS = 30_000;
/** The light load: one INSERT every this many virtual ms (about 10 per simulated second). */
const LIGHT_LOAD_PERIOD_MS = 100;

/** One fresh fault-free cluster: waits for the table, then times TRANSACTIONS INSERTs through a DqliteClient. */
async function replicatedWritePhase(): Promise<WritePhase> {
  return timedClusterPhase(async (client) => {
    for (let index = 0; index < TRANSACTIONS; index++) await client.exec(INSERT, insertParams(index));
  });
}

/** One fresh cluster under a light write load: an INSERT every LIGHT_LOAD_PERIOD_MS for LIGHT_LOAD_VIRTUAL_MS. */
async function lightLoadPhase(): Promise<WritePhase> {
  return timedClusterPhase(async (client, env) => {
    for (let index = 0; index < LIGHT_LOAD_VIRTUAL_MS / LIGHT_LOAD_PERIOD_MS; index++) {
      await env.clock.sleep(LIGHT_LOAD_PERIOD_MS);
      await client.exec(INSERT, insertParams(index));
    }
  });
}

/** A fresh 3-server cluster and a client; times `phase` after CREATE TABLE, in wall and virtual time. */
async function timedClusterPhase(phase: (client: DqliteClient, env: Env) => Promise<void>): Promise<WritePhase> {
  const world = new World({ seed: SEED, disks: createSimDisks() });
  startDqliteCluster(standaloneContext(world, SEED), { servers: SERVERS });
  let outcome: { phase: WritePhase } | { error: unknown } | undefined;
  world
    .addHost("client", async (env) => {
      // Generous: the first statement waits for the election and the leader's barrier.
      const client = new DqliteClient(env, {
        servers: SERVERS,
        operationTimeoutMs: 10_000,
        callDeadlineMs: 1_000,
        attemptsMax: 200,
      });
      try {
        await client.exec(CREATE_TABLE);
        const wallStart = wallNow();
        const virtualStart = world.now;
        await phase(client, env);
        outcome = { phase: { wallMs: wallNow() - wallStart, virtualMs: world.now - virtualStart } };
      } catch (error) {
        outcome = { error };
      }
    })
    .start();
  await world.scheduler.run({ predicate: () => outcome !== undefined, maxTime: RUN_MAX_VIRTUAL_MS });
  if (outcome === undefined)
    throw new Error(`bench: the dqlite client did not finish within ${RUN_MAX_VIRTUAL_MS} virtual ms`);
  if ("error" in outcome) throw outcome.error;
  const failed = world.uncaughtProcessErrors[0];
  if (failed !== undefined) throw new Error(`bench: process on ${failed.host} failed: ${String(failed.error)}`);
  return outcome.phase;
}

/**
 * The baseline: the same statements on one `:memory:` database through wa-sqlite's
 * own SQLiteAPI (its default in-memory VFS, rollback journal in memory), no
 * simulator. Chosen over our SqliteEngine because the engine only opens databases
 * on a simulated disk (it needs an Env); this is the plain unreplicated SQLite. The
 * module is the same Asyncify build the cluster runs (createWaSqliteModule, fed
 * real time and a fixed PRNG seed), so the wasm itself is not part of the ratio.
 * Each INSERT is prepared, bound, stepped and finalized, as the cluster's leader does.
 */
async function baselineWritePhaseMs(): Promise<number> {
  const module = await createWaSqliteModule({ now: () => Date.now(), fillRandom: (bytes) => bytes.fill(SEED) });
  const sqlite3 = SQLite.Factory(module);
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < BASELINE_REPEATS; repeat++) {
    const db = await sqlite3.open_v2(":memory:");
    await sqlite3.exec(db, CREATE_TABLE);
    const start = wallNow();
    for (let index = 0; index < TRANSACTIONS; index++) {
      for await (const statement of sqlite3.statements(db, INSERT)) {
        sqlite3.bind_collection(statement, insertParams(index));
        const code = await sqlite3.step(statement);
        if (code !== SQLite.SQLITE_DONE) throw new Error(`bench: INSERT stepped to ${code}, not SQLITE_DONE`);
      }
    }
    best = Math.min(best, wallNow() - start);
    const rows: unknown[] = [];
    await sqlite3.exec(db, "SELECT count(*) FROM t", (row) => rows.push(row[0]));
    if (rows[0] !== TRANSACTIONS)
      throw new Error(`bench: the baseline table holds ${String(rows[0])} rows, not ${TRANSACTIONS}`);
    await sqlite3.close(db);
  }
  return best;
}

/** The dqlite section of `npm run bench`. */
export async function benchDqlite(): Promise<BenchSection> {
  let best: WritePhase | undefined;
  for (let repeat = 0; repeat < REPLICATED_REPEATS; repeat++) {
    const phase = await replicatedWritePhase();
    if (best === undefined || phase.wallMs < best.wallMs) best = phase;
  }
  if (best === undefined) throw new Error("bench: no replicated run");
  let light: WritePhase | undefined;
  for (let repeat = 0; repeat < REPLICATED_REPEATS; repeat++) {
    const phase = await lightLoadPhase();
    if (light === undefined || phase.wallMs < light.wallMs) light = phase;
  }
  if (light === undefined) throw new Error("bench: no light-load run");
  const baselineMs = await baselineWritePhaseMs();
  const replicated = TRANSACTIONS / (best.wallMs / 1000);
  const baseline = TRANSACTIONS / (baselineMs / 1000);
  return {
    title: "dqlite: SQL write transactions (3 servers, no faults)",
    rows: [
      {
        name: "3 servers: write transactions per wall second",
        value: replicated,
        unit: "txn/s",
        baseline,
        baselineName: "one wa-sqlite :memory: database, no simulator",
      },
      {
        name: "3 servers, saturated: simulated seconds per wall second",
        value: best.virtualMs / best.wallMs,
        unit: "sim s/s",
        baseline: 1,
        baselineName: "real time",
      },
      {
        name: `3 servers, light load (an INSERT every ${LIGHT_LOAD_PERIOD_MS} ms): simulated seconds per wall second`,
        value: light.virtualMs / light.wallMs,
        unit: "sim s/s",
        baseline: 1,
        baselineName: "real time",
      },
      { name: "3 servers: virtual time per transaction", value: best.virtualMs / TRANSACTIONS, unit: "virtual ms" },
    ],
    notes: [
      `${TRANSACTIONS} autocommit INSERTs (integer key, ${VALUE_BYTES}-byte text value, bound parameters) one after another, after CREATE TABLE; write phase only, best of ${REPLICATED_REPEATS} fresh clusters (seed ${SEED}) and of ${BASELINE_REPEATS} fresh baseline databases. The baseline is ${(baseline / replicated).toFixed(0)}x faster: that factor is the replication and simulation overhead.`,
    ],
  };
}
