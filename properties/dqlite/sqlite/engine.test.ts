// The engine's contract, one situation each: exec results and values, typed errors, one connection per database, the
// template, and one call into the module at a time.
import { describe, expect, it } from "vitest";
import { ENGINE_WAITERS_MAX, SqliteError } from "../../../src/impl/dqlite/sqlite/engine.ts";
import {
  SQLITE_BUSY,
  SQLITE_CONSTRAINT,
  SQLITE_ERROR,
  SQLITE_RANGE,
} from "../../../src/impl/dqlite/sqlite/sqlite-error.ts";
import { RecordingInterceptor } from "./_support/recording-interceptor.ts";
import { DIRECTORY, SqliteHost } from "./_support/sqlite-host.ts";

/** SQLITE_CONSTRAINT_PRIMARYKEY. */
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

async function hostWithConnection(seed: string) {
  const host = await SqliteHost.start({ seed });
  const connection = await host.run((engine) => engine.open("main"));
  return { host, connection };
}

describe("exec", () => {
  it("runs several statements and returns the last query's columns and rows, changes and the last rowid", async () => {
    const { host, connection } = await hostWithConnection("exec");
    const result = await host.run(() =>
      connection.exec(
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b); ; -- a comment\nINSERT INTO t(b) VALUES (?), (?); SELECT a, b FROM t ORDER BY a; INSERT INTO t(b) VALUES ('c');",
        ["x", "y"],
      ),
    );
    expect(result).toEqual({
      columns: ["a", "b"],
      rows: [
        [1, "x"],
        [2, "y"],
      ],
      changes: 1,
      lastInsertRowId: 3,
    });
    const empty = await host.run(() => connection.exec("SELECT a FROM t WHERE a > 10"));
    expect(empty.columns).toEqual(["a"]);
    expect(empty.rows).toEqual([]);
  });

  it("round-trips every kind of value, with positional and named parameters", async () => {
    const { host, connection } = await hostWithConnection("values");
    const values = [
      0,
      -1,
      2 ** 31,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      2n ** 63n - 1n,
      -(2n ** 63n),
      0.5,
      -1e300,
      "",
      "héllo wörld ✓",
      "a\u0000b",
      new Uint8Array(0),
      new Uint8Array([0, 1, 255]),
      null,
    ];
    await host.run(() => connection.exec("CREATE TABLE v(i INTEGER PRIMARY KEY, x)"));
    for (const [index, value] of values.entries())
      await host.run(() => connection.exec("INSERT INTO v VALUES (?, ?)", [index, value]));
    const rows = (await host.run(() => connection.exec("SELECT x, typeof(x) FROM v ORDER BY i"))).rows;
    expect(rows.map((row) => row[0])).toEqual(values);
    expect(rows.slice(0, 7).map((row) => row[1])).toEqual(Array(7).fill("integer"));
    const named = await host.run(() => connection.exec("SELECT :a, @b, $c", { a: 1, "@b": "two", c: null }));
    expect(named.rows).toEqual([[1, "two", null]]);
  });

  it("a missing parameter is SQLITE_RANGE; a syntax error SQLITE_ERROR; a duplicate key SQLITE_CONSTRAINT with its extended code", async () => {
    const { host, connection } = await hostWithConnection("errors");
    await host.run(() => connection.exec("CREATE TABLE t(a INTEGER PRIMARY KEY)"));
    await expect(host.run(() => connection.exec("SELECT ?, ?", [1]))).rejects.toMatchObject({
      name: "SqliteError",
      code: SQLITE_RANGE,
    });
    await expect(host.run(() => connection.exec("SELEC 1"))).rejects.toMatchObject({
      name: "SqliteError",
      code: SQLITE_ERROR,
    });
    await host.run(() => connection.exec("INSERT INTO t VALUES (1)"));
    const duplicate = host.run(() => connection.exec("INSERT INTO t VALUES (1)"));
    await expect(duplicate).rejects.toBeInstanceOf(SqliteError);
    await expect(duplicate).rejects.toMatchObject({
      code: SQLITE_CONSTRAINT,
      extendedCode: SQLITE_CONSTRAINT_PRIMARYKEY,
      message: "UNIQUE constraint failed: t.a",
    });
  });

  it("autocommit() follows explicit transactions", async () => {
    const { host, connection } = await hostWithConnection("autocommit");
    expect(connection.autocommit()).toBe(true);
    await host.run(() => connection.exec("CREATE TABLE t(a); BEGIN; INSERT INTO t VALUES (1)"));
    expect(connection.autocommit()).toBe(false);
    await host.run(() => connection.exec("COMMIT"));
    expect(connection.autocommit()).toBe(true);
  });
});

