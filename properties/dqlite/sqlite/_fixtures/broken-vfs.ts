/**
 * Deliberately broken variants of SimVfs, to show that the properties catch them:
 * - `DiskErrorsAsBugsVfs` does not map DiskErrors to SQLite codes: a failing disk
 *   then surfaces as a thrown DiskError instead of a SqliteError;
 * - `IgnoresInterceptorRefusalVfs` reports SQLITE_OK when the WAL interceptor
 *   refuses a write, so SQLite believes in a commit that never reached the disk.
 */
import type { VfsOperation } from "../../../../src/impl/dqlite/sqlite/disk-error-codes.ts";
import { SimVfs } from "../../../../src/impl/dqlite/sqlite/sim-vfs.ts";
import { SQLITE_IOERR, SQLITE_OK } from "../../../../src/impl/dqlite/sqlite/sqlite-error.ts";

export class DiskErrorsAsBugsVfs extends SimVfs {
  protected override failureCode(operation: VfsOperation, error: unknown): number {
    // Every error is recorded as a bug (the engine rethrows it), DiskErrors included.
    return super.failureCode(
      operation,
      error instanceof Error && error.name === "DiskError" ? new Error(error.message, { cause: error }) : error,
    );
  }
}

export class IgnoresInterceptorRefusalVfs extends SimVfs {
  override xWrite(fileId: number, data: { size: number; value: Uint8Array }, offset: number): number {
    const code = super.xWrite(fileId, data, offset);
    return code === SQLITE_IOERR ? SQLITE_OK : code;
  }
}
