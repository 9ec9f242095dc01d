/**
 * SimVfs: the wa-sqlite VFS whose database files live on the host's simulated
 * disk (`env.disk`), so SQLite meets every disk fault the world injects: lost
 * unsynced writes at a crash, EIO, ENOSPC, corruption, torn writes.
 *
 * - `<directory>/<name>`, `<name>-wal` and `<name>-journal` are files on the disk
 *   (or, for a VFS made without a disk, in memory: the engine's scratch VFS).
 *   Temporary files (no name, or a TEMP/TRANSIENT/SUBJOURNAL/SUPER_JOURNAL or
 *   DELETEONCLOSE open) are always in memory.
 * - A DiskError becomes the SQLite code of disk-error-codes.ts; a short read is
 *   zero-filled and reported as SQLITE_IOERR_SHORT_READ, as SQLite requires.
 * - Any other JS error thrown inside a method is a bug: it is recorded, the method
 *   returns SQLITE_IOERR, and the engine rethrows it from the call that triggered
 *   it (`takeUnexpectedError`), so a bug surfaces instead of passing for I/O.
 * - Device characteristics SAFE_APPEND | SEQUENTIAL | POWERSAFE_OVERWRITE |
 *   UNDELETABLE_WHEN_OPEN: SQLite never pads the WAL.
 * - A WalInterceptor per database (the leader's replication) sees every write to
 *   that database's WAL and runs before every other operation on its main or WAL
 *   file. SQLite cannot tell it from a disk.
 * - Locks between connections of this VFS follow vfs-locks.ts; while the engine
 *   closes a connection (`closing`), the EXCLUSIVE lock is refused, which makes
 *   SQLite skip its checkpoint-on-close and leave the WAL and database untouched.
 *
 * A method whose work needs no wait (a WAL write the interceptor holds back, a lock,
 * an unlock, a memory file) answers SQLite at once; only one that waits (on the
 * disk, on Raft) suspends the module through `handleAsync`, which Asyncify pays for
 * by unwinding and rewinding SQLite's stack. See `perform`.
 *
 * One call into the module at a time (Asyncify): the engine serialises callers,
 * so the methods here never run concurrently with each other.
 */
import * as VFS from "wa-sqlite/src/VFS.js";
import { DiskError, type Disk } from "../../../sim/env.ts";
import { sqliteCodeForDiskError, type VfsOperation } from "./disk-error-codes.ts";
import { MemoryFile, type VfsFile } from "./memory-file.ts";
import {
  SQLITE_BUSY,
  SQLITE_CANTOPEN,
  SQLITE_IOERR,
  SQLITE_IOERR_SHORT_READ,
  SQLITE_NOTFOUND,
  SQLITE_OK,
} from "./sqlite-error.ts";
import { LOCK_EXCLUSIVE, LockTable } from "./vfs-locks.ts";

/** The leader's hook on one database's files (see the file's comment). */
export interface WalInterceptor {
  /**
   * Every xWrite to this database's WAL file. `write` puts bytes on the disk; the
   * interceptor decides whether and when to call it (it stays usable after this
   * call returns, until the WAL file is closed). Returns a SQLite result code: a
   * number when it has it at once (SQLite goes on without suspending), else a promise.
   */
  write(
    offset: number,
    data: Uint8Array,
    write: (offset: number, data: Uint8Array) => Promise<void>,
  ): number | Promise<number>;
  /**
   * Before every other VFS operation on this database's main or WAL file (read, size, truncate, sync, lock, unlock,
   * close, main-file write). A non-OK code fails that operation with it. A number when it has it at once.
   */
  beforeOther(): number | Promise<number>;
}

export interface SimVfsOptions {
  /** The name SQLite knows this VFS by (unique within a module instance). */
  readonly name: string;
  /** The directory of the databases: a database's name is its path relative to it. */
  readonly directory: string;
  /** Where database files live; without a disk they live in memory (the scratch VFS). */
  readonly disk?: Disk;
}

type FileRole = "main" | "wal" | "journal" | "temporary";

interface OpenFile {
  readonly role: FileRole;
  /** The full path ("" for a temporary file). */
  readonly path: string;
  /** The database this file belongs to (main, WAL or journal). */
  readonly database: string | undefined;
  readonly file: VfsFile;
  /** Created by this open: its directory is synced at its first sync, as SQLite's unix VFS does. */
  directorySyncPending: boolean;
}

/** Bytes of a page or frame SQLite hands over are views of wasm memory: copy before any await. */
type WasmBytes = Uint8Array;

