// A connection keeps the statements of the single-statement texts it ran, prepared (run-sql.ts, StatementCache):
// running a text again gives what a fresh prepare gives, whatever happened in between (new bindings, a schema change,
// a failed run, more texts than the cache holds), and the connection still closes.
import { describe, expect, it } from "vitest";
import { STATEMENT_CACHE_MAX } from "../../../src/impl/dqlite/sqlite/run-sql.ts";
import { SqliteError } from "../../../src/impl/dqlite/sqlite/engine.ts";
import { SQLITE_CONSTRAINT, SQLITE_RANGE } from "../../../src/impl/dqlite/sqlite/sqlite-error.ts";
import { SqliteHost } from "./_support/sqlite-host.ts";

const INSERT = "INSERT INTO t(a, b) VALUES (?, ?)";

async function hostWithTable(seed: string) {
  const host = await SqliteHost.start({ seed });
  const connection = await host.run((engine) => engine.open("main"));
  await host.run(() => connection.exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b)"));
  return { host, connection };
}

async function failureCode(run: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SqliteError);
    return (error as SqliteError).code & 0xff;
  }
}

describe("statement cache", () => {
  it("a text run again binds its new parameters (never the last run's)", async () => {
    const { host, connection } = await hostWithTable("cache-bindings");
    for (let index = 1; index <= 3 * STATEMENT_CACHE_MAX; index++) {
      const result = await host.run(() => connection.exec(INSERT, [index, `value ${index}`]));
      expect(result.changes).toBe(1);
      expect(result.lastInsertRowId).toBe(index);
    }
    const missing = await failureCode(() => host.run(() => connection.exec(INSERT, [1000])));
    expect(missing).toBe(SQLITE_RANGE);
    const rows = await host.run(() => connection.exec("SELECT count(*), sum(a), max(b) FROM t"));
    expect(rows.rows).toEqual([
      [3 * STATEMENT_CACHE_MAX, (3 * STATEMENT_CACHE_MAX * (3 * STATEMENT_CACHE_MAX + 1)) / 2, "value 9"],
    ]);
  });

  it("a kept query sees a schema change made after it was kept", async () => {
    const { host, connection } = await hostWithTable("cache-schema");
    await host.run(() => connection.exec(INSERT, [1, "x"]));
    const before = await host.run(() => connection.exec("SELECT * FROM t"));
    expect(before.columns).toEqual(["a", "b"]);
    await host.run(() => connection.exec("ALTER TABLE t ADD COLUMN c DEFAULT 7"));
    const after = await host.run(() => connection.exec("SELECT * FROM t"));
    expect(after.columns).toEqual(["a", "b", "c"]);
    expect(after.rows).toEqual([[1, "x", 7]]);
  });

  it("a kept statement whose run fails is dropped, and the same text then runs again", async () => {
    const { host, connection } = await hostWithTable("cache-failure");
    await host.run(() => connection.exec(INSERT, [1, "x"]));
    const duplicate = await failureCode(() => host.run(() => connection.exec(INSERT, [1, "y"])));
    expect(duplicate).toBe(SQLITE_CONSTRAINT);
    const result = await host.run(() => connection.exec(INSERT, [2, "y"]));
    expect(result.lastInsertRowId).toBe(2);
    const rows = await host.run(() => connection.exec("SELECT a, b FROM t ORDER BY a"));
    expect(rows.rows).toEqual([
      [1, "x"],
      [2, "y"],
    ]);
  });

  it("closes after more texts than it keeps, and the database opens again with everything in it", async () => {
    const { host, connection } = await hostWithTable("cache-close");
    for (let index = 0; index < STATEMENT_CACHE_MAX + 3; index++) {
      await host.run(() => connection.exec(`INSERT INTO t(a, b) VALUES (${index}, ?)`, [`text ${index}`]));
      await host.run(() => connection.exec(`SELECT b FROM t WHERE a = ${index}`));
    }
    await host.run(() => connection.close());
    const reopened = await host.run((engine) => engine.open("main"));
    const count = await host.run(() => reopened.exec("SELECT count(*) FROM t"));
    expect(count.rows).toEqual([[STATEMENT_CACHE_MAX + 3]]);
    await host.run(() => reopened.close());
  });
});
