// Cross-validation (b): databases that DatabaseFiles builds open in real SQLite with the right rows, and SQLite and
// DatabaseFiles can take turns appending to one WAL.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseImage, parseWal } from "../../../src/impl/dqlite/wal/wal-format.ts";
import type { DatabaseFiles } from "../../../src/impl/dqlite/types.ts";
import { asBatches, capturedTransactions } from "./_support/frame-capture.ts";
import type { CapturedTransaction } from "./_support/frame-capture.ts";
import {
  leaderWrites,
  nodeFiles,
  nodeWithStore,
  putInVfs,
  sqliteReads,
  takeFromVfs,
} from "./_support/node-database.ts";
import type { DiskHost } from "./_support/disk-host.ts";
import { emptyDatabaseTemplate, loadSqlite, SqliteConnection } from "./_support/wa-sqlite.ts";
import type { Sqlite } from "./_support/wa-sqlite.ts";

let sqlite: Sqlite;
let template: Uint8Array;
beforeAll(async () => {
  sqlite = await loadSqlite();
  template = await emptyDatabaseTemplate(sqlite);
});

const ALL_ROWS = "SELECT id, body FROM t ORDER BY id";

function insertRows(first: number, count: number, width: number): string {
  const values = Array.from(
    { length: count },
    (_, index) => `(${first + index}, '${String(first + index).padEnd(width, "x")}')`,
  );
  return `INSERT INTO t(id, body) VALUES ${values.join(", ")}`;
}

/** Applies a captured transaction as a follower does: its frames in several Raft entries, the first with `begin`. */
async function applyTransaction(
  host: DiskHost,
  files: DatabaseFiles,
  transaction: CapturedTransaction,
  cuts: readonly number[],
): Promise<void> {
  const batches = asBatches(transaction, cuts);
  for (const [index, batch] of batches.entries()) await host.run(() => files.applyFrames(batch, index === 0));
}

/** Applies every frame but the commit frame, then undoes them (a transaction the leader gave up). */
async function applyAndUndo(host: DiskHost, files: DatabaseFiles, transaction: CapturedTransaction): Promise<void> {
  const batches = asBatches(transaction, [1, transaction.pageNumbers.length - 1]).filter((batch) => !batch.isCommit);
  for (const [index, batch] of batches.entries()) await host.run(() => files.applyFrames(batch, index === 0));
  expect(files.pendingFrames()).toBeGreaterThan(0);
  await host.run(() => files.undo());
  expect(files.pendingFrames()).toBe(0);
}

/** SQL run on a source database; its new committed transactions, captured from its WAL. */
class Source {
  private captured = 0;
  private constructor(private readonly connection: SqliteConnection) {}

  static async fromFiles(name: string, files: { database: Uint8Array; wal: Uint8Array }): Promise<Source> {
    putInVfs(sqlite, name, files);
    const source = new Source(await SqliteConnection.open(sqlite, name));
    source.captured = parseWal(files.wal).committedFrameCount;
    return source;
  }

  async run(name: string, sql: string): Promise<CapturedTransaction[]> {
    await this.connection.query(sql);
    const transactions = capturedTransactions(takeFromVfs(sqlite, name).wal, this.captured);
    this.captured += transactions.reduce((total, transaction) => total + transaction.pageNumbers.length, 0);
    return transactions;
  }

