/**
 * A deliberately broken copy of RingBuffer, for showing that the ring buffer
 * property catches wrong eviction. Never used by src/impl.
 *
 * The one bug: a write longer than the capacity keeps its *first* `capacity`
 * bytes, evicting the newest bytes instead of the oldest.
 */
import { ErrInsufficientBufferedData } from "../../../src/impl/backedpipe/errors.ts";
import type { RingBufferLike } from "../_support/ring-buffer-like.ts";

export class BrokenEvictionRingBuffer implements RingBufferLike {
  readonly #bytes: Uint8Array;
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.#bytes.length;
  }

  get size(): number {
    return this.#size;
  }

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    const capacity = this.capacity;
    if (data.length >= capacity) {
      this.#bytes.set(data.subarray(0, capacity)); // BUG: should keep the last `capacity` bytes.
      this.#start = 0;
      this.#size = capacity;
      return;
    }
    const evictedLength = Math.max(0, this.#size + data.length - capacity);
    this.#start = (this.#start + evictedLength) % capacity;
    this.#size -= evictedLength;
    const writeAt = (this.#start + this.#size) % capacity;
    const firstLength = Math.min(data.length, capacity - writeAt);
    this.#bytes.set(data.subarray(0, firstLength), writeAt);
    this.#bytes.set(data.subarray(firstLength), 0);
    this.#size += data.length;
  }

  readLast(length: number): Uint8Array | ErrInsufficientBufferedData {
    if (length > this.#size) return new ErrInsufficientBufferedData(length, this.#size);
    const capacity = this.capacity;
    const result = new Uint8Array(length);
    const readFrom = (this.#start + this.#size - length) % capacity;
    const firstLength = Math.min(length, capacity - readFrom);
    result.set(this.#bytes.subarray(readFrom, readFrom + firstLength));
    result.set(this.#bytes.subarray(0, length - firstLength), firstLength);
    return result;
  }
}
