/**
 * Real SQLite (wa-sqlite, Asyncify build) in Node for the WAL tests, on an in-memory
 * VFS whose files the test reads and writes directly. Deterministic: the module is
 * the simulator's (src/sim/wasm/wa-sqlite-module.ts), its clock frozen and SQLite's
 * PRNG seeded with fixed bytes.
 *
 * Connections run as dqlite's leader does: `locking_mode=EXCLUSIVE` before
 * `journal_mode=WAL` (the WAL index lives in heap memory, no shared memory),
 * `wal_autocheckpoint=0`, `synchronous=OFF`. Closing keeps the WAL (SQLite's own
 * checkpoint-on-close is refused), so the test sees exactly what SQLite wrote.
 */
import * as SQLite from "wa-sqlite";
import * as VFS from "wa-sqlite/src/VFS.js";
import { createWaSqliteModule } from "../../../../src/sim/wasm/wa-sqlite-module.ts";

/** The wasm module's clock (Date.now / performance.now), frozen so nothing depends on real time. */
const FROZEN_NOW_MS = 1_000;
/** What SQLite's PRNG is seeded with. */
const PRNG_SEED_BYTE = 7;

type SqliteApi = ReturnType<typeof SQLite.Factory>;

type Row = unknown[];

/**
 * wa-sqlite hands xRead/xWrite a Uint8Array view of wasm memory; its two .d.ts
 * declarations disagree (VFS.Base says `{ size, value }`), and this type satisfies both.
 */
type VfsBuffer = Uint8Array & { size: number; value: Uint8Array };

/** A VFS whose files are byte arrays in a Map, shared by every connection on it. */
export class MemoryVfs extends VFS.Base {
  readonly name: string;
  readonly files = new Map<string, Uint8Array>();
  /** While set, SQLite cannot take the EXCLUSIVE lock, so closing skips its checkpoint and keeps the WAL. */
  refuseExclusiveLock = false;
  private readonly openFiles = new Map<number, string>();

  constructor(name: string) {
    super();
    this.name = name;
  }

  override xOpen(name: string | null, fileId: number, flags: number, outFlags: DataView): number {
    const path = name ?? `temporary-${fileId}`;
    if (!this.files.has(path)) this.files.set(path, new Uint8Array(0));
    this.openFiles.set(fileId, path);
    outFlags.setInt32(0, flags, true);
    return VFS.SQLITE_OK;
  }

  override xClose(fileId: number): number {
    this.openFiles.delete(fileId);
    return VFS.SQLITE_OK;
  }

  override xRead(fileId: number, buffer: VfsBuffer, offset: number): number {
    const file = this.file(fileId);
    const available = Math.max(0, Math.min(buffer.length, file.length - offset));
    buffer.set(file.subarray(offset, offset + available));
    if (available < buffer.length) {
      buffer.fill(0, available);
      return VFS.SQLITE_IOERR_SHORT_READ;
    }
    return VFS.SQLITE_OK;
  }

  override xWrite(fileId: number, buffer: VfsBuffer, offset: number): number {
    const path = this.path(fileId);
    let file = this.file(fileId);
    if (file.length < offset + buffer.length) {
      const grown = new Uint8Array(offset + buffer.length);
      grown.set(file);
      file = grown;
    }
    file.set(buffer, offset);
    this.files.set(path, file);
    return VFS.SQLITE_OK;
  }

  override xTruncate(fileId: number, size: number): number {
    const file = this.file(fileId);
    const cut = new Uint8Array(size);
    cut.set(file.subarray(0, Math.min(size, file.length)));
    this.files.set(this.path(fileId), cut);
    return VFS.SQLITE_OK;
  }

  override xSync(): number {
    return VFS.SQLITE_OK;
  }

  override xFileSize(fileId: number, size: DataView): number {
    size.setBigInt64(0, BigInt(this.file(fileId).length), true);
    return VFS.SQLITE_OK;
  }

  override xLock(_fileId: number, flags: number): number {
    return flags === VFS.SQLITE_LOCK_EXCLUSIVE && this.refuseExclusiveLock ? VFS.SQLITE_BUSY : VFS.SQLITE_OK;
  }

  override xUnlock(): number {
    return VFS.SQLITE_OK;
  }

  override xCheckReservedLock(_fileId: number, result: DataView): number {
    result.setInt32(0, 0, true);
    return VFS.SQLITE_OK;
  }

