/**
 * An in-memory DatabaseStore for FSM tests: each database is a database file (pages)
 * plus a WAL of committed frames (grouped by commit, each group with the database
 * size it commits) and pending frames written after the last commit. It checks what
 * the real files would refuse (assertions), models the leader's own SQLite writing
 * frames (`sqliteWrite`), and can fail the next call of an operation with a DiskError.
 */
import { AssertionError } from "../../../../src/sim/assert.ts";
import type { DatabaseFiles, DatabaseStore, FrameBatch } from "../../../../src/impl/dqlite/types.ts";
import { DiskError } from "../../../../src/sim/env.ts";

export interface Frame {
  readonly page: number;
  readonly data: Uint8Array;
}

interface CommitGroup {
  readonly frames: readonly Frame[];
  /** Database size in pages after this commit. */
  readonly size: number;
}

export type FakeOperation = "applyFrames" | "undo" | "checkpoint" | "read" | "open" | "restore";

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(`fake database files: ${message}`);
}

function framesOf(batch: FrameBatch): Frame[] {
  check(batch.pageData.length === batch.pageNumbers.length * batch.pageSize, "pageData length");
  return batch.pageNumbers.map((page, position) => ({
    page,
    data: batch.pageData.slice(position * batch.pageSize, (position + 1) * batch.pageSize),
  }));
}

/** Pages 1..size of `pages` (missing pages are zeros), concatenated. */
export function pagesToBytes(pages: ReadonlyMap<number, Uint8Array>, size: number, pageSize: number): Uint8Array {
  const bytes = new Uint8Array(size * pageSize);
  for (const [page, data] of pages) if (page <= size) bytes.set(data, (page - 1) * pageSize);
  return bytes;
}

export class FakeDatabaseFiles implements DatabaseFiles {
  /** The database file's pages and size. */
  private pages = new Map<number, Uint8Array>();
  private size = 0;
  private committed: CommitGroup[] = [];
  private pending: Frame[] = [];
  private generationCount = 0;
  /** Calls of each operation, for tests. */
  readonly calls = new Map<string, number>();

  constructor(
    readonly filename: string,
    private readonly store: FakeDatabaseStore,
    readonly pageSize: number,
  ) {}

  committedFrames(): number {
    return this.committed.reduce((total, group) => total + group.frames.length, 0);
  }

  pendingFrames(): number {
    return this.pending.length;
  }

  generation(): number {
    return this.generationCount;
  }

  async applyFrames(batch: FrameBatch, begin: boolean): Promise<void> {
    this.enter("applyFrames");
    check(batch.pageSize === this.pageSize, `page size ${batch.pageSize}`);
    if (begin) this.pending = [];
    this.append(batch);
  }

  async undo(): Promise<void> {
    this.enter("undo");
    this.pending = [];
  }

  async checkpoint(): Promise<void> {
    this.enter("checkpoint");
    check(this.pending.length === 0, `checkpoint with ${this.pending.length} pending frames`);
    const image = this.imagePages();
    this.pages = image.pages;
    this.size = image.size;
    this.committed = [];
  }

  /** The leader's own SQLite connection writes frames (after Raft committed them). */
  sqliteWrite(batch: FrameBatch): void {
    this.append(batch);
  }

  noteLeaderCommit(frameCount: number): void {
    check(
      frameCount === this.committedFrames(),
      `leader commit at ${frameCount} frames, WAL has ${this.committedFrames()}`,
    );
  }

  noteLeaderRollback(): void {
    this.generationCount++;
    this.pending = [];
  }

  async read(): Promise<{ readonly database: Uint8Array; readonly wal: Uint8Array }> {
    this.store.maybeFail("read", this.filename);
    return { database: pagesToBytes(this.pages, this.size, this.pageSize), wal: this.encodeWal() };
  }

  async image(): Promise<Uint8Array> {
    const image = this.imagePages();
    return pagesToBytes(image.pages, image.size, this.pageSize);
  }

  /** Replaces everything with a snapshot's bytes (what `read` returned). */
  load(database: Uint8Array, wal: Uint8Array): void {
    check(database.length % this.pageSize === 0, "database bytes are not whole pages");
    this.pages = new Map();
    this.size = database.length / this.pageSize;
    for (let page = 1; page <= this.size; page++)
      this.pages.set(page, database.slice((page - 1) * this.pageSize, page * this.pageSize));
    this.committed = this.decodeWal(wal);
    this.pending = [];
    this.generationCount++;
  }