const TEMPORARY_FLAGS =
  VFS.SQLITE_OPEN_TEMP_DB |
  VFS.SQLITE_OPEN_TEMP_JOURNAL |
  VFS.SQLITE_OPEN_TRANSIENT_DB |
  VFS.SQLITE_OPEN_SUBJOURNAL |
  VFS.SQLITE_OPEN_SUPER_JOURNAL |
  VFS.SQLITE_OPEN_DELETEONCLOSE;

/** Longest path SQLite may hand to this VFS. */
export const MAX_PATH_BYTES = 512;

export class SimVfs extends VFS.Base {
  readonly name: string;
  override mxPathName = MAX_PATH_BYTES;
  /** The same limit under the property name the minified wa-sqlite 1.0.0 glue reads (it renamed mxPathName). */
  readonly cd = MAX_PATH_BYTES;
  private readonly directory: string;
  private readonly disk: Disk | undefined;
  private readonly files = new Map<number, OpenFile>();
  private readonly memoryFiles = new Map<string, MemoryFile>();
  private readonly interceptors = new Map<string, WalInterceptor>();
  private readonly locks = new LockTable();
  private readonly closingPaths = new Set<string>();
  private readonly unexpectedErrors: unknown[] = [];
  /**
   * Set while a method waits through `handleAsync`: the module is suspended, and the
   * next call of a method of this VFS is SQLite calling that one again to resume
   * (Asyncify's rewind), for which `handleAsync` returns the result it waited for.
   */
  private suspended: { readonly operation: VfsOperation } | undefined;

  constructor(options: SimVfsOptions) {
    super();
    this.name = options.name;
    this.directory = options.directory.replace(/\/+$/, "");
    this.disk = options.disk;
  }

  /** Installs (or with undefined removes) the interceptor of `databaseName`'s files. */
  setWalInterceptor(databaseName: string, interceptor: WalInterceptor | undefined): void {
    if (interceptor === undefined) this.interceptors.delete(databaseName);
    else this.interceptors.set(databaseName, interceptor);
  }

  /** The full path of a database. */
  pathOf(databaseName: string): string {
    return `${this.directory}/${databaseName}`;
  }

  /** The first JS error a method caught since the last call (a bug, not I/O), and forgets them all. */
  takeUnexpectedError(): { readonly error: unknown } | undefined {
    if (this.unexpectedErrors.length === 0) return undefined;
    const error: unknown = this.unexpectedErrors[0];
    this.unexpectedErrors.length = 0;
    return { error };
  }

  /** While set for `path`, its EXCLUSIVE lock is refused: SQLite's close then leaves the WAL alone. */
  setClosing(path: string, closing: boolean): void {
    if (closing) this.closingPaths.add(path);
    else this.closingPaths.delete(path);
  }

  /** A memory-backed file's contents (scratch VFS only). */
  memoryFileBytes(path: string): Uint8Array | undefined {
    return this.memoryFiles.get(path)?.bytes();
  }

  /** Forgets a memory-backed file (scratch VFS only). */
  deleteMemoryFile(path: string): void {
    this.memoryFiles.delete(path);
  }

  override xOpen(name: string | null, fileId: number, flags: number, outFlags: DataView): number {
    outFlags.setInt32(0, flags, true);
    if (name === null || name === "" || (flags & TEMPORARY_FLAGS) !== 0) {
      this.files.set(fileId, {
        role: "temporary",
        path: "",
        database: undefined,
        file: new MemoryFile(),
        directorySyncPending: false,
      });
      return SQLITE_OK;
    }
    const role: FileRole =
      (flags & VFS.SQLITE_OPEN_WAL) !== 0 ? "wal" : (flags & VFS.SQLITE_OPEN_MAIN_DB) !== 0 ? "main" : "journal";
    const path = name;
    return this.perform("open", async () => {
      const opened = await this.openNamed(path, flags);
      if (opened === undefined) return SQLITE_CANTOPEN;
      this.files.set(fileId, { role, path, database: this.databaseOf(path, role), ...opened });
      return SQLITE_OK;
    });
  }

  override xClose(fileId: number): number {
    // Everything happens inside `perform`: the body deletes the file, and Asyncify
    // calls a method again to resume it (see `perform`).
    return this.perform("close", async () => {
      const open = this.files.get(fileId);
      if (open === undefined) return SQLITE_OK;
      this.files.delete(fileId);
      if (open.role === "main") this.locks.unlock(open.path, fileId, 0);
      let code = SQLITE_OK;
      try {
        code = await this.before(open);
      } finally {
        // SQLite frees its file whatever we answer: the handle must not leak.
        await open.file.close();
      }
      return code;
    });
  }

