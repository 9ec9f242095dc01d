/**
 * One node's database on its simulated disk, and SQLite on a copy of it: the test
 * plays the node's leader SQLite by copying the node's files into the memory VFS,
 * letting SQLite work on them, and copying what SQLite wrote back to the disk.
 */
import { DiskDatabaseStore } from "../../../../src/impl/dqlite/wal/database-files.ts";
import type { DatabaseStoreOptions } from "../../../../src/impl/dqlite/wal/database-files.ts";
import { DiskHost } from "./disk-host.ts";
import { SqliteConnection } from "./wa-sqlite.ts";
import type { Sqlite } from "./wa-sqlite.ts";

export const DIRECTORY = "/data";
export const DATABASE = "db";
export const DATABASE_PATH = `${DIRECTORY}/${DATABASE}`;
export const WAL_PATH = `${DATABASE_PATH}-wal`;

export interface NodeFiles {
  readonly database: Uint8Array;
  readonly wal: Uint8Array;
}

/** A host with a store on /data. */
export function nodeWithStore(
  seed: string,
  template: Uint8Array,
  options: DatabaseStoreOptions = {},
): { host: DiskHost; store: DiskDatabaseStore } {
  const host = new DiskHost(seed);
  return { host, store: new DiskDatabaseStore(host.env, DIRECTORY, template, options) };
}

/** The node's database file and WAL as they are on its disk. */
export async function nodeFiles(host: DiskHost): Promise<NodeFiles> {
  return { database: await host.readFile(DATABASE_PATH), wal: await host.readFile(WAL_PATH) };
}

/** Puts `files` in the memory VFS as database `name` (and its WAL, if not empty). */
export function putInVfs(sqlite: Sqlite, name: string, files: NodeFiles): void {
  sqlite.vfs.files.set(name, files.database.slice());
  if (files.wal.length > 0) sqlite.vfs.files.set(`${name}-wal`, files.wal.slice());
  else sqlite.vfs.files.delete(`${name}-wal`);
}

export function takeFromVfs(sqlite: Sqlite, name: string): NodeFiles {
  return {
    database: (sqlite.vfs.files.get(name) ?? new Uint8Array(0)).slice(),
    wal: (sqlite.vfs.files.get(`${name}-wal`) ?? new Uint8Array(0)).slice(),
  };
}

/** SQLite on a copy of the node's files (named `name` in the VFS). */
export async function sqliteOnNode(sqlite: Sqlite, host: DiskHost, name: string): Promise<SqliteConnection> {
  putInVfs(sqlite, name, await nodeFiles(host));
  return SqliteConnection.open(sqlite, name);
}

/**
 * Runs `sql` in SQLite as the node's leader would: on the node's files, then what SQLite wrote goes back to the disk.
 */
export async function leaderWrites(sqlite: Sqlite, host: DiskHost, sql: string): Promise<NodeFiles> {
  const connection = await sqliteOnNode(sqlite, host, "leader");
  await connection.query(sql);
  await connection.close();
  const written = takeFromVfs(sqlite, "leader");
  await host.writeFile(DATABASE_PATH, written.database);
  await host.writeFile(WAL_PATH, written.wal);
  return written;
}

/** What SQLite makes of a copy of the node's files. */
export interface SqliteReading {
  /** The rows of the query (none without one). */
  readonly rows: unknown[][];
  /** `PRAGMA integrity_check` (skipped without a query: the pages may not be a real database). */
  readonly integrity: unknown[][];
  /** Frames SQLite's recovery found committed in the WAL (what its PASSIVE checkpoint reports). */
  readonly recoveredFrames: number;
  /** The database file after SQLite's own checkpoint: the logical database, as SQLite sees it. */
  readonly checkpointed: Uint8Array;
}

export async function sqliteReads(sqlite: Sqlite, host: DiskHost, query?: string): Promise<SqliteReading> {
  const connection = await sqliteOnNode(sqlite, host, "reader");
  try {
    const rows = query === undefined ? [] : await connection.query(query);
    const integrity = query === undefined ? [] : await connection.query("PRAGMA integrity_check");
    const [passive] = await connection.query("PRAGMA wal_checkpoint(PASSIVE)");
    if (passive?.[0] !== 0 || passive[1] !== passive[2])
      throw new Error(`SQLite's checkpoint was partial: ${JSON.stringify(passive)}`);
    await connection.query("PRAGMA wal_checkpoint(TRUNCATE)");
    return {
      rows,
      integrity,
      recoveredFrames: Number(passive[1]),
      checkpointed: takeFromVfs(sqlite, "reader").database,
    };
  } finally {
    await connection.close();
  }
}
