/**
 * A file held in memory, with the operations of the Env's FileHandle: SQLite's
 * temporary files (sort spills, statement journals) and the scratch files in which
 * the engine makes the empty-database template. Never on the simulated disk, so it
 * sees no disk faults and nothing of it survives the process.
 */
import type { FileHandle } from "../../../sim/env.ts";

/** The file operations the VFS needs: the Env's FileHandle without its path. */
export type VfsFile = Pick<FileHandle, "read" | "write" | "truncate" | "sync" | "size" | "close">;

/** Initial capacity of a memory file's buffer; it doubles as the file grows. */
const INITIAL_CAPACITY_BYTES = 4096;

export class MemoryFile implements VfsFile {
  private buffer = new Uint8Array(INITIAL_CAPACITY_BYTES);
  private length = 0;

  /** The contents (a copy). */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** Up to `length` bytes at `position`; fewer at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.readNow(position, length));
  }

  /** `read`, synchronously. */
  readNow(position: number, length: number): Uint8Array {
    const end = Math.min(this.length, position + length);
    return this.buffer.slice(Math.min(position, end), end);
  }

  /** Writes `data` at `position`, zero-filling any gap after the old end. */
  write(position: number, data: Uint8Array): Promise<void> {
    this.writeNow(position, data);
    return Promise.resolve();
  }

  /** `write`, synchronously. */
  writeNow(position: number, data: Uint8Array): void {
    this.reserve(position + data.length);
    if (position > this.length) this.buffer.fill(0, this.length, position);
    this.buffer.set(data, position);
    this.length = Math.max(this.length, position + data.length);
  }

  truncate(length: number): Promise<void> {
    this.truncateNow(length);
    return Promise.resolve();
  }

  /** `truncate`, synchronously. */
  truncateNow(length: number): void {
    this.reserve(length);
    if (length > this.length) this.buffer.fill(0, this.length, length);
    this.length = length;
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  size(): Promise<number> {
    return Promise.resolve(this.length);
  }

  /** `size`, synchronously. */
  sizeNow(): number {
    return this.length;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private reserve(capacity: number): void {
    if (capacity <= this.buffer.length) return;
    let next = this.buffer.length;
    while (next < capacity) next *= 2;
    const grown = new Uint8Array(next);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}