  override xRead(fileId: number, data: { size: number; value: Uint8Array }, offset: number): number {
    const buffer = data as unknown as WasmBytes;
    return this.performOn(fileId, "read", (open) =>
      afterCode(this.before(open), () => {
        if (open.file instanceof MemoryFile) return filled(buffer, open.file.readNow(offset, buffer.length));
        return open.file.read(offset, buffer.length).then((bytes) => filled(buffer, bytes));
      }),
    );
  }

  override xWrite(fileId: number, data: { size: number; value: Uint8Array }, offset: number): number {
    return this.performOn(fileId, "write", (open) => {
      // A copy: the bytes are a view of wasm memory, and may be held or written after this call.
      const bytes = (data as unknown as WasmBytes).slice();
      const interceptor = this.interceptorOf(open);
      if (open.role === "wal" && interceptor !== undefined) {
        return interceptor.write(offset, bytes, (at, chunk) => open.file.write(at, chunk));
      }
      return afterCode(this.before(open), () => {
        if (open.file instanceof MemoryFile) return codeOf(open.file.writeNow(offset, bytes));
        return open.file.write(offset, bytes).then(() => SQLITE_OK);
      });
    });
  }

  override xTruncate(fileId: number, size: number): number {
    return this.performOn(fileId, "truncate", (open) =>
      afterCode(this.before(open), () => {
        if (open.file instanceof MemoryFile) return codeOf(open.file.truncateNow(size));
        return open.file.truncate(size).then(() => SQLITE_OK);
      }),
    );
  }

  override xSync(fileId: number, _flags: number): number {
    return this.performOn(fileId, "sync", (open) =>
      afterCode(this.before(open), async () => {
        await open.file.sync();
        if (open.directorySyncPending && this.disk !== undefined) {
          await this.disk.syncDirectory(parentOf(open.path));
          open.directorySyncPending = false;
        }
        return SQLITE_OK;
      }),
    );
  }

  override xFileSize(fileId: number, size: DataView): number {
    return this.performOn(fileId, "size", (open) =>
      afterCode(this.before(open), () => {
        if (open.file instanceof MemoryFile) return codeOf(size.setBigInt64(0, BigInt(open.file.sizeNow()), true));
        return open.file.size().then((bytes) => codeOf(size.setBigInt64(0, BigInt(bytes), true)));
      }),
    );
  }

  override xLock(fileId: number, level: number): number {
    return this.performOn(fileId, "lock", (open) => {
      if (open.role !== "main") return SQLITE_OK;
      if (level === LOCK_EXCLUSIVE && this.closingPaths.has(open.path)) return SQLITE_BUSY;
      return afterCode(this.before(open), () => (this.locks.lock(open.path, fileId, level) ? SQLITE_OK : SQLITE_BUSY));
    });
  }

  override xUnlock(fileId: number, level: number): number {
    return this.performOn(fileId, "unlock", (open) => {
      if (open.role !== "main") return SQLITE_OK;
      return afterCode(this.before(open), () => codeOf(this.locks.unlock(open.path, fileId, level)));
    });
  }

  override xCheckReservedLock(fileId: number, result: DataView): number {
    const open = this.files.get(fileId);
    if (open === undefined) return this.unknownFile(fileId);
    result.setInt32(0, open.role === "main" && this.locks.reservedByOther(open.path, fileId) ? 1 : 0, true);
    return SQLITE_OK;
  }

  override xFileControl(_fileId: number, _operation: number, _argument: DataView): number {
    return SQLITE_NOTFOUND;
  }

  override xSectorSize(_fileId: number): number {
    return 512;
  }

  override xDeviceCharacteristics(_fileId: number): number {
    return (
      VFS.SQLITE_IOCAP_SAFE_APPEND |
      VFS.SQLITE_IOCAP_SEQUENTIAL |
      VFS.SQLITE_IOCAP_POWERSAFE_OVERWRITE |
      VFS.SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN
    );
  }

  override xDelete(name: string, syncDirectory: number): number {
    return this.perform("delete", async () => {
      if (this.disk === undefined) {
        this.memoryFiles.delete(name);
        return SQLITE_OK;
      }
      await this.disk.unlink(name);
      if (syncDirectory !== 0) await this.disk.syncDirectory(parentOf(name));
      return SQLITE_OK;
    });
  }

  override xAccess(name: string, _flags: number, result: DataView): number {
    return this.perform("access", async () => {
      const exists = this.disk === undefined ? this.memoryFiles.has(name) : await this.disk.exists(name);
      result.setInt32(0, exists ? 1 : 0, true);
      return SQLITE_OK;
    });
  }

