// The WAL interceptor sees every WAL write (header, frame headers, pages) and runs before every other operation; a
// refusal rolls the transaction back cleanly, leaving the connection usable and the files without it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  SqliteError,
  type SqliteConnection,
  type SqliteEngineOptions,
} from "../../../src/impl/dqlite/sqlite/engine.ts";
import { SQLITE_IOERR } from "../../../src/impl/dqlite/sqlite/sqlite-error.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { IgnoresInterceptorRefusalVfs } from "./_fixtures/broken-vfs.ts";
import { RecordingInterceptor, WAL_HEADER_BYTES, type Refusal } from "./_support/recording-interceptor.ts";
import { DIRECTORY, SqliteHost } from "./_support/sqlite-host.ts";
import {
  createTable,
  modelKeys,
  runTransaction,
  tableKeys,
  workloadArbitrary,
  type Transaction,
  type Workload,
} from "./_support/workload.ts";

async function interceptedHost(seed: string, cacheSizePages?: number, engine: Partial<SqliteEngineOptions> = {}) {
  const host = await SqliteHost.start({ seed, engine });
  const template = await host.run((each) => each.emptyDatabaseImage());
  await host.run(() => host.env.disk.writeFile(`${DIRECTORY}/kv`, template));
  const interceptor = new RecordingInterceptor();
  host.engine.vfs.setWalInterceptor("kv", interceptor);
  const connection = await host.run((each) => each.open("kv", cacheSizePages === undefined ? {} : { cacheSizePages }));
  return { host, interceptor, connection };
}

const bigTransaction =
  "BEGIN; " +
  Array.from({ length: 200 }, (_, index) => `INSERT INTO kv VALUES (${index}, printf('%.*c', 600, 'v'));`).join(" ") +
  " COMMIT;";

describe("WAL interceptor", () => {
  it("sees the WAL header, then each frame as a 24-byte big-endian header and a page; the commit frame carries the database size", async () => {
    const { host, interceptor, connection } = await interceptedHost("frames");
    await host.run(() => createTable(connection));
    const header = interceptor.events.find((event) => event.kind === "wal-header");
    expect(header?.kind === "wal-header" ? header.bytes.length : 0).toBe(WAL_HEADER_BYTES);
    expect(interceptor.frames()).toEqual([
      { kind: "frame-header", frame: 1, pageNumber: 1, commitSize: 0, rewrite: false },
      { kind: "page", frame: 1, rewrite: false },
      { kind: "frame-header", frame: 2, pageNumber: 2, commitSize: 2, rewrite: false },
      { kind: "page", frame: 2, rewrite: false },
    ]);
    expect(
      interceptor.events.filter((event) => event.kind === "other").length,
      "beforeOther ran (reads, sizes, locks)",
    ).toBeGreaterThan(0);
  });

  it("refusing the commit frame's page rolls the transaction back; the connection stays usable and the files never hold it", async () => {
    const { host, interceptor, connection } = await interceptedHost("refuse-commit");
    await host.run(() => createTable(connection));
    await host.run(() => connection.exec("INSERT INTO kv VALUES (1, 'one')"));
    interceptor.arm({ at: "commit-page" });
    const settled = await host.settle(() => connection.exec("INSERT INTO kv VALUES (2, 'two')"));
    expect(interceptor.fired).toBe(true);
    expect(settled.state === "error" ? settled.error : undefined).toMatchObject({
      name: "SqliteError",
      code: SQLITE_IOERR,
    });
    expect(connection.autocommit()).toBe(true);
    expect((await host.run(() => connection.exec("SELECT k FROM kv"))).rows).toEqual([[1]]);
    await host.run(() => connection.exec("INSERT INTO kv VALUES (3, 'three')"));
    await host.run(() => connection.close());
    const again = await host.run((engine) => engine.open("kv"));
    expect((await host.run(() => again.exec("SELECT k FROM kv ORDER BY k; PRAGMA integrity_check"))).rows).toEqual([
      ["ok"],
    ]);
    expect((await host.run(() => again.exec("SELECT k FROM kv ORDER BY k"))).rows).toEqual([[1], [3]]);
  });

  it("an error thrown by the interceptor (a bug) surfaces from exec as itself, not as an I/O error", async () => {
    const { host, interceptor, connection } = await interceptedHost("bug");
    await host.run(() => createTable(connection));
    const bug = new TypeError("interceptor bug");
    interceptor.throwOnWrite = bug;
    const settled = await host.settle(() => connection.exec("INSERT INTO kv VALUES (1, 'x')"));
    expect(settled.state === "error" ? settled.error : undefined).toBe(bug);
    expect((await host.run(() => connection.exec("SELECT count(*) FROM kv"))).rows).toEqual([[0]]);
  });

  it("with a small cache, SQLite spills non-commit frames before the commit, rewrites pages in place, then rewrites checksums", async () => {
    const { host, interceptor, connection } = await interceptedHost("spill", 10);
    await host.run(() => createTable(connection));
    await host.run(() => connection.exec(bigTransaction));
    interceptor.arm(undefined);
    interceptor.events.length = 0;
    await host.run(() => connection.exec("BEGIN; UPDATE kv SET v = v || '1'; UPDATE kv SET v = v || '2'; COMMIT"));
    const events = interceptor.events;
    const commitIndex = events.findIndex(
      (event) => event.kind === "frame-header" && !event.rewrite && event.commitSize > 0,
    );
    const before = events.slice(0, commitIndex);
    const after = events.slice(commitIndex + 1);
    const spilled = before.filter((event) => event.kind === "frame-header" && !event.rewrite);
    expect(spilled.length, "non-commit frames written before the commit frame").toBeGreaterThan(10);
    expect(spilled.every((event) => event.kind === "frame-header" && event.commitSize === 0)).toBe(true);
    const firstSpill = before.findIndex((event) => event.kind === "frame-header");
    expect(
      before.slice(firstSpill).some((event) => event.kind === "other"),
      "reads between spilled frames",
    ).toBe(true);
    expect(
      events.some((event) => event.kind === "page" && event.rewrite),
      "a page rewritten in place at its earlier frame",
    ).toBe(true);
    expect(
      after.some((event) => event.kind === "frame-header" && event.rewrite),
      "headers rewritten after the commit frame (checksums)",
    ).toBe(true);
    await host.run(() => connection.close());
    expect(await host.run((engine) => engine.integrityCheck("kv"))).toEqual(["ok"]);
  });

  it("property: refused WAL operations roll back exactly the transactions that met them", async () => {
    refusedTransactions = 0;
    await fc.assert(refusalsRollBack({}), propertyParameters("sqlite: interceptor refusals roll back", 25));
    expect(refusedTransactions, "some transactions were refused").toBeGreaterThan(0);
  }, 300_000);

  it("the property fails on a VFS that ignores the interceptor's refusals", async () => {
    const broken = refusalsRollBack({ createVfs: (options) => new IgnoresInterceptorRefusalVfs(options) });
    const result = await fc.check(broken, { seed: 1, numRuns: 40, endOnFailure: true });
    expect(result.failed).toBe(true);
  }, 300_000);
});

