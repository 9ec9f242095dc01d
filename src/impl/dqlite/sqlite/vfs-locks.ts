/**
 * SQLite's file locks (NONE < SHARED < RESERVED < PENDING < EXCLUSIVE) between the
 * connections of one engine, per database file, with POSIX advisory semantics as
 * SQLite's unix VFS implements them. Connections run with `locking_mode=EXCLUSIVE`
 * and keep their WAL index in their own heap, so a second connection to a
 * database that another one holds must be refused (SQLITE_BUSY), never allowed to
 * append to the same WAL with its own idea of where the end is.
 */

export const LOCK_NONE = 0;
export const LOCK_SHARED = 1;
export const LOCK_RESERVED = 2;
export const LOCK_PENDING = 3;
export const LOCK_EXCLUSIVE = 4;

export class LockTable {
  /** Per file path: the lock level each open file (by SQLite's file id) holds. */
  private readonly holders = new Map<string, Map<number, number>>();

  /** Raises `fileId`'s lock on `path` to `level`; false (and nothing changes) if another holder forbids it. */
  lock(path: string, fileId: number, level: number): boolean {
    const others = this.highestOther(path, fileId);
    const allowed =
      level <= LOCK_NONE
        ? true
        : level === LOCK_SHARED
          ? others < LOCK_PENDING
          : level === LOCK_RESERVED
            ? others < LOCK_RESERVED
            : others < LOCK_SHARED;
    if (!allowed) return false;
    const files = this.holders.get(path) ?? new Map<number, number>();
    files.set(fileId, Math.max(level, files.get(fileId) ?? LOCK_NONE));
    this.holders.set(path, files);
    return true;
  }

  /** Lowers `fileId`'s lock on `path` to `level` (SHARED or NONE). */
  unlock(path: string, fileId: number, level: number): void {
    const files = this.holders.get(path);
    if (files === undefined) return;
    if (level <= LOCK_NONE) files.delete(fileId);
    else files.set(fileId, Math.min(level, files.get(fileId) ?? LOCK_NONE));
    if (files.size === 0) this.holders.delete(path);
  }

  /** True when another file holds RESERVED or more on `path` (xCheckReservedLock). */
  reservedByOther(path: string, fileId: number): boolean {
    return this.highestOther(path, fileId) >= LOCK_RESERVED;
  }

  private highestOther(path: string, fileId: number): number {
    let highest = LOCK_NONE;
    for (const [holder, level] of this.holders.get(path) ?? []) {
      if (holder !== fileId) highest = Math.max(highest, level);
    }
    return highest;
  }
}