  /** Opens a named file; undefined when it does not exist and `flags` do not create it. */
  private async openNamed(
    path: string,
    flags: number,
  ): Promise<Pick<OpenFile, "file" | "directorySyncPending"> | undefined> {
    const create = (flags & VFS.SQLITE_OPEN_CREATE) !== 0;
    if (this.disk === undefined) {
      let file = this.memoryFiles.get(path);
      if (file === undefined && !create) return undefined;
      file ??= new MemoryFile();
      this.memoryFiles.set(path, file);
      return { file, directorySyncPending: false };
    }
    try {
      return { file: await this.disk.open(path), directorySyncPending: false };
    } catch (error) {
      if (!(error instanceof DiskError && error.code === "ENOENT") || !create) throw error;
    }
    return { file: await this.disk.open(path, { create: true }), directorySyncPending: true };
  }

  /** Runs the interceptor's `beforeOther` for a database's main or WAL file: a code at once when it has one. */
  private before(open: OpenFile): number | Promise<number> {
    const interceptor = this.interceptorOf(open);
    return interceptor === undefined ? SQLITE_OK : interceptor.beforeOther();
  }

  private interceptorOf(open: OpenFile): WalInterceptor | undefined {
    if (open.database === undefined || (open.role !== "main" && open.role !== "wal")) return undefined;
    return this.interceptors.get(open.database);
  }

  private databaseOf(path: string, role: FileRole): string | undefined {
    const suffix = role === "wal" ? "-wal" : role === "journal" ? "-journal" : "";
    if (!path.endsWith(suffix) || !path.startsWith(`${this.directory}/`)) return undefined;
    return path.slice(this.directory.length + 1, path.length - suffix.length);
  }

  /** SQLite named a file this VFS does not have open: a bug, reported through the engine. */
  private unknownFile(fileId: number): number {
    this.unexpectedErrors.push(new Error(`SimVfs: SQLite used file id ${fileId}, which is not open`));
    return SQLITE_IOERR;
  }

  /** `perform` for a method on an open file; an unknown file id is a bug (see `unknownFile`). */
  private performOn(
    fileId: number,
    operation: VfsOperation,
    body: (open: OpenFile) => number | Promise<number>,
  ): number {
    return this.perform(operation, () => {
      const open = this.files.get(fileId);
      return open === undefined ? this.unknownFile(fileId) : body(open);
    });
  }

  /**
   * Runs a method's body, turning failures into result codes (see the file's
   * comment). A body that has its code at once answers SQLite at once. One that
   * returns a promise suspends the module through `handleAsync` (Asyncify unwinds
   * SQLite's stack); once the promise settles Asyncify rewinds, calling the same
   * method again, and that call must reach `handleAsync` without running the body
   * again: it returns the settled code. Nothing else can call into this VFS
   * meanwhile (one call into the module at a time), so the next call after a
   * suspension is always that rewind.
   */
  private perform(operation: VfsOperation, body: () => number | Promise<number>): number {
    const suspended = this.suspended;
    if (suspended !== undefined) {
      this.suspended = undefined;
      if (suspended.operation !== operation)
        this.unexpectedErrors.push(new Error(`SimVfs: ${operation} called while ${suspended.operation} was suspended`));
      return this.handleAsync(() => Promise.reject(new Error("SimVfs: a rewind ran its body")));
    }
    let result: number | Promise<number>;
    try {
      result = body();
    } catch (error) {
      return this.failureCode(operation, error);
    }
    if (typeof result === "number") return result;
    const pending = result;
    this.suspended = { operation };
    return this.handleAsync(async () => {
      try {
        return await pending;
      } catch (error) {
        return this.failureCode(operation, error);
      }
    });
  }

  /** The result code for an error thrown by a method's body: a DiskError's code, or SQLITE_IOERR for a recorded bug. */
  protected failureCode(operation: VfsOperation, error: unknown): number {
    // EBADF means this VFS (or an interceptor) used a closed handle: a bug, not a disk fault.
    if (error instanceof DiskError && error.code !== "EBADF") return sqliteCodeForDiskError(operation, error.code);
    this.unexpectedErrors.push(error);
    return SQLITE_IOERR;
  }
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** `next` once `code` is known, if it is SQLITE_OK; at once when `code` is a number. */
function afterCode(code: number | Promise<number>, next: () => number | Promise<number>): number | Promise<number> {
  if (typeof code === "number") return code === SQLITE_OK ? next() : code;
  return code.then((settled) => (settled === SQLITE_OK ? next() : settled));
}

/** SQLITE_OK after a step that returns nothing. */
function codeOf(_done: void): number {
  return SQLITE_OK;
}

/** Copies `bytes` into SQLite's buffer; a short read is zero-filled and reported as SQLite requires. */
function filled(buffer: WasmBytes, bytes: Uint8Array): number {
  buffer.set(bytes);
  if (bytes.length === buffer.length) return SQLITE_OK;
  buffer.fill(0, bytes.length);
  return SQLITE_IOERR_SHORT_READ;
}
