/**
 * SqliteEngine: real SQLite (wa-sqlite) for one process incarnation, its database
 * files on the host's simulated disk.
 *
 * One module instance per engine, made by the injected factory from the Env's
 * clock and a named random stream, so a run replays SQLite byte for byte (WAL
 * salts included). A crash simply drops the engine; a restarted process makes a
 * new one.
 *
 * Every call into the module (open, exec, close, the template, integrity checks)
 * runs under one FIFO lock: the Asyncify build allows one call in flight, and a
 * call stays in flight while a VFS method waits (on the disk, or on the leader's
 * WAL interceptor waiting for Raft). At most ENGINE_WAITERS_MAX callers wait; one
 * more fails at once with SQLITE_BUSY. Code running inside a VFS method (an
 * interceptor) must never call the engine: it would wait for itself.
 */
import type { Env } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { AsyncLock, LockQueueFull } from "../../common/async-lock.ts";
import { SqliteBinding } from "./binding.ts";
import {
  closeWithoutCheckpoint,
  openConfigured,
  SqliteConnection,
  type ConnectionHost,
  type OpenSettings,
} from "./connection.ts";
import type { SqliteModuleFactory } from "./module.ts";
import { runSql } from "./run-sql.ts";
import { SimVfs, type SimVfsOptions } from "./sim-vfs.ts";
import { SQLITE_BUSY, SQLITE_OK, SqliteError } from "./sqlite-error.ts";

export { SqliteConnection } from "./connection.ts";
export type { SqlValue } from "./binding.ts";
export type { ExecResult, SqlParams } from "./run-sql.ts";
export { SqliteError } from "./sqlite-error.ts";
export type { WalInterceptor } from "./sim-vfs.ts";

/** Callers that may wait for the engine's lock at once. */
export const ENGINE_WAITERS_MAX = 1024;

/** Page size of the template (types.ts's PAGE_SIZE; SQLite's default). */
const TEMPLATE_PAGE_SIZE = 4096;
/** Where the scratch VFS keeps the template while SQLite makes it (memory only). */
const TEMPLATE_PATH = "/scratch/template";

export interface SqliteEngineOptions {
  /** Directory of the databases on the host's disk; it must exist before `open`. */
  readonly directory: string;
  /** Default `PRAGMA cache_size` of connections (pages when positive); SQLite's default when absent. */
  readonly cacheSizePages?: number | undefined;
  /** Makes the VFS of the databases. Tests only (a deliberately broken VFS); never set in real use. */
  readonly createVfs?: (options: SimVfsOptions) => SimVfs;
}

export class SqliteEngine {
  private readonly lock = new AsyncLock(ENGINE_WAITERS_MAX);
  private readonly host: ConnectionHost;
  private template: Uint8Array | undefined;

  private constructor(
    private readonly binding: SqliteBinding,
    /** The VFS of the databases (the leader installs its WAL interceptors here). */
    readonly vfs: SimVfs,
    private readonly scratch: SimVfs,
    private readonly options: SqliteEngineOptions,
  ) {
    this.host = { binding, serialized: (body) => this.serialized(body) };
  }

  /** Instantiates SQLite for this incarnation, its time from `env.clock` and its PRNG seed from `env.random`. */
  static async create(env: Env, factory: SqliteModuleFactory, options: SqliteEngineOptions): Promise<SqliteEngine> {
    const random = env.random.fork("sqlite");
    const module = await factory({
      now: () => env.clock.now(),
      fillRandom: (bytes) => bytes.set(random.bytes(bytes.length)),
    });
    const binding = new SqliteBinding(module);
    const vfsOptions: SimVfsOptions = { name: "sim-disk", directory: options.directory, disk: env.disk };
    const vfs = options.createVfs?.(vfsOptions) ?? new SimVfs(vfsOptions);
    const scratch = new SimVfs({ name: "scratch-memory", directory: "/scratch" });
    for (const each of [vfs, scratch]) {
      const code = binding.registerVfs(each);
      assert(code === SQLITE_OK, `registering VFS ${each.name} failed with ${code}`);
    }
    return new SqliteEngine(binding, vfs, scratch, options);
  }

