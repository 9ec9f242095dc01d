/**
 * A growable byte array with file semantics: writes past the end extend it and
 * zero-fill any gap, truncation shrinks or zero-extends it.
 *
 * Faults injected: none. This holds the live and the durable contents of a simulated
 * file, so that a write or a sync costs the bytes written, not the size of the file:
 * the bytes live in fixed-size chunks, so a growing file (a log, a WAL) is never
 * copied to grow. The first chunk starts small and doubles up to the chunk size, so
 * a small file stays small.
 *
 * Invariant: every byte of the chunks at or past `length` is zero (truncation zeroes
 * what it cuts off), so extending never has to clear anything.
 */
import { assert } from "../assert.ts";

/** Bytes per chunk (a power of two). */
const CHUNK_BYTES = 64 * 1024;
/** The first chunk's smallest size (a power of two). */
const FIRST_CHUNK_MINIMUM_BYTES = 64;

export class ByteImage {
  protected chunks: Uint8Array[] = [];
  protected lengthBytes = 0;

  /** A copy of `initial` (empty by default). */
  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.write(0, initial);
  }

  /** Current length in bytes. */
  get length(): number {
    return this.lengthBytes;
  }

  /** Writes `data` at `position`, extending (and zero-filling up to `position`) as needed. */
  write(position: number, data: Uint8Array): void {
    assert(Number.isSafeInteger(position) && position >= 0, `ByteImage.write: bad position ${position}`);
    if (data.length === 0) return;
    const end = position + data.length;
    this.reserve(end);
    let offset = 0;
    while (offset < data.length) {
      const at = position + offset;
      const within = at % CHUNK_BYTES;
      const count = Math.min(CHUNK_BYTES - within, data.length - offset);
      (this.chunks[Math.floor(at / CHUNK_BYTES)] as Uint8Array).set(data.subarray(offset, offset + count), within);
      offset += count;
    }
    this.lengthBytes = Math.max(this.lengthBytes, end);
  }

  /** Sets the length to `length`: drops bytes past it, or appends zeros up to it. */
  truncate(length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0, `ByteImage.truncate: bad length ${length}`);
    if (length >= this.lengthBytes) {
      this.reserve(length);
      this.lengthBytes = length;
      return;
    }
    const kept = Math.ceil(length / CHUNK_BYTES);
    this.chunks.length = kept;
    // Keep the invariant: the cut-off part of the last chunk kept goes back to zeros.
    if (kept > 0)
      (this.chunks[kept - 1] as Uint8Array).fill(
        0,
        length - (kept - 1) * CHUNK_BYTES,
        Math.min(CHUNK_BYTES, this.lengthBytes - (kept - 1) * CHUNK_BYTES),
      );
    this.lengthBytes = length;
  }

  /** Replaces the whole content with a copy of `content`. */
  replace(content: Uint8Array): void {
    this.chunks = [];
    this.lengthBytes = 0;
    this.write(0, content);
  }

  /** A copy of up to `length` bytes at `position` (fewer at the end, none past it). */
  read(position: number, length: number): Uint8Array {
    const end = Math.min(this.lengthBytes, position + length);
    const start = Math.min(position, end);
    const result = new Uint8Array(end - start);
    let offset = 0;
    while (offset < result.length) {
      const at = start + offset;
      const within = at % CHUNK_BYTES;
      const count = Math.min(CHUNK_BYTES - within, result.length - offset);
      result.set((this.chunks[Math.floor(at / CHUNK_BYTES)] as Uint8Array).subarray(within, within + count), offset);
      offset += count;
    }
    return result;
  }

  /** A copy of the content. */
  bytes(): Uint8Array {
    return this.read(0, this.lengthBytes);
  }

  clone(): ByteImage {
    const copy = new ByteImage();
    copy.chunks = this.chunks.map((chunk) => chunk.slice());
    copy.lengthBytes = this.lengthBytes;
    return copy;
  }

  /** Grows the first chunk (doubling) and adds zeroed chunks until `capacityBytes` fit. */
  private reserve(capacityBytes: number): void {
    const first = this.chunks[0];
    const firstNeeded = Math.min(capacityBytes, CHUNK_BYTES);
    if ((first?.length ?? 0) < firstNeeded) {
      let size = Math.max(FIRST_CHUNK_MINIMUM_BYTES, first?.length ?? 0);
      while (size < firstNeeded) size *= 2;
      const grown = new Uint8Array(size);
      if (first !== undefined) grown.set(first);
      this.chunks[0] = grown;
    }
    while (this.chunks.length * CHUNK_BYTES < capacityBytes) this.chunks.push(new Uint8Array(CHUNK_BYTES));
  }
}
