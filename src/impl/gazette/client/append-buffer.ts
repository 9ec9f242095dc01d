/**
 * AppendBuffer: the content queued for one AsyncAppend (Gazette's appendBuffer,
 * a temporary file behind a bufio.Writer).
 *
 * Small content stays in memory; past `spillThresholdBytes` it is spilled to a
 * file on the host's disk (env.disk), so that a long broker outage is absorbed by
 * the disk rather than the heap. Writes are serialised in order. A write error is
 * sticky (the writer's error, which Release reports) until a rollback.
 *
 * The buffer keeps its logical `length` itself, so a rollback to the checkpoint
 * of the last Release is exact and cannot fail: later writes overwrite the
 * discarded bytes. Spilled content is written in extents, each with a CRC-32, and
 * every read is verified: a simulated disk may corrupt reads or lose writes, and
 * corrupt content must never be appended (ErrAppendBufferCorrupt instead). No
 * extent straddles the checkpoint, so a rollback drops whole extents.
 */
import type { Crc32, Disk, FileHandle } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { ErrAppendBufferCorrupt } from "./errors.ts";

interface Extent {
  position: number;
  length: number;
  crc: number;
}

export interface AppendBufferOptions {
  disk: Disk;
  /** The directory spill files go in (created if missing). */
  directory: string;
  /** A name unique among this process's buffers. */
  name: string;
  spillThresholdBytes: number;
  /** CRC-32 of spilled content (env.hash.crc32), checked when it is read back. */
  crc32: Crc32;
}

/** Bytes handed out per chunk when the content is read back. */
export const APPEND_BUFFER_READ_BYTES = 64 * 1024;

export class AppendBuffer {
  /** Logical length of the content (writes that failed are not counted). */
  length = 0;
  /** Length at the last successful Release: what the append will send. */
  checkpoint = 0;
  /** The writer's sticky error, reported by Release. */
  writerError: unknown = undefined;
  private memory: Uint8Array[] = [];
  private file: FileHandle | undefined;
  private extents: Extent[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly options: AppendBufferOptions) {
    assert(options.spillThresholdBytes >= 0, "spillThresholdBytes must be >= 0");
  }

  /** True once the content lives in a file. */
  get spilled(): boolean {
    return this.file !== undefined;
  }

  /** Queues a write of `data` (copied). Never rejects: a failure becomes `writerError`. */
  write(data: Uint8Array): Promise<void> {
    const copy = data.slice();
    this.tail = this.tail.then(() => this.writeNow(copy));
    return this.tail;
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.tail;
  }

  /** Sets the checkpoint to the current length (a successful Release). */
  markCheckpoint(): void {
    this.checkpoint = this.length;
  }

  /** Discards everything written after the checkpoint and clears the writer's error. */
  rollback(): void {
    this.length = this.checkpoint;
    this.writerError = undefined;
    if (this.file === undefined) {
      this.memory = sliceChunks(this.memory, this.checkpoint);
      return;
    }
    this.extents = this.extents.filter((extent) => extent.position < this.checkpoint);
    const last = this.extents[this.extents.length - 1];
    assert(
      last === undefined || last.position + last.length === this.checkpoint,
      "append buffer: an extent straddles the checkpoint",
    );
  }

  /** The content [0, upTo) in chunks, verified against the extents' checksums when spilled. */
  async *content(upTo: number): AsyncIterable<Uint8Array> {
    assert(upTo <= this.length, "append buffer: content beyond its length");
    if (this.file === undefined) {
      for (const chunk of sliceChunks(this.memory, upTo)) yield chunk;
      return;
    }
    // Each extent's checksum is computed over the very bytes handed out; a mismatch throws before the
    // iteration ends, so the append consuming it rolls back instead of committing corrupt content.
    for (const extent of this.extents) {
      if (extent.position >= upTo) return;
      assert(extent.position + extent.length <= upTo, "append buffer: an extent straddles the read limit");
      let crc = 0;
      for (let at = 0; at < extent.length; at += APPEND_BUFFER_READ_BYTES) {
        const length = Math.min(APPEND_BUFFER_READ_BYTES, extent.length - at);
        const data = await this.file.read(extent.position + at, length);
        if (data.length !== length) throw new ErrAppendBufferCorrupt(`short read at ${extent.position + at}`);
        crc = this.options.crc32(data, crc);
        if (at + length === extent.length && crc !== extent.crc) {
          throw new ErrAppendBufferCorrupt(
            `checksum mismatch in [${extent.position}, ${extent.position + extent.length})`,
          );
        }
        yield data;
      }
    }
  }

  /** Closes and removes the spill file. Errors are ignored (the file is temporary). */
  async release(): Promise<void> {
    await this.tail;
    const file = this.file;
    this.file = undefined;
    this.memory = [];
    this.extents = [];
    if (file === undefined) return;
    await file.close().catch(() => undefined);
    await this.options.disk.unlink(this.path()).catch(() => undefined);
  }

  private path(): string {
    return `${this.options.directory}/${this.options.name}`;
  }

  private async writeNow(data: Uint8Array): Promise<void> {
    if (this.writerError !== undefined || data.length === 0) return;
    try {
      if (this.file === undefined && this.length + data.length <= this.options.spillThresholdBytes) {
        this.memory.push(data);
        this.length += data.length;
        return;
      }
      if (this.file === undefined) await this.spill();
      await this.writeExtent(this.length, data);
      this.length += data.length;
    } catch (error) {
      this.writerError = error;
    }
  }

  /** Moves the in-memory content to a new file: [0, checkpoint) and [checkpoint, length) as separate extents. */
  private async spill(): Promise<void> {
    const disk = this.options.disk;
    if (!(await disk.exists(this.options.directory))) await disk.mkdir(this.options.directory);
    this.file = await disk.open(this.path(), { create: true, truncate: true });
    this.extents = [];
    try {
      const before = concat(sliceChunks(this.memory, this.checkpoint));
      const after = concat(this.memory).subarray(this.checkpoint);
      if (before.length > 0) await this.writeExtent(0, before);
      if (after.length > 0) await this.writeExtent(this.checkpoint, after);
      this.memory = [];
    } catch (error) {
      const file = this.file;
      this.file = undefined;
      this.extents = [];
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  private async writeExtent(position: number, data: Uint8Array): Promise<void> {
    await (this.file as FileHandle).write(position, data);
    this.extents = this.extents.filter((extent) => extent.position < position);
    this.extents.push({ position, length: data.length, crc: this.options.crc32(data) });
  }
}

function sliceChunks(chunks: readonly Uint8Array[], upTo: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let remaining = upTo;
  for (const chunk of chunks) {
    if (remaining <= 0) break;
    out.push(chunk.length <= remaining ? chunk : chunk.subarray(0, remaining));
    remaining -= chunk.length;
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
