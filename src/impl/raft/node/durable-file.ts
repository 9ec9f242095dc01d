/**
 * Disk helpers shared by the stores.
 *
 * Fault model handled (the simulated disk's, DESIGN.md): writes are volatile until
 * synced, directory entries until the directory is synced; reads may return a
 * flipped byte (silent corruption of the returned copy only) or fail with EIO.
 * A file is replaced durably by writing a temporary file, syncing it, renaming it
 * over the old one and syncing the directory; a read whose checksum fails is
 * retried, since the stored bytes may well be intact.
 */
import { DiskError, type Disk } from "../../../sim/env.ts";

/** Reads of one file before a checksum failure or an EIO is taken as lasting. */
export const READ_ATTEMPTS_MAX = 4;

/** The directory that holds `path` ("/" for a file at the root). */
export function parentDirectory(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/** Creates `path` (and makes its entry durable) unless it exists. */
export async function ensureDirectory(disk: Disk, path: string): Promise<void> {
  if (await disk.exists(path)) return;
  await disk.mkdir(path);
  await disk.syncDirectory(parentDirectory(path));
}

/** Replaces `path` with `data` durably: temporary file, sync, rename, sync of the directory. */
export async function writeFileDurably(disk: Disk, path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await disk.open(temporary, { create: true, truncate: true });
  try {
    await handle.write(0, data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await disk.rename(temporary, path);
  await disk.syncDirectory(parentDirectory(path));
}

/** The outcome of parsing one read: a value, or a reason to read again. */
export type ParseOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail: string };

/**
 * Reads `path` and parses it; a parse failure or an EIO is retried up to
 * READ_ATTEMPTS_MAX reads. Returns the value, or the last failure's detail.
 * `onRetry` is told about each retry (for a probe).
 */
export async function readVerified<T>(
  disk: Disk,
  path: string,
  parse: (bytes: Uint8Array) => ParseOutcome<T>,
  onRetry: () => void,
): Promise<ParseOutcome<T>> {
  let last: ParseOutcome<T> = { ok: false, detail: "never read" };
  for (let attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
    if (attempt > 0) onRetry();
    try {
      last = parse(await disk.readFile(path));
    } catch (error) {
      if (!(error instanceof DiskError) || error.code !== "EIO") throw error;
      last = { ok: false, detail: error.message };
    }
    if (last.ok) return last;
  }
  return last;
}
