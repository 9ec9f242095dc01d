// SQLite's files are really on the host's simulated disk: a crash keeps only what was synced, closing never
// checkpoints, and what a crash leaves is either sound or fails cleanly.
import { describe, expect, it } from "vitest";
import { SqliteError } from "../../../src/impl/dqlite/sqlite/engine.ts";
import { DIRECTORY, SqliteHost } from "./_support/sqlite-host.ts";

const WAL_MAGIC_BIG_ENDIAN_CHECKSUMS = 0x377f0683;
const WAL_MAGIC_LITTLE_ENDIAN_CHECKSUMS = 0x377f0682;
const DATABASE = `${DIRECTORY}/db`;
const WAL = `${DATABASE}-wal`;

/** A host with the template database at /db/db and an open connection. */
async function hostWithDatabase(seed: string, cacheSizePages?: number) {
  const host = await SqliteHost.start({ seed });
  const template = await host.run((engine) => engine.emptyDatabaseImage());
  await host.run(async () => {
    await host.env.disk.writeFile(DATABASE, template);
    const handle = await host.env.disk.open(DATABASE);
    await handle.sync();
    await handle.close();
    await host.env.disk.syncDirectory(DIRECTORY);
  });
  const connection = await host.run((engine) =>
    engine.open("db", cacheSizePages === undefined ? {} : { cacheSizePages }),
  );
  return { host, template, connection };
}

/** Makes the WAL file and its directory entry durable, as the replication layer would. */
async function syncWal(host: SqliteHost): Promise<void> {
  await host.run(async () => {
    const handle = await host.env.disk.open(WAL);
    await handle.sync();
    await handle.close();
    await host.env.disk.syncDirectory(DIRECTORY);
  });
}

describe("files on the simulated disk", () => {
  it("a commit lands in the WAL on the disk; the database file keeps the template's bytes", async () => {
    const { host, template, connection } = await hostWithDatabase("files");
    await host.run(() => connection.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1), (2)"));
    expect(host.paths()).toEqual([DATABASE, WAL]);
    const wal = host.file(WAL);
    const magic = new DataView(wal.buffer, wal.byteOffset).getUint32(0);
    expect([WAL_MAGIC_BIG_ENDIAN_CHECKSUMS, WAL_MAGIC_LITTLE_ENDIAN_CHECKSUMS]).toContain(magic);
    expect(new DataView(wal.buffer, wal.byteOffset).getUint32(8), "page size in the WAL header").toBe(4096);
    expect((wal.length - 32) % (24 + 4096)).toBe(0);
    expect(Buffer.from(host.file(DATABASE)).equals(Buffer.from(template))).toBe(true);
  });

  it("close never checkpoints: the WAL and the database file are untouched, and a new connection reads the WAL", async () => {
    const { host, connection } = await hostWithDatabase("close");
    await host.run(() => connection.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1), (2)"));
    const walBefore = host.file(WAL);
    const databaseBefore = host.file(DATABASE);
    await host.run(() => connection.close());
    expect(Buffer.from(host.file(WAL)).equals(Buffer.from(walBefore))).toBe(true);
    expect(Buffer.from(host.file(DATABASE)).equals(Buffer.from(databaseBefore))).toBe(true);
    const again = await host.run((engine) => engine.open("db"));
    expect((await host.run(() => again.exec("SELECT count(*) FROM t"))).rows).toEqual([[2]]);
    await host.run(() => again.exec("INSERT INTO t VALUES (3)"));
    expect(host.file(WAL).length, "the next commit appends after the old frames").toBe(walBefore.length + 4120);
    await host.run(() => again.close());
    expect(await host.run((engine) => engine.integrityCheck("db"))).toEqual(["ok"]);
  });

  it("a crash loses what synchronous=OFF never synced (here the whole WAL, whose directory entry was volatile)", async () => {
    const { host, connection } = await hostWithDatabase("crash-all");
    await host.run(() => connection.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1)"));
    await host.crashAndRestart();
    expect(host.paths()).toEqual([DATABASE]);
    const again = await host.run((engine) => engine.open("db"));
    await expect(host.run(() => again.exec("SELECT count(*) FROM t"))).rejects.toMatchObject({
      name: "SqliteError",
      message: "no such table: t",
    });
    await host.run(() => again.close());
    expect(await host.run((engine) => engine.integrityCheck("db"))).toEqual(["ok"]);
  });

  it("a crash keeps the transactions whose frames were synced and loses the later ones", async () => {
    const { host, connection } = await hostWithDatabase("crash-some");
    await host.run(() => connection.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1)"));
    await syncWal(host);
    await host.run(() => connection.exec("INSERT INTO t VALUES (2)"));
    await host.crashAndRestart();
    const again = await host.run((engine) => engine.open("db"));
    expect((await host.run(() => again.exec("SELECT a FROM t"))).rows).toEqual([[1]]);
    await host.run(() => again.close());
    expect(await host.run((engine) => engine.integrityCheck("db"))).toEqual(["ok"]);
  });

  it("after a crash with torn writes, SQLite either reads a sound prefix or fails with a SqliteError", async () => {
    const outcomes = new Set<string>();
    for (let attempt = 0; attempt < 12; attempt++) {
      const { host, connection } = await hostWithDatabase(`torn-${attempt}`, 5);
      await host.run(() => connection.exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b)"));
      await syncWal(host);
      await host.run(() =>
        connection.exec(
          "INSERT INTO t(b) SELECT printf('%.*c', 3000, 'x') FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) SELECT i FROM n)",
        ),
      );
      host.setDiskFaults({ tornWriteProbability: 1 });
      await host.crashAndRestart();
      host.clearDiskFaults();
      const settled = await host.settle((engine) => engine.integrityCheck("db"));
      if (settled.state === "ok") {
        expect(settled.value).toEqual(["ok"]);
        const again = await host.run((engine) => engine.open("db"));
        const count = (await host.run(() => again.exec("SELECT count(*) FROM t"))).rows[0]?.[0];
        expect([0, 40]).toContain(count);
        outcomes.add(`ok:${String(count)}`);
      } else {
        expect(settled.state).toBe("error");
        if (settled.state === "error") expect(settled.error).toBeInstanceOf(SqliteError);
        outcomes.add("error");
      }
    }
    expect(outcomes.size, `outcomes seen: ${[...outcomes].join(", ")}`).toBeGreaterThanOrEqual(1);
  });
});
