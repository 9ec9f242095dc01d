/**
 * Which SQLite result code a VFS method returns when the simulated disk fails
 * (DiskError), so that SQLite takes the path it takes on a real failing disk:
 * SQLITE_FULL for a full disk, the extended SQLITE_IOERR_* of the operation for
 * an I/O error, SQLITE_CANTOPEN for a file that cannot be opened.
 */
import type { DiskErrorCode } from "../../../sim/env.ts";
import {
  SQLITE_CANTOPEN,
  SQLITE_FULL,
  SQLITE_IOERR_ACCESS,
  SQLITE_IOERR_CLOSE,
  SQLITE_IOERR_DELETE,
  SQLITE_IOERR_DELETE_NOENT,
  SQLITE_IOERR_FSTAT,
  SQLITE_IOERR_FSYNC,
  SQLITE_IOERR_LOCK,
  SQLITE_IOERR_READ,
  SQLITE_IOERR_TRUNCATE,
  SQLITE_IOERR_UNLOCK,
  SQLITE_IOERR_WRITE,
} from "./sqlite-error.ts";

/** The VFS operations that touch the disk. */
export type VfsOperation =
  | "open"
  | "read"
  | "write"
  | "truncate"
  | "sync"
  | "size"
  | "close"
  | "delete"
  | "access"
  | "lock"
  | "unlock";

const IOERR_OF: Record<VfsOperation, number> = {
  open: SQLITE_CANTOPEN,
  read: SQLITE_IOERR_READ,
  write: SQLITE_IOERR_WRITE,
  truncate: SQLITE_IOERR_TRUNCATE,
  sync: SQLITE_IOERR_FSYNC,
  size: SQLITE_IOERR_FSTAT,
  close: SQLITE_IOERR_CLOSE,
  delete: SQLITE_IOERR_DELETE,
  access: SQLITE_IOERR_ACCESS,
  lock: SQLITE_IOERR_LOCK,
  unlock: SQLITE_IOERR_UNLOCK,
};

/** The SQLite result code for a DiskError `code` raised by `operation`. */
export function sqliteCodeForDiskError(operation: VfsOperation, code: DiskErrorCode): number {
  if (code === "ENOSPC") return SQLITE_FULL;
  if (operation === "delete" && code === "ENOENT") return SQLITE_IOERR_DELETE_NOENT;
  return IOERR_OF[operation];
}