  /**
   * Opens `<directory>/<name>` (created empty if missing; use the template for a
   * replicated database) configured as in connection.ts. One connection per
   * database at a time: a second one fails with SQLITE_BUSY at its first read.
   */
  open(name: string, settings: OpenSettings = {}): Promise<SqliteConnection> {
    const path = this.vfs.pathOf(name);
    return this.serialized(async () => {
      const db = await openConfigured(this.binding, this.vfs, path, {
        cacheSizePages: settings.cacheSizePages ?? this.options.cacheSizePages,
      });
      return new SqliteConnection(this.host, this.vfs, db, path);
    });
  }

  /**
   * The bytes of a brand-new empty database file: 4096-byte pages, already in WAL
   * mode (header bytes 18 and 19 are 2), one page. SQLite makes it in memory; every
   * node creates its databases from it, so all replicas start byte-identical.
   */
  emptyDatabaseImage(): Promise<Uint8Array> {
    return this.serialized(async () => {
      this.template ??= await this.makeTemplate();
      return this.template.slice();
    });
  }

  /**
   * `PRAGMA integrity_check` on a fresh connection to `name` (["ok"] when sound),
   * closed without checkpointing. Fails with SQLITE_BUSY while another connection
   * of this engine holds the database.
   */
  integrityCheck(name: string): Promise<string[]> {
    const path = this.vfs.pathOf(name);
    return this.serialized(async () => {
      const db = await openConfigured(this.binding, this.vfs, path, {});
      try {
        const result = await runSql(this.binding, db, "PRAGMA integrity_check");
        return result.rows.map((row) => String(row[0]));
      } finally {
        await closeWithoutCheckpoint(this.binding, this.vfs, db, path);
      }
    });
  }

  private async makeTemplate(): Promise<Uint8Array> {
    this.scratch.deleteMemoryFile(TEMPLATE_PATH);
    this.scratch.deleteMemoryFile(`${TEMPLATE_PATH}-wal`);
    const db = await openConfigured(this.binding, this.scratch, TEMPLATE_PATH, {});
    try {
      // The page size must be set before the first write; user_version=0 is that write (page 1 with the WAL-mode
      // header).
      await runSql(
        this.binding,
        db,
        `PRAGMA page_size=${TEMPLATE_PAGE_SIZE}; PRAGMA user_version=0; PRAGMA wal_checkpoint(TRUNCATE)`,
      );
    } finally {
      await closeWithoutCheckpoint(this.binding, this.scratch, db, TEMPLATE_PATH);
    }
    const image = this.scratch.memoryFileBytes(TEMPLATE_PATH);
    const wal = this.scratch.memoryFileBytes(`${TEMPLATE_PATH}-wal`);
    this.scratch.deleteMemoryFile(TEMPLATE_PATH);
    this.scratch.deleteMemoryFile(`${TEMPLATE_PATH}-wal`);
    assert(
      image !== undefined && image.length === TEMPLATE_PAGE_SIZE,
      `the template is ${image?.length} bytes, not one page`,
    );
    assert(wal === undefined || wal.length === 0, "the template's WAL is not empty after a TRUNCATE checkpoint");
    assert(image[16] === TEMPLATE_PAGE_SIZE >> 8 && image[17] === 0, "the template's page size is not 4096");
    assert(image[18] === 2 && image[19] === 2, "the template is not in WAL mode (header bytes 18 and 19)");
    return image;
  }

  /** Runs `body` holding the lock; a VFS bug recorded meanwhile is thrown instead of its outcome. */
  private async serialized<T>(body: () => Promise<T>): Promise<T> {
    let release: () => void;
    try {
      release = await this.lock.acquire();
    } catch (error) {
      if (error instanceof LockQueueFull) throw new SqliteError(SQLITE_BUSY, `SQLite engine busy: ${error.message}`);
      throw error;
    }
    try {
      let outcome: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };
      try {
        outcome = { ok: true, value: await body() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      // Take from both VFSs (each forgets what it gives), then throw the first bug.
      const unexpected = [this.vfs.takeUnexpectedError(), this.scratch.takeUnexpectedError()].find(
        (each) => each !== undefined,
      );
      if (unexpected !== undefined) throw unexpected.error;
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    } finally {
      release();
    }
  }
}
