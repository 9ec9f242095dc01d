// SQLite is deterministic on the simulator: the same host inputs give byte-identical database and WAL files (WAL salts
// included), its clock is the host's, and its local time is UTC.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SqliteModuleFactory } from "../../../src/impl/dqlite/sqlite/module.ts";
import { createWaSqliteModule } from "../../../src/sim/wasm/wa-sqlite-module.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { realClockModuleFactory, unseededModuleFactory } from "./_fixtures/broken-module-factories.ts";
import { DIRECTORY, SqliteHost } from "./_support/sqlite-host.ts";
import { createTable, runTransaction, workloadArbitrary, type Workload } from "./_support/workload.ts";

const WAL_HEADER_BYTES = 32;

/** Runs `workload` on a fresh host seeded `seed`; returns every file of its disk. */
async function filesAfter(
  seed: string,
  factory: SqliteModuleFactory,
  workload: Workload,
): Promise<Map<string, Uint8Array>> {
  const host = await SqliteHost.start({ seed, factory });
  const image = await host.run((engine) => engine.emptyDatabaseImage());
  await host.run(() => host.env.disk.writeFile(`${DIRECTORY}/kv`, image));
  const connection = await host.run((engine) => engine.open("kv", { cacheSizePages: workload.cacheSizePages }));
  await host.run(() => createTable(connection));
  for (const transaction of workload.transactions) {
    await host.run(async () => {
      // Time moves between transactions, as it does between client requests.
      await host.env.clock.sleep(7);
      return runTransaction(connection, transaction);
    });
  }
  await host.run(() => connection.close());
  return new Map(host.paths().map((path) => [path, host.file(path)]));
}

function sameFiles(left: Map<string, Uint8Array>, right: Map<string, Uint8Array>): boolean {
  if (left.size !== right.size) return false;
  for (const [path, bytes] of left) {
    const other = right.get(path);
    if (other === undefined || Buffer.compare(bytes, other) !== 0) return false;
  }
  return true;
}

/** The property: two hosts with the same seed end with identical files. */
function sameInputsSameBytes(factory: SqliteModuleFactory): fc.IAsyncProperty<[Workload]> {
  return fc.asyncProperty(workloadArbitrary(), async (workload) => {
    const first = await filesAfter("twin", factory, workload);
    const second = await filesAfter("twin", factory, workload);
    return sameFiles(first, second);
  });
}

describe("determinism", () => {
  it("two engines with the same seed write byte-identical files, WAL salts included; another seed changes the salts", async () => {
    const workload: Workload = {
      cacheSizePages: 10,
      transactions: [[{ kind: "bulk", firstKey: 100, count: 60, size: 1500 }], [{ kind: "random", key: 1 }]],
    };
    const first = await filesAfter("seed-a", createWaSqliteModule, workload);
    const second = await filesAfter("seed-a", createWaSqliteModule, workload);
    const other = await filesAfter("seed-b", createWaSqliteModule, workload);
    expect(sameFiles(first, second)).toBe(true);
    const wal = first.get(`${DIRECTORY}/kv-wal`);
    const otherWal = other.get(`${DIRECTORY}/kv-wal`);
    expect(wal?.length).toBeGreaterThan(WAL_HEADER_BYTES);
    // Salt-2 (header bytes 20..23) is drawn from SQLite's PRNG: it follows the seed.
    expect(Buffer.from(wal!.subarray(20, 24)).equals(Buffer.from(otherWal!.subarray(20, 24)))).toBe(false);
  });

  it("SQLite's 'now' is the host's clock", async () => {
    const host = await SqliteHost.start({ seed: "clock" });
    const connection = await host.run((engine) => engine.open("clock"));
    const query = "SELECT CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)";
    const before = await host.run(() => connection.exec(query));
    await host.run(() => host.env.clock.sleep(30_000));
    const after = await host.run(() => connection.exec(query));
    // SQLite keeps whole milliseconds of the host's (fractional) virtual clock.
    expect(Math.abs(Number(before.rows[0]?.[0]) - (host.env.clock.now() - 30_000))).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(after.rows[0]?.[0]) - host.env.clock.now())).toBeLessThanOrEqual(1);
  });

  it("SQLite's 'localtime' is UTC whatever the machine's time zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(new Date(0).getTimezoneOffset(), "the machine's zone really changed").not.toBe(0);
      const host = await SqliteHost.start({ seed: "zone" });
      const connection = await host.run((engine) => engine.open("zone"));
      const result = await host.run(() =>
        connection.exec("SELECT datetime(1700000000, 'unixepoch', 'localtime'), datetime(1700000000, 'unixepoch')"),
      );
      expect(result.rows[0]).toEqual(["2023-11-14 22:13:20", "2023-11-14 22:13:20"]);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("the factory settles on microtasks alone, so virtual time cannot move while a module is made", async () => {
    let eventLoopTurned = false;
    const turn = setImmediate(() => (eventLoopTurned = true));
    await createWaSqliteModule({ now: () => 0, fillRandom: (bytes) => bytes.fill(1) });
    clearImmediate(turn);
    expect(eventLoopTurned).toBe(false);
  });

  it("property: same inputs, same bytes (random workloads and cache sizes)", async () => {
    await fc.assert(
      sameInputsSameBytes(createWaSqliteModule),
      propertyParameters("sqlite: same inputs, same bytes", 25),
    );
  }, 240_000);

  it("the property fails when SQLite seeds its PRNG from real entropy", async () => {
    const result = await fc.check(sameInputsSameBytes(unseededModuleFactory), {
      seed: 1,
      numRuns: 5,
      endOnFailure: true,
    });
    expect(result.failed).toBe(true);
  }, 120_000);

  it("the property fails when SQLite reads the real clock", async () => {
    const result = await fc.check(sameInputsSameBytes(realClockModuleFactory), {
      seed: 1,
      numRuns: 30,
      endOnFailure: true,
    });
    expect(result.failed).toBe(true);
  }, 240_000);
});
