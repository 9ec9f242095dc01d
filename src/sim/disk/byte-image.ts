/**
 * A growable byte array with file semantics: writes past the end extend it and
 * zero-fill any gap, truncation shrinks or zero-extends it.
 *
 * Faults injected: none. This holds the durable contents of a simulated file, so that
 * a sync costs the bytes written since the previous sync, not the size of the file.
 */
import assert from "node:assert/strict";

const MINIMUM_CAPACITY_BYTES = 64;

export class ByteImage {
  private buffer: Uint8Array;
  private lengthBytes: number;

  /** A copy of `initial` (empty by default). */
  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.buffer = new Uint8Array(Math.max(MINIMUM_CAPACITY_BYTES, initial.length));
    this.buffer.set(initial);
    this.lengthBytes = initial.length;
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
    if (position > this.lengthBytes) this.buffer.fill(0, this.lengthBytes, position);
    this.buffer.set(data, position);
    this.lengthBytes = Math.max(this.lengthBytes, end);
  }

  /** Sets the length to `length`: drops bytes past it, or appends zeros up to it. */
  truncate(length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0, `ByteImage.truncate: bad length ${length}`);
    if (length > this.lengthBytes) {
      this.reserve(length);
      this.buffer.fill(0, this.lengthBytes, length);
    }
    this.lengthBytes = length;
  }

  /** Replaces the whole content with a copy of `content`. */
  replace(content: Uint8Array): void {
    this.lengthBytes = 0;
    this.write(0, content);
    this.lengthBytes = content.length;
  }

  /** A copy of the content. */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.lengthBytes);
  }

  clone(): ByteImage {
    return new ByteImage(this.buffer.subarray(0, this.lengthBytes));
  }

  private reserve(capacityBytes: number): void {
    if (capacityBytes <= this.buffer.length) return;
    let next = Math.max(this.buffer.length * 2, MINIMUM_CAPACITY_BYTES);
    while (next < capacityBytes) next *= 2;
    const grown = new Uint8Array(next);
    grown.set(this.buffer.subarray(0, this.lengthBytes));
    this.buffer = grown;
  }
}
