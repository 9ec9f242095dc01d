/**
 * The SQLite C API of one wa-sqlite module instance, as thin typed functions.
 *
 * Written against the raw Emscripten module rather than wa-sqlite's `Factory`,
 * whose helpers do not fit here: its statement iterator does not await
 * `sqlite3_finalize` (a second call into an Asyncify module while the first may be
 * suspended), its `prepare_v2` drops the tail of an empty statement (`;;`, a lone
 * comment), and it binds a JS integer beyond 32 bits as a double.
 *
 * Calls that may reach the VFS (open, close, prepare, step, reset, finalize) are async
 * (Asyncify) and must be serialised by the caller; the others are synchronous and
 * never touch the VFS.
 */
import { assert } from "../../../sim/assert.ts";
import type { SqliteModule } from "./module.ts";

/** A value SQLite stores: INTEGER (number when safe, else bigint), REAL, TEXT, BLOB or NULL. */
export type SqlValue = number | bigint | string | Uint8Array | null;

/** The members of the Emscripten module object used here. */
interface EmscriptenModule {
  HEAPU8: Uint8Array;
  cwrap(
    name: string,
    returnType: "number",
    argTypes: readonly "number"[],
    options: { async: true },
  ): (...args: number[]) => Promise<number>;
  getTempRet0(): number;
  registerVFS(vfs: object, makeDefault: boolean): number;
  _getSqliteFree(): number;
  _sqlite3_malloc(bytes: number): number;
  _sqlite3_free(pointer: number): void;
  _sqlite3_errmsg(db: number): number;
  _sqlite3_changes(db: number): number;
  _sqlite3_get_autocommit(db: number): number;
  _sqlite3_bind_parameter_count(statement: number): number;
  _sqlite3_bind_parameter_name(statement: number, index: number): number;
  _sqlite3_bind_int64(statement: number, index: number, low: number, high: number): number;
  _sqlite3_bind_double(statement: number, index: number, value: number): number;
  _sqlite3_bind_text(statement: number, index: number, pointer: number, bytes: number, destructor: number): number;
  _sqlite3_bind_blob(statement: number, index: number, pointer: number, bytes: number, destructor: number): number;
  _sqlite3_bind_null(statement: number, index: number): number;
  _sqlite3_column_count(statement: number): number;
  _sqlite3_column_name(statement: number, index: number): number;
  _sqlite3_column_type(statement: number, index: number): number;
  _sqlite3_column_int64(statement: number, index: number): number;
  _sqlite3_column_double(statement: number, index: number): number;
  _sqlite3_column_text(statement: number, index: number): number;
  _sqlite3_column_blob(statement: number, index: number): number;
  _sqlite3_column_bytes(statement: number, index: number): number;
}

/** SQLite's fundamental datatypes (sqlite3_column_type). */
const SQLITE_INTEGER = 1;
const SQLITE_FLOAT = 2;
const SQLITE_TEXT = 3;
const SQLITE_BLOB = 4;
const SQLITE_NULL = 5;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A string or byte buffer copied into SQLite's heap (sqlite3_malloc), NUL-terminated. */
export interface HeapBytes {
  readonly pointer: number;
  /** Bytes without the terminating NUL. */
  readonly length: number;
}

export class SqliteBinding {
  private readonly module: EmscriptenModule;
  /** Two pointer-sized out-parameters (ppDb / ppStmt and pzTail). */
  private readonly outPointers: number;
  private readonly sqliteFree: number;
  private readonly openAsync: (filename: number, database: number, flags: number, vfs: number) => Promise<number>;
  private readonly closeAsync: (db: number) => Promise<number>;
  private readonly prepareAsync: (
    db: number,
    sql: number,
    bytes: number,
    statement: number,
    tail: number,
  ) => Promise<number>;
  private readonly stepAsync: (statement: number) => Promise<number>;
  private readonly finalizeAsync: (statement: number) => Promise<number>;
  private readonly resetAsync: (statement: number) => Promise<number>;

  constructor(module: SqliteModule) {
    this.module = module as EmscriptenModule;
    const number = "number" as const;
    const cwrap = (name: string, arity: number) =>
      this.module.cwrap(name, number, new Array<"number">(arity).fill(number), { async: true });
    this.openAsync = cwrap("sqlite3_open_v2", 4);
    this.closeAsync = cwrap("sqlite3_close", 1);
    this.prepareAsync = cwrap("sqlite3_prepare_v2", 5);
    this.stepAsync = cwrap("sqlite3_step", 1);
    this.finalizeAsync = cwrap("sqlite3_finalize", 1);
    this.resetAsync = cwrap("sqlite3_reset", 1);
    this.sqliteFree = this.module._getSqliteFree();
    this.outPointers = this.module._sqlite3_malloc(8);
    assert(this.outPointers !== 0, "sqlite3_malloc failed for the out-parameters");
  }

  /** Registers a VFS (by its `name`), not as the default. Returns a SQLite result code. */
  registerVfs(vfs: { readonly name: string }): number {
    return this.module.registerVFS(vfs, false);
  }

  /** Copies `text` (UTF-8) or `bytes` into SQLite's heap; free it with `free` unless SQLite takes it. */
  copyIn(value: string | Uint8Array): HeapBytes {
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    // One byte more, and never zero: sqlite3_malloc(0) is NULL, which SQLite would bind as NULL.
    const pointer = this.module._sqlite3_malloc(bytes.length + 1);
    assert(pointer !== 0, `sqlite3_malloc(${bytes.length + 1}) failed`);
    this.module.HEAPU8.set(bytes, pointer);
    this.module.HEAPU8[pointer + bytes.length] = 0;
    return { pointer, length: bytes.length };
  }

