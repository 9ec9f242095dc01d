/**
 * The boundary to memfs: every call into the volume goes through `callMemfs`, so
 * that no raw memfs exception ever escapes the simulated disk.
 *
 * Faults injected: none. The disk validates each operation before calling memfs, so
 * a memfs error is a safety net; one whose code has no DiskError meaning is a bug
 * in the simulator and is reported as such, never as a disk fault.
 */
import { allowAmbient } from "../ambient-guard.ts";
import { DiskError } from "../env.ts";
import type { DiskErrorCode } from "../env.ts";

const DISK_ERROR_CODES: ReadonlySet<string> = new Set<DiskErrorCode>([
  "EIO",
  "ENOSPC",
  "ENOENT",
  "EEXIST",
  "ENOTDIR",
  "EISDIR",
  "ENOTEMPTY",
  "EBADF",
  "EINVAL",
]);

/**
 * Runs `call`, turning a memfs error into the DiskError of `operation` on `path`.
 * memfs stamps file times with `new Date()`: the determinism guard lets it (the
 * stamps reach nothing a run observes; FileStat has no times).
 */
export function callMemfs<T>(operation: string, path: string, call: () => T): T {
  try {
    return allowAmbient(call);
  } catch (error) {
    throw toDiskError(error, operation, path);
  }
}

/**
 * The DiskError for a memfs failure. EPERM (memfs's answer to unlinking a directory)
 * becomes EISDIR, as on Linux. An unknown failure becomes an Error naming the bug.
 */
export function toDiskError(error: unknown, operation: string, path: string): Error {
  if (error instanceof DiskError) return error;
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === "EPERM") return new DiskError("EISDIR", operation, path);
  if (typeof code === "string" && DISK_ERROR_CODES.has(code))
    return new DiskError(code as DiskErrorCode, operation, path);
  return new Error(`simulated disk bug: unexpected memfs failure in ${operation} ${path}`, { cause: error });
}