const refusalArbitrary: fc.Arbitrary<Refusal | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ at: "commit-page" as const }),
  fc.record({ at: fc.constant("wal-write" as const), index: fc.nat(30) }),
  fc.record({ at: fc.constant("before-other" as const), index: fc.nat(30) }),
);

interface RefusalRun {
  readonly seed: number;
  readonly workload: Workload;
  readonly refusals: readonly (Refusal | undefined)[];
}

const refusalRunArbitrary: fc.Arbitrary<RefusalRun> = fc.record({
  seed: fc.nat(1000),
  workload: workloadArbitrary(8),
  refusals: fc.array(refusalArbitrary, { minLength: 8, maxLength: 8 }),
});

let refusedTransactions = 0;

/**
 * The property: a transaction fails (SQLITE_IOERR) exactly when the interceptor
 * refused one of its operations; the table, before and after reopening, holds
 * exactly the transactions that succeeded, and integrity_check is ok.
 */
function refusalsRollBack(engine: Partial<SqliteEngineOptions>): fc.IAsyncProperty<[RefusalRun]> {
  return fc.asyncProperty(refusalRunArbitrary, async (run) => {
    const { host, interceptor, connection } = await interceptedHost(
      `refusals-${run.seed}`,
      run.workload.cacheSizePages,
      engine,
    );
    await host.run(() => createTable(connection));
    const committed: Transaction[] = [];
    for (const [index, transaction] of run.workload.transactions.entries()) {
      interceptor.arm(run.refusals[index]);
      const outcome = await host.run(() => runTransaction(connection, transaction));
      const fired = interceptor.fired;
      interceptor.arm(undefined);
      if (outcome.committed === fired) return false;
      if (!outcome.committed && !(outcome.error instanceof SqliteError && outcome.error.code === SQLITE_IOERR))
        return false;
      if (outcome.committed) committed.push(transaction);
      else refusedTransactions++;
    }
    const model = modelKeys(committed);
    expect(await host.run(() => tableKeys(connection))).toEqual(model);
    await host.run(() => connection.close());
    const again: SqliteConnection = await host.run((each) => each.open("kv"));
    expect(await host.run(() => tableKeys(again))).toEqual(model);
    expect((await host.run(() => again.exec("PRAGMA integrity_check"))).rows).toEqual([["ok"]]);
    return true;
  });
}