  free(pointer: number): void {
    this.module._sqlite3_free(pointer);
  }

  /** sqlite3_open_v2: the handle (to close even on failure, when not 0) and the result code. */
  async open(path: string, flags: number, vfsName: string): Promise<{ readonly db: number; readonly code: number }> {
    const file = this.copyIn(path);
    const vfs = this.copyIn(vfsName);
    try {
      const code = await this.openAsync(file.pointer, this.outPointers, flags, vfs.pointer);
      return { db: this.pointerAt(this.outPointers), code };
    } finally {
      this.free(file.pointer);
      this.free(vfs.pointer);
    }
  }

  close(db: number): Promise<number> {
    return this.closeAsync(db);
  }

  /**
   * sqlite3_prepare_v2 of the statement at `sql`: its handle (0 for an empty statement) and where the next one starts.
   */
  async prepare(
    db: number,
    sql: number,
  ): Promise<{ readonly code: number; readonly statement: number; readonly tail: number }> {
    const code = await this.prepareAsync(db, sql, -1, this.outPointers, this.outPointers + 4);
    return { code, statement: this.pointerAt(this.outPointers), tail: this.pointerAt(this.outPointers + 4) };
  }

  step(statement: number): Promise<number> {
    return this.stepAsync(statement);
  }

  finalize(statement: number): Promise<number> {
    return this.finalizeAsync(statement);
  }

  /** sqlite3_reset: the statement can be stepped again from the start (its bindings stay). */
  reset(statement: number): Promise<number> {
    return this.resetAsync(statement);
  }

  errorMessage(db: number): string {
    return this.stringAt(this.module._sqlite3_errmsg(db));
  }

  changes(db: number): number {
    return this.module._sqlite3_changes(db);
  }

  autocommit(db: number): boolean {
    return this.module._sqlite3_get_autocommit(db) !== 0;
  }

  parameterCount(statement: number): number {
    return this.module._sqlite3_bind_parameter_count(statement);
  }

  /** The parameter's name with its prefix (":a", "$a", "@a", "?3"), or null for a plain "?". */
  parameterName(statement: number, index: number): string | null {
    const pointer = this.module._sqlite3_bind_parameter_name(statement, index);
    return pointer === 0 ? null : this.stringAt(pointer);
  }

  /**
   * Binds one value (index from 1). Integers that are safe bind as INTEGER, other numbers as REAL. Returns a result
   * code.
   */
  bind(statement: number, index: number, value: SqlValue): number {
    if (value === null) return this.module._sqlite3_bind_null(statement, index);
    if (typeof value === "number" && !Number.isSafeInteger(value))
      return this.module._sqlite3_bind_double(statement, index, value);
    if (typeof value === "number" || typeof value === "bigint") {
      const integer = BigInt.asIntN(64, BigInt(value));
      return this.module._sqlite3_bind_int64(
        statement,
        index,
        Number(BigInt.asIntN(32, integer)),
        Number(integer >> 32n),
      );
    }
    // SQLite takes the copy and frees it with sqlite3_free (also when binding fails).
    const copy = this.copyIn(value);
    return typeof value === "string"
      ? this.module._sqlite3_bind_text(statement, index, copy.pointer, copy.length, this.sqliteFree)
      : this.module._sqlite3_bind_blob(statement, index, copy.pointer, copy.length, this.sqliteFree);
  }

  columnCount(statement: number): number {
    return this.module._sqlite3_column_count(statement);
  }

  columnName(statement: number, index: number): string {
    return this.stringAt(this.module._sqlite3_column_name(statement, index));
  }

  /** The value of a column of the current row, copied out of wasm memory. */
  column(statement: number, index: number): SqlValue {
    const type = this.module._sqlite3_column_type(statement, index);
    switch (type) {
      case SQLITE_INTEGER: {
        const low = this.module._sqlite3_column_int64(statement, index);
        const value = BigInt.asIntN(64, (BigInt(this.module.getTempRet0()) << 32n) | BigInt(low >>> 0));
        return Number.isSafeInteger(Number(value)) ? Number(value) : value;
      }
      case SQLITE_FLOAT:
        return this.module._sqlite3_column_double(statement, index);
      case SQLITE_TEXT: {
        const pointer = this.module._sqlite3_column_text(statement, index);
        return decoder.decode(
          this.module.HEAPU8.subarray(pointer, pointer + this.module._sqlite3_column_bytes(statement, index)),
        );
      }
      case SQLITE_BLOB: {
        const pointer = this.module._sqlite3_column_blob(statement, index);
        return this.module.HEAPU8.slice(pointer, pointer + this.module._sqlite3_column_bytes(statement, index));
      }
      case SQLITE_NULL:
        return null;
      default:
        assert(false, `sqlite3_column_type returned ${type}`);
    }
  }

  private pointerAt(address: number): number {
    const heap = this.module.HEAPU8;
    return (
      ((heap[address] ?? 0) |
        ((heap[address + 1] ?? 0) << 8) |
        ((heap[address + 2] ?? 0) << 16) |
        ((heap[address + 3] ?? 0) << 24)) >>>
      0
    );
  }

  private stringAt(pointer: number): string {
    const heap = this.module.HEAPU8;
    let end = pointer;
    while (heap[end] !== 0) end++;
    return decoder.decode(heap.subarray(pointer, end));
  }
}