describe("engine", () => {
  it("one connection per database: a second one fails with SQLITE_BUSY, and works once the first is closed", async () => {
    const { host, connection } = await hostWithConnection("busy");
    await host.run(() => connection.exec("CREATE TABLE t(a)"));
    await expect(host.run((engine) => engine.open("main"))).rejects.toMatchObject({
      name: "SqliteError",
      code: SQLITE_BUSY,
    });
    await expect(host.run((engine) => engine.integrityCheck("main"))).rejects.toMatchObject({ code: SQLITE_BUSY });
    await host.run(() => connection.close());
    expect(await host.run((engine) => engine.integrityCheck("main"))).toEqual(["ok"]);
  });

  it("the template is one 4096-byte page in WAL mode, the same bytes whatever the seed, and opens as an empty database", async () => {
    const first = await SqliteHost.start({ seed: "template-1" });
    const second = await SqliteHost.start({ seed: "template-2" });
    const image = await first.run((engine) => engine.emptyDatabaseImage());
    expect(image.length).toBe(4096);
    expect(new TextDecoder().decode(image.subarray(0, 15))).toBe("SQLite format 3");
    expect([image[18], image[19]]).toEqual([2, 2]);
    expect(Buffer.from(await second.run((engine) => engine.emptyDatabaseImage())).equals(Buffer.from(image))).toBe(
      true,
    );
    await first.run(() => first.env.disk.writeFile(`${DIRECTORY}/fresh`, image));
    const connection = await first.run((engine) => engine.open("fresh"));
    expect((await first.run(() => connection.exec("SELECT count(*) FROM sqlite_schema"))).rows).toEqual([[0]]);
  });

  it("callers are served one at a time, in order: no call starts while another waits on the disk or the interceptor", async () => {
    const host = await SqliteHost.start({ seed: "mutex" });
    const slow = new RecordingInterceptor();
    const log: string[] = [];
    host.engine.vfs.setWalInterceptor("a", {
      write: async (offset, data, write) => {
        log.push("a:write");
        await host.env.clock.sleep(5);
        return slow.write(offset, data, write);
      },
      beforeOther: () => slow.beforeOther(),
    });
    host.engine.vfs.setWalInterceptor("b", {
      write: async (_offset, data, write) => (log.push("b:write"), await write(_offset, data), 0),
      beforeOther: async () => 0,
    });
    const [a, b] = await host.run((engine) => Promise.all([engine.open("a"), engine.open("b")]));
    const results = await host.run(() =>
      Promise.all([
        a!.exec("CREATE TABLE t(x)").then(() => log.push("a:done")),
        b!.exec("CREATE TABLE t(x)").then(() => log.push("b:done")),
        a!.exec("INSERT INTO t VALUES (1)").then(() => log.push("a:done")),
      ]),
    );
    expect(results.length).toBe(3);
    const firstB = log.indexOf("b:write");
    expect(
      log.slice(0, firstB).filter((entry) => entry === "a:done").length,
      "a's first call finished before b's started",
    ).toBe(1);
    expect(log.indexOf("b:done")).toBeLessThan(log.lastIndexOf("a:write"));
  });

  it(`at most ${ENGINE_WAITERS_MAX} callers wait; one more fails at once with SQLITE_BUSY`, async () => {
    const { host, connection } = await hostWithConnection("waiters");
    const calls = Array.from({ length: ENGINE_WAITERS_MAX + 2 }, () =>
      connection.exec("SELECT 1").then(
        () => "ok",
        (error: unknown) => (error instanceof SqliteError ? error.code : "other"),
      ),
    );
    const outcomes = await host.run(() => Promise.all(calls));
    expect(outcomes.filter((outcome) => outcome === "ok").length).toBe(ENGINE_WAITERS_MAX + 1);
    expect(outcomes.at(-1)).toBe(SQLITE_BUSY);
  });
});
