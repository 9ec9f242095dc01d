// The VFS's small parts, one situation each: lock compatibility between connections, memory files, and the DiskError to
// SQLite code mapping.
import { describe, expect, it } from "vitest";
import { sqliteCodeForDiskError } from "../../../src/impl/dqlite/sqlite/disk-error-codes.ts";
import { MemoryFile } from "../../../src/impl/dqlite/sqlite/memory-file.ts";
import {
  LOCK_EXCLUSIVE,
  LOCK_NONE,
  LOCK_RESERVED,
  LOCK_SHARED,
  LockTable,
} from "../../../src/impl/dqlite/sqlite/vfs-locks.ts";
import {
  SQLITE_CANTOPEN,
  SQLITE_FULL,
  SQLITE_IOERR_DELETE_NOENT,
  SQLITE_IOERR_FSYNC,
  SQLITE_IOERR_READ,
  SQLITE_IOERR_WRITE,
} from "../../../src/impl/dqlite/sqlite/sqlite-error.ts";

describe("locks", () => {
  it("readers share; one writer reserves; EXCLUSIVE needs every other file unlocked", () => {
    const locks = new LockTable();
    expect(locks.lock("/db", 1, LOCK_SHARED)).toBe(true);
    expect(locks.lock("/db", 2, LOCK_SHARED)).toBe(true);
    expect(locks.lock("/db", 1, LOCK_RESERVED)).toBe(true);
    expect(locks.reservedByOther("/db", 2)).toBe(true);
    expect(locks.lock("/db", 2, LOCK_RESERVED)).toBe(false);
    expect(locks.lock("/db", 1, LOCK_EXCLUSIVE)).toBe(false);
    locks.unlock("/db", 2, LOCK_NONE);
    expect(locks.lock("/db", 1, LOCK_EXCLUSIVE)).toBe(true);
    expect(locks.lock("/db", 2, LOCK_SHARED)).toBe(false);
    expect(locks.lock("/other", 2, LOCK_EXCLUSIVE), "locks are per file").toBe(true);
    locks.unlock("/db", 1, LOCK_SHARED);
    expect(locks.lock("/db", 2, LOCK_SHARED)).toBe(true);
  });
});

describe("memory files", () => {
  it("grow with zeros, read short at the end, and truncate both ways", async () => {
    const file = new MemoryFile();
    await file.write(10_000, new Uint8Array([7, 8]));
    expect(await file.size()).toBe(10_002);
    expect([...(await file.read(9_999, 10))]).toEqual([0, 7, 8]);
    await file.truncate(3);
    await file.truncate(5);
    expect([...file.bytes()]).toEqual([0, 0, 0, 0, 0]);
    expect((await file.read(100, 4)).length).toBe(0);
  });
});

describe("disk errors", () => {
  it("map to the SQLite code of the failing operation", () => {
    expect(sqliteCodeForDiskError("read", "EIO")).toBe(SQLITE_IOERR_READ);
    expect(sqliteCodeForDiskError("write", "EIO")).toBe(SQLITE_IOERR_WRITE);
    expect(sqliteCodeForDiskError("write", "ENOSPC")).toBe(SQLITE_FULL);
    expect(sqliteCodeForDiskError("truncate", "ENOSPC")).toBe(SQLITE_FULL);
    expect(sqliteCodeForDiskError("sync", "EIO")).toBe(SQLITE_IOERR_FSYNC);
    expect(sqliteCodeForDiskError("open", "ENOENT")).toBe(SQLITE_CANTOPEN);
    expect(sqliteCodeForDiskError("delete", "ENOENT")).toBe(SQLITE_IOERR_DELETE_NOENT);
  });
});