  override xFileControl(): number {
    return VFS.SQLITE_NOTFOUND;
  }

  override xSectorSize(): number {
    return 512;
  }

  override xDeviceCharacteristics(): number {
    return VFS.SQLITE_IOCAP_SAFE_APPEND | VFS.SQLITE_IOCAP_SEQUENTIAL | VFS.SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN;
  }

  override xDelete(name: string): number {
    this.files.delete(name);
    return VFS.SQLITE_OK;
  }

  override xAccess(name: string, _flags: number, result: DataView): number {
    result.setInt32(0, this.files.has(name) ? 1 : 0, true);
    return VFS.SQLITE_OK;
  }

  private path(fileId: number): string {
    const path = this.openFiles.get(fileId);
    if (path === undefined) throw new Error(`MemoryVfs: unknown file id ${fileId}`);
    return path;
  }

  private file(fileId: number): Uint8Array {
    return this.files.get(this.path(fileId)) ?? new Uint8Array(0);
  }
}

/** The SQLite API and one MemoryVfs registered with it. */
export interface Sqlite {
  readonly api: SqliteApi;
  readonly vfs: MemoryVfs;
}

let loaded: Promise<Sqlite> | undefined;

/** Loads wa-sqlite once per test process. */
export function loadSqlite(): Promise<Sqlite> {
  loaded ??= instantiate();
  return loaded;
}

/** The shipping deterministic module (src/sim/wasm), its clock frozen and its PRNG seeded with fixed bytes. */
async function instantiate(): Promise<Sqlite> {
  const module = await createWaSqliteModule({
    now: () => FROZEN_NOW_MS,
    fillRandom: (bytes) => bytes.fill(PRNG_SEED_BYTE),
  });
  const api = SQLite.Factory(module);
  const vfs = new MemoryVfs("wal-test-memory");
  api.vfs_register(vfs, false);
  return { api, vfs };
}

/** A connection on the MemoryVfs, configured as dqlite's leader connection. */
export class SqliteConnection {
  private constructor(
    private readonly sqlite: Sqlite,
    private readonly db: number,
  ) {}

  /** Opens `name` (creating it if absent) with the leader's pragmas. */
  static async open(sqlite: Sqlite, name: string): Promise<SqliteConnection> {
    const db = await sqlite.api.open_v2(
      name,
      SQLite.SQLITE_OPEN_CREATE | SQLite.SQLITE_OPEN_READWRITE,
      sqlite.vfs.name,
    );
    const connection = new SqliteConnection(sqlite, db);
    await connection.query("PRAGMA locking_mode=EXCLUSIVE");
    const [mode] = await connection.query("PRAGMA journal_mode=WAL");
    if (mode?.[0] !== "wal") throw new Error(`journal_mode=WAL gave ${JSON.stringify(mode)}`);
    await connection.query("PRAGMA wal_autocheckpoint=0");
    await connection.query("PRAGMA synchronous=OFF");
    return connection;
  }

  /** Runs `sql` (one or more statements) and returns the rows. */
  async query(sql: string): Promise<Row[]> {
    const rows: Row[] = [];
    await this.sqlite.api.exec(this.db, sql, (row) => rows.push(row));
    return rows;
  }

  /** Closes without SQLite's checkpoint-on-close: the WAL stays as it is. */
  async close(): Promise<void> {
    this.sqlite.vfs.refuseExclusiveLock = true;
    try {
      await this.sqlite.api.close(this.db);
    } finally {
      this.sqlite.vfs.refuseExclusiveLock = false;
    }
  }
}

/**
 * An empty database file in WAL mode with 4096-byte pages, as SQLite makes it (the
 * template DatabaseStore copies).
 */
export async function emptyDatabaseTemplate(sqlite: Sqlite): Promise<Uint8Array> {
  const name = "template-under-construction";
  sqlite.vfs.files.delete(name);
  sqlite.vfs.files.delete(`${name}-wal`);
  const connection = await SqliteConnection.open(sqlite, name);
  await connection.query("PRAGMA wal_checkpoint(TRUNCATE)");
  await connection.close();
  const template = sqlite.vfs.files.get(name);
  if (template === undefined) throw new Error("SQLite made no template file");
  if ((sqlite.vfs.files.get(`${name}-wal`)?.length ?? 0) !== 0) throw new Error("the template's WAL is not empty");
  sqlite.vfs.files.delete(name);
  sqlite.vfs.files.delete(`${name}-wal`);
  return template.slice();
}
