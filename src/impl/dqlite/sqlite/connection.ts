/**
 * SqliteConnection: one SQLite connection of an engine, configured as dqlite's
 * leader connection: `locking_mode=EXCLUSIVE` before `journal_mode=WAL` (the WAL
 * index lives in the connection's heap, no shared memory), `synchronous=OFF`,
 * `wal_autocheckpoint=0`, and a close that never checkpoints. Checkpoints are
 * replicated commands that the FSM applies to the files itself: SQLite must never
 * move frames into the database file on its own.
 */
import { assert } from "../../../sim/assert.ts";
import type { SqliteBinding } from "./binding.ts";
import { failure, LastInsertRowIdQuery, runSql, StatementCache, type ExecResult, type SqlParams } from "./run-sql.ts";
import type { SimVfs } from "./sim-vfs.ts";
import { SQLITE_ERROR, SQLITE_OK, SqliteError } from "./sqlite-error.ts";

/** sqlite3_open_v2 flags: read-write, create if missing, extended result codes. */
const SQLITE_OPEN_READWRITE = 0x2;
const SQLITE_OPEN_CREATE = 0x4;
const SQLITE_OPEN_EXRESCODE = 0x02000000;

/** What a connection needs from its engine. */
export interface ConnectionHost {
  readonly binding: SqliteBinding;
  /** Runs `body` holding the engine's lock (one call into the module at a time), surfacing VFS bugs. */
  serialized<T>(body: () => Promise<T>): Promise<T>;
}

export interface OpenSettings {
  /** `PRAGMA cache_size`: pages when positive, KiB when negative; SQLite's default when absent. */
  readonly cacheSizePages?: number;
}

export class SqliteConnection {
  private closed = false;
  private autocommitState = true;
  private readonly rowId: LastInsertRowIdQuery;
  private readonly statements: StatementCache;

  /** Use SqliteEngine.open. */
  constructor(
    private readonly host: ConnectionHost,
    private readonly vfs: SimVfs,
    private readonly db: number,
    /** The database's full path. */
    readonly path: string,
  ) {
    this.rowId = new LastInsertRowIdQuery(host.binding, db);
    this.statements = new StatementCache(host.binding);
  }

  /**
   * Runs one or more statements, each bound with `params`, stopping at the first
   * failure (statements before it keep their effect, as in sqlite3_exec). Resolves
   * the columns and rows of the last statement that has columns. Rejects with
   * SqliteError for SQLite's failures, or with a VFS bug as it was thrown.
   */
  exec(sql: string, params?: SqlParams): Promise<ExecResult> {
    return this.host.serialized(async () => {
      assert(!this.closed, `exec on a closed connection to ${this.path}`);
      try {
        return await runSql(this.host.binding, this.db, sql, params, this.rowId, this.statements);
      } finally {
        this.autocommitState = this.host.binding.autocommit(this.db);
      }
    });
  }

  /**
   * sqlite3_get_autocommit as of the end of the last call on this connection: false
   * inside an explicit transaction (BEGIN without COMMIT/ROLLBACK yet). Read from a
   * copy so that it never calls into a module that may be suspended in another call.
   */
  autocommit(): boolean {
    return this.autocommitState;
  }

  /** True once closed. */
  isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes the connection without checkpointing: the WAL and the database file stay
   * exactly as they are (an open transaction is rolled back). Idempotent.
   */
  close(): Promise<void> {
    return this.host.serialized(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.rowId.finalize();
      await this.statements.finalizeAll();
      const code = await closeWithoutCheckpoint(this.host.binding, this.vfs, this.db, this.path);
      if (code !== SQLITE_OK) throw new SqliteError(code, `closing ${this.path} failed`);
    });
  }
}

/**
 * Opens `path` on `vfs` and configures the connection (see the file's comment).
 * The caller holds the engine's lock. On failure nothing stays open.
 */
export async function openConfigured(
  binding: SqliteBinding,
  vfs: SimVfs,
  path: string,
  settings: OpenSettings,
): Promise<number> {
  const { db, code } = await binding.open(
    path,
    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE,
    vfs.name,
  );
  if (code !== SQLITE_OK) {
    const error = db !== 0 ? failure(binding, db, code) : new SqliteError(code, `cannot open ${path}`);
    if (db !== 0) await closeWithoutCheckpoint(binding, vfs, db, path);
    throw error;
  }
  try {
    await runSql(binding, db, "PRAGMA locking_mode=EXCLUSIVE");
    const mode = (await runSql(binding, db, "PRAGMA journal_mode=WAL")).rows[0]?.[0];
    if (mode !== "wal")
      throw new SqliteError(SQLITE_ERROR, `${path}: PRAGMA journal_mode=WAL answered ${String(mode)}`);
    await runSql(binding, db, "PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0");
    if (settings.cacheSizePages !== undefined) {
      assert(
        Number.isSafeInteger(settings.cacheSizePages),
        `cache size must be an integer, got ${settings.cacheSizePages}`,
      );
      await runSql(binding, db, `PRAGMA cache_size=${settings.cacheSizePages}`);
    }
  } catch (error) {
    await closeWithoutCheckpoint(binding, vfs, db, path);
    throw error;
  }
  return db;
}

/**
 * sqlite3_close with the EXCLUSIVE lock refused: SQLite then skips the checkpoint
 * (and the WAL deletion) it does on the last close. Returns SQLite's result code.
 */
export async function closeWithoutCheckpoint(
  binding: SqliteBinding,
  vfs: SimVfs,
  db: number,
  path: string,
): Promise<number> {
  vfs.setClosing(path, true);
  try {
    return await binding.close(db);
  } finally {
    vfs.setClosing(path, false);
  }
}
