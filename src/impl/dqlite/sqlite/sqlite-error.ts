/**
 * SQLite's failures as a typed error: what a statement, an open or a close
 * reports (constraint violations, SQLITE_BUSY, I/O errors, SQLITE_FULL...). These
 * are expected conditions, handled by callers as values; a bug inside the VFS is
 * never turned into one (the engine rethrows it as it was).
 */

/** SQLite result codes used by this package (sqlite3.h). */
export const SQLITE_OK = 0;
export const SQLITE_ERROR = 1;
export const SQLITE_BUSY = 5;
export const SQLITE_NOMEM = 7;
export const SQLITE_IOERR = 10;
export const SQLITE_CORRUPT = 11;
export const SQLITE_NOTFOUND = 12;
export const SQLITE_FULL = 13;
export const SQLITE_CANTOPEN = 14;
export const SQLITE_TOOBIG = 18;
export const SQLITE_CONSTRAINT = 19;
export const SQLITE_MISUSE = 21;
export const SQLITE_RANGE = 25;
export const SQLITE_ROW = 100;
export const SQLITE_DONE = 101;
export const SQLITE_IOERR_READ = 266;
export const SQLITE_IOERR_SHORT_READ = 522;
export const SQLITE_IOERR_WRITE = 778;
export const SQLITE_IOERR_FSYNC = 1034;
export const SQLITE_IOERR_TRUNCATE = 1546;
export const SQLITE_IOERR_FSTAT = 1802;
export const SQLITE_IOERR_UNLOCK = 2058;
export const SQLITE_IOERR_DELETE = 2570;
export const SQLITE_IOERR_ACCESS = 3338;
export const SQLITE_IOERR_LOCK = 3850;
export const SQLITE_IOERR_CLOSE = 4106;
export const SQLITE_IOERR_DELETE_NOENT = 5898;

/** A failed SQLite call: `code` is the primary result code, `extendedCode` the extended one. */
export class SqliteError extends Error {
  override readonly name = "SqliteError";
  /** The primary result code (SQLITE_CONSTRAINT, SQLITE_IOERR, SQLITE_BUSY...). */
  readonly code: number;

  constructor(
    /**
     * The extended result code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_IOERR_WRITE...), or the primary one when SQLite gave
     * no more.
     */
    readonly extendedCode: number,
    message: string,
  ) {
    super(message);
    this.code = extendedCode & 0xff;
  }
}