  private append(batch: FrameBatch): void {
    this.generationCount++;
    this.pending.push(...framesOf(batch));
    if (batch.isCommit) {
      check(batch.truncate > 0, "commit without a size");
      this.committed.push({ frames: this.pending, size: batch.truncate });
      this.pending = [];
    }
  }

  private enter(operation: FakeOperation): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    this.store.maybeFail(operation, this.filename);
    this.generationCount++;
  }

  private imagePages(): { pages: Map<number, Uint8Array>; size: number } {
    const pages = new Map(this.pages);
    let size = this.size;
    for (const group of this.committed) {
      for (const frame of group.frames) pages.set(frame.page, frame.data);
      size = group.size;
      for (const page of [...pages.keys()]) if (page > size) pages.delete(page);
    }
    return { pages, size };
  }

  /** [groups u32] then per group [size u32][frames u32] then per frame [page u32][data]. */
  private encodeWal(): Uint8Array {
    const frames = this.committedFrames();
    const bytes = new Uint8Array(4 + this.committed.length * 8 + frames * (4 + this.pageSize));
    const view = new DataView(bytes.buffer);
    let cursor = 0;
    const u32 = (value: number): void => {
      view.setUint32(cursor, value, true);
      cursor += 4;
    };
    u32(this.committed.length);
    for (const group of this.committed) {
      u32(group.size);
      u32(group.frames.length);
      for (const frame of group.frames) {
        u32(frame.page);
        bytes.set(frame.data, cursor);
        cursor += this.pageSize;
      }
    }
    return bytes;
  }

  private decodeWal(wal: Uint8Array): CommitGroup[] {
    if (wal.length === 0) return [];
    const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
    let cursor = 0;
    const u32 = (): number => {
      check(cursor + 4 <= wal.length, "WAL truncated");
      cursor += 4;
      return view.getUint32(cursor - 4, true);
    };
    const groups: CommitGroup[] = [];
    for (let count = u32(); count > 0; count--) {
      const size = u32();
      const frames: Frame[] = [];
      for (let frameCount = u32(); frameCount > 0; frameCount--) {
        const page = u32();
        check(cursor + this.pageSize <= wal.length, "WAL frame truncated");
        frames.push({ page, data: wal.slice(cursor, cursor + this.pageSize) });
        cursor += this.pageSize;
      }
      groups.push({ frames, size });
    }
    check(cursor === wal.length, "WAL has trailing bytes");
    return groups;
  }
}

export class FakeDatabaseStore implements DatabaseStore {
  private readonly databases = new Map<string, FakeDatabaseFiles>();
  private readonly failures = new Map<FakeOperation, number>();

  constructor(readonly pageSize: number) {}

  /** The next `count` calls of `operation` (on any database) fail with EIO. */
  failNext(operation: FakeOperation, count = 1): void {
    this.failures.set(operation, count);
  }

  /** Throws the DiskError planned for `operation`, if any. */
  maybeFail(operation: FakeOperation, path: string): void {
    const left = this.failures.get(operation) ?? 0;
    if (left === 0) return;
    this.failures.set(operation, left - 1);
    throw new DiskError("EIO", operation, path, "injected by the test");
  }

  async open(filename: string): Promise<FakeDatabaseFiles> {
    this.maybeFail("open", filename);
    let files = this.databases.get(filename);
    if (files === undefined) {
      files = new FakeDatabaseFiles(filename, this, this.pageSize);
      this.databases.set(filename, files);
    }
    return files;
  }

  get(filename: string): FakeDatabaseFiles | undefined {
    return this.databases.get(filename);
  }

  names(): readonly string[] {
    return [...this.databases.keys()].sort();
  }

  async restore(filename: string, database: Uint8Array, wal: Uint8Array): Promise<FakeDatabaseFiles> {
    this.maybeFail("restore", filename);
    const files = new FakeDatabaseFiles(filename, this, this.pageSize);
    files.load(database, wal);
    this.databases.set(filename, files);
    return files;
  }

  async clear(): Promise<void> {
    this.databases.clear();
  }
}
