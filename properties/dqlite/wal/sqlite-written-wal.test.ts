// Cross-validation (a): WALs written by real SQLite parse, and their logical database is what SQLite itself
// checkpoints.
import { beforeAll, describe, expect, it } from "vitest";
import {
  databaseImage,
  parseWal,
  WAL_MAGIC_LITTLE_ENDIAN,
  walFrameOffset,
} from "../../../src/impl/dqlite/wal/wal-format.ts";
import { PAGE_SIZE } from "../../../src/impl/dqlite/types.ts";
import { loadSqlite, SqliteConnection } from "./_support/wa-sqlite.ts";
import type { Sqlite } from "./_support/wa-sqlite.ts";

let sqlite: Sqlite;
beforeAll(async () => {
  sqlite = await loadSqlite();
});

/** A fresh database `name` on the memory VFS, with a table of text rows. */
async function freshDatabase(name: string): Promise<SqliteConnection> {
  sqlite.vfs.files.delete(name);
  sqlite.vfs.files.delete(`${name}-wal`);
  const connection = await SqliteConnection.open(sqlite, name);
  await connection.query("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)");
  return connection;
}

function insertRows(first: number, count: number, width: number): string {
  const values = Array.from(
    { length: count },
    (_, index) => `(${first + index}, '${String(first + index).padEnd(width, "x")}')`,
  );
  return `INSERT INTO t(id, body) VALUES ${values.join(", ")}`;
}

function files(name: string): { database: Uint8Array; wal: Uint8Array } {
  return {
    database: (sqlite.vfs.files.get(name) ?? new Uint8Array(0)).slice(),
    wal: (sqlite.vfs.files.get(`${name}-wal`) ?? new Uint8Array(0)).slice(),
  };
}

/**
 * SQLite's own checkpoint of the database: the frames its recovery found in the WAL
 * (a PASSIVE checkpoint reports them; TRUNCATE reports 0 once the WAL is empty), and
 * the database file after it.
 */
async function sqliteCheckpoint(
  connection: SqliteConnection,
  name: string,
): Promise<{ frames: number; database: Uint8Array }> {
  const [passive] = await connection.query("PRAGMA wal_checkpoint(PASSIVE)");
  expect(passive?.[0]).toBe(0);
  expect(passive?.[1]).toBe(passive?.[2]);
  expect(await connection.query("PRAGMA wal_checkpoint(TRUNCATE)")).toEqual([[0, 0, 0]]);
  expect(files(name).wal.length).toBe(0);
  return { frames: Number(passive?.[1]), database: files(name).database };
}

describe("WALs written by SQLite", () => {
  it("parse as SQLite recovers them, and the image is SQLite's own checkpoint", async () => {
    const connection = await freshDatabase("a1");
    await connection.query("PRAGMA cache_size=10"); // small cache: big transactions spill frames before their commit
    await connection.query(insertRows(1, 20, 100));
    await connection.query(`BEGIN; ${insertRows(1000, 600, 400)}; COMMIT;`);
    await connection.query("UPDATE t SET body = body || 'y' WHERE id % 3 = 0");
    await connection.query("DELETE FROM t WHERE id BETWEEN 1000 AND 1500");
    await connection.query("VACUUM"); // the database shrinks: a commit frame with fewer pages than before
    await connection.query(insertRows(5000, 5, 10));
    const { database, wal } = files("a1");
    const parsed = parseWal(wal);
    expect(new DataView(wal.buffer).getUint32(0)).toBe(WAL_MAGIC_LITTLE_ENDIAN);
    expect(parsed.header?.pageSize).toBe(PAGE_SIZE);
    expect(parsed.framesAfterCommit).toBe(0);
    expect(walFrameOffset(PAGE_SIZE, parsed.committedFrameCount)).toBe(wal.length);
    const sizes = parsed.frames.filter((frame) => frame.commitSizePages !== 0).map((frame) => frame.commitSizePages);
    expect(Math.min(...sizes.slice(sizes.indexOf(Math.max(...sizes))))).toBeLessThan(Math.max(...sizes));
    const image = databaseImage(database, wal);
    const checkpointed = await sqliteCheckpoint(connection, "a1");
    expect(checkpointed.frames).toBe(parsed.committedFrameCount);
    expect(Buffer.from(image).equals(Buffer.from(checkpointed.database))).toBe(true);
    await connection.close();
  });

  it("frames of a rolled-back transaction follow the last commit and are not committed", async () => {
    const connection = await freshDatabase("a2");
    await connection.query("PRAGMA cache_size=10");
    await connection.query(insertRows(1, 50, 100));
    await connection.query(`BEGIN; ${insertRows(1000, 400, 400)}; ROLLBACK;`);
    const { database, wal } = files("a2");
    const parsed = parseWal(wal);
    expect(parsed.framesAfterCommit).toBeGreaterThan(0);
    const image = databaseImage(database, wal);
    const checkpointed = await sqliteCheckpoint(connection, "a2");
    expect(checkpointed.frames).toBe(parsed.committedFrameCount);
    expect(Buffer.from(image).equals(Buffer.from(checkpointed.database))).toBe(true);
    expect(await connection.query("SELECT count(*) FROM t")).toEqual([[50]]);
    await connection.close();
  });

  it("after SQLite restarts its WAL, the stale frames of the old one (other salts) are ignored", async () => {
    const connection = await freshDatabase("a3");
    await connection.query(insertRows(1, 300, 200));
    const before = parseWal(files("a3").wal);
    await connection.query("PRAGMA wal_checkpoint(PASSIVE)"); // every frame copied back: the next write restarts the WAL
    await connection.query("UPDATE t SET body = 'z' WHERE id = 1");
    const { database, wal } = files("a3");
    const parsed = parseWal(wal);
    expect(wal.length).toBeGreaterThan(walFrameOffset(PAGE_SIZE, parsed.committedFrameCount));
    expect(parsed.header?.salt1).toBe(((before.header?.salt1 ?? 0) + 1) >>> 0);
    expect(parsed.header?.checkpointSequence).toBe((before.header?.checkpointSequence ?? 0) + 1);
    expect(parsed.committedFrameCount).toBeLessThan(before.committedFrameCount);
    const image = databaseImage(database, wal);
    const checkpointed = await sqliteCheckpoint(connection, "a3");
    expect(checkpointed.frames).toBe(parsed.committedFrameCount);
    expect(Buffer.from(image).equals(Buffer.from(checkpointed.database))).toBe(true);
    await connection.close();
  });

  it("a WAL cut inside a transaction loses that transaction when SQLite reopens it, exactly as parseWal says", async () => {
    const connection = await freshDatabase("a4");
    await connection.query(insertRows(1, 10, 100));
    const afterFirst = parseWal(files("a4").wal).committedFrameCount;
    await connection.query(insertRows(100, 200, 300));
    await connection.close();
    const { database, wal } = files("a4");
    const torn = wal.slice(0, wal.length - 1000);
    expect(parseWal(torn).committedFrameCount).toBe(afterFirst);
    sqlite.vfs.files.set("a4-torn", database);
    sqlite.vfs.files.set("a4-torn-wal", torn);
    const reopened = await SqliteConnection.open(sqlite, "a4-torn");
    expect(await reopened.query("SELECT count(*) FROM t")).toEqual([[10]]);
    const image = databaseImage(database, torn);
    const checkpointed = await sqliteCheckpoint(reopened, "a4-torn");
    expect(Buffer.from(image).equals(Buffer.from(checkpointed.database))).toBe(true);
    await reopened.close();
  });
});
