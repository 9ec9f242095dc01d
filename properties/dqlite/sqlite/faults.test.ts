// A failing disk (EIO, ENOSPC) surfaces as a SqliteError with an I/O or full-disk code, never as a crash; the failed
// transaction has no effect and the connection stays usable.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SqliteError, type SqliteEngineOptions } from "../../../src/impl/dqlite/sqlite/engine.ts";
import { SQLITE_FULL, SQLITE_IOERR, SQLITE_IOERR_WRITE } from "../../../src/impl/dqlite/sqlite/sqlite-error.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { DiskErrorsAsBugsVfs } from "./_fixtures/broken-vfs.ts";
import { DIRECTORY, HOST, SqliteHost } from "./_support/sqlite-host.ts";
import {
  createTable,
  modelKeys,
  runTransaction,
  tableKeys,
  workloadArbitrary,
  type Transaction,
  type Workload,
} from "./_support/workload.ts";

async function hostWithTable(seed: string, engine: Partial<SqliteEngineOptions> = {}, cacheSizePages?: number) {
  const host = await SqliteHost.start({ seed, engine });
  const template = await host.run((each) => each.emptyDatabaseImage());
  await host.run(() => host.env.disk.writeFile(`${DIRECTORY}/kv`, template));
  const connection = await host.run((each) => each.open("kv", cacheSizePages === undefined ? {} : { cacheSizePages }));
  await host.run(() => createTable(connection));
  return { host, connection };
}

interface FaultyRun {
  readonly seed: number;
  readonly workload: Workload;
  readonly readErrorProbability: number;
  readonly writeErrorProbability: number;
}

const faultyRunArbitrary: fc.Arbitrary<FaultyRun> = fc.record({
  seed: fc.nat(1000),
  workload: workloadArbitrary(10),
  readErrorProbability: fc.constantFrom(0, 0.01, 0.05, 0.2),
  writeErrorProbability: fc.constantFrom(0, 0.01, 0.05, 0.2),
});

/**
 * The property: under EIO every failure is a SqliteError with primary code
 * SQLITE_IOERR; once the faults stop, the table holds exactly the transactions
 * that succeeded, and integrity_check is ok.
 */
let failedTransactions = 0;

function failuresAreIoErrors(engine: Partial<SqliteEngineOptions>): fc.IAsyncProperty<[FaultyRun]> {
  return fc.asyncProperty(faultyRunArbitrary, async (run) => {
    const { host, connection } = await hostWithTable(`faults-${run.seed}`, engine, run.workload.cacheSizePages);
    host.setDiskFaults({
      readErrorProbability: run.readErrorProbability,
      writeErrorProbability: run.writeErrorProbability,
    });
    const committed: Transaction[] = [];
    for (const transaction of run.workload.transactions) {
      const settled = await host.settle(() => runTransaction(connection, transaction));
      if (settled.state !== "ok") return false;
      if (settled.value.committed) committed.push(transaction);
      else if (settled.value.error.code !== SQLITE_IOERR) return false;
      else failedTransactions++;
    }
    host.clearDiskFaults();
    const table = await host.run(() => tableKeys(connection));
    const integrity = await host.run(() => connection.exec("PRAGMA integrity_check"));
    expect(table).toEqual(modelKeys(committed));
    expect(integrity.rows).toEqual([["ok"]]);
    return true;
  });
}

describe("disk faults", () => {
  it("EIO on every write: SQLITE_IOERR_WRITE, nothing committed, and the connection works once the disk does", async () => {
    const { host, connection } = await hostWithTable("eio-write");
    host.setDiskFaults({ writeErrorProbability: 1 });
    const settled = await host.settle(() => connection.exec("INSERT INTO kv VALUES (1, 'lost')"));
    expect(settled.state).toBe("error");
    const error = settled.state === "error" ? settled.error : undefined;
    expect(error).toBeInstanceOf(SqliteError);
    expect(error).toMatchObject({ code: SQLITE_IOERR, extendedCode: SQLITE_IOERR_WRITE });
    expect(connection.autocommit()).toBe(true);
    host.clearDiskFaults();
    await host.run(() => connection.exec("INSERT INTO kv VALUES (2, 'kept')"));
    expect((await host.run(() => connection.exec("SELECT k, v FROM kv"))).rows).toEqual([[2, "kept"]]);
  });

  it("EIO on every read: a new connection fails with SQLITE_IOERR", async () => {
    const { host, connection } = await hostWithTable("eio-read");
    await host.run(() => connection.close());
    host.setDiskFaults({ readErrorProbability: 1 });
    const settled = await host.settle((engine) => engine.open("kv"));
    expect(settled.state).toBe("error");
    expect(settled.state === "error" ? settled.error : undefined).toMatchObject({
      name: "SqliteError",
      code: SQLITE_IOERR,
    });
  });

  it("a full disk: SQLITE_FULL, and the connection works once there is space", async () => {
    const { host, connection } = await hostWithTable("full");
    const disk = host.disks.disk(HOST);
    disk.setCapacity(disk.stats().usedBytes + 100);
    const settled = await host.settle(() => connection.exec("INSERT INTO kv VALUES (1, ?)", ["x".repeat(10_000)]));
    expect(settled.state === "error" ? settled.error : undefined).toMatchObject({
      name: "SqliteError",
      code: SQLITE_FULL,
    });
    disk.setCapacity(1 << 30);
    await host.run(() => connection.exec("INSERT INTO kv VALUES (2, 'fits')"));
    expect((await host.run(() => connection.exec("SELECT k FROM kv"))).rows).toEqual([[2]]);
  });

  it("property: under random EIO, failures are SQLITE_IOERR and exactly the successful transactions remain", async () => {
    failedTransactions = 0;
    await fc.assert(failuresAreIoErrors({}), propertyParameters("sqlite: EIO surfaces as SQLITE_IOERR", 25));
    expect(failedTransactions, "some transactions met a fault").toBeGreaterThan(0);
  }, 300_000);

  it("the property fails on a VFS that lets DiskErrors escape as bugs", async () => {
    const broken = failuresAreIoErrors({ createVfs: (options) => new DiskErrorsAsBugsVfs(options) });
    const result = await fc.check(broken, { seed: 1, numRuns: 40, endOnFailure: true });
    expect(result.failed).toBe(true);
  }, 300_000);
});