  query(sql: string): Promise<unknown[][]> {
    return this.connection.query(sql);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

async function expectSqliteSees(host: DiskHost, files: DatabaseFiles, rows: unknown[][]): Promise<void> {
  const reading = await sqliteReads(sqlite, host, ALL_ROWS);
  expect(reading.integrity).toEqual([["ok"]]);
  expect(reading.rows).toEqual(rows);
  expect(reading.recoveredFrames).toBe(files.committedFrames());
  const image = await host.run(() => files.image());
  expect(Buffer.from(image).equals(Buffer.from(reading.checkpointed))).toBe(true);
}

describe("SQLite reads what DatabaseFiles builds", () => {
  it("frames captured from another SQLite, applied in pieces with undos and a checkpoint, make the same database", async () => {
    const { host, store } = nodeWithStore("b1", template);
    const files = await host.run(() => store.open("db"));
    const source = await Source.fromFiles("b1-source", { database: template, wal: new Uint8Array(0) });
    await source.query("PRAGMA cache_size=10"); // big transactions spill, so pages repeat within one transaction
    const steps = [
      "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)",
      insertRows(1, 20, 100),
      `BEGIN; ${insertRows(1000, 300, 400)}; COMMIT;`,
      "UPDATE t SET body = body || 'y' WHERE id % 3 = 0",
      "DELETE FROM t WHERE id BETWEEN 1000 AND 1250",
      "VACUUM",
      insertRows(5000, 5, 10),
    ];
    for (const [step, sql] of steps.entries()) {
      for (const transaction of await source.run("b1-source", sql)) {
        if (step % 2 === 0 && transaction.pageNumbers.length > 1) await applyAndUndo(host, files, transaction);
        if (step === 3) {
          // A transaction abandoned without an undo: the next one's `begin` drops its frames.
          await host.run(() => files.applyFrames(asBatches(transaction, [1])[0] ?? unreachable(), true));
        }
        await applyTransaction(host, files, transaction, [1, 3, 7, 50]);
      }
      if (step === 4) await host.run(() => files.checkpoint());
    }
    const expectedRows = await source.query(ALL_ROWS);
    const sourceFiles = takeFromVfs(sqlite, "b1-source");
    await source.close();
    expect(expectedRows.length).toBe(20 + 300 - 251 + 5);
    const image = await host.run(() => files.image());
    expect(Buffer.from(image).equals(Buffer.from(databaseImage(sourceFiles.database, sourceFiles.wal)))).toBe(true);
    await expectSqliteSees(host, files, expectedRows);
  });

  it("SQLite and DatabaseFiles take turns appending to one WAL, across leader rollbacks and checkpoints", async () => {
    const { host, store } = nodeWithStore("b2", template);
    const files = await host.run(() => store.open("db"));
    const expected: unknown[][] = [];
    const row = (id: number): unknown[] => [id, String(id).padEnd(300, "x")];
    await leaderWrites(sqlite, host, "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)");
    files.noteLeaderCommit(parseWal((await nodeFiles(host)).wal).committedFrameCount);
    for (let round = 0; round < 6; round++) {
      // The node leads: its own SQLite appends after whatever is in the WAL.
      const generation = files.generation();
      await leaderWrites(sqlite, host, insertRows(round * 100, 10, 300));
      files.noteLeaderCommit(parseWal((await nodeFiles(host)).wal).committedFrameCount);
      expect(files.generation()).toBe(generation);
      for (let id = round * 100; id < round * 100 + 10; id++) expected.push(row(id));
      await expectSqliteSees(host, files, expected);
      if (round % 3 === 1) {
        // The leader's transaction spills frames to the WAL and then rolls back (leadership lost).
        await leaderWrites(sqlite, host, `PRAGMA cache_size=10; BEGIN; ${insertRows(90_000, 200, 400)}; ROLLBACK;`);
        expect(parseWal((await nodeFiles(host)).wal).framesAfterCommit).toBeGreaterThan(0);
        files.noteLeaderRollback();
      }
      // The node follows: frames of a transaction another node's SQLite made on the same state.
      const source = await Source.fromFiles(`b2-source-${round}`, await nodeFiles(host));
      const transactions = await source.run(
        `b2-source-${round}`,
        `PRAGMA cache_size=10; ${insertRows(round * 100 + 50, 40, 300)}`,
      );
      await source.close();
      for (const transaction of transactions) await applyTransaction(host, files, transaction, [2, 5]);
      for (let id = round * 100 + 50; id < round * 100 + 90; id++) expected.push(row(id));
      expect(files.generation()).toBeGreaterThan(generation);
      await expectSqliteSees(host, files, expected);
      if (round % 2 === 1) {
        await host.run(() => files.checkpoint());
        expect((await nodeFiles(host)).wal.length).toBe(0);
        await expectSqliteSees(host, files, expected);
      }
    }
  });
});

function unreachable(): never {
  throw new Error("unreachable");
}
