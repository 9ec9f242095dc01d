/**
 * RingBuffer: a fixed-capacity circular byte buffer that keeps the most recent
 * bytes written. Writing past capacity evicts the oldest bytes; a write longer
 * than the capacity keeps only its last `capacity` bytes. Not shared between
 * concurrent owners: the BackedWriter that owns it serialises its use.
 */
import { assert, assertCount } from "../../sim/assert.ts";
import { ErrInsufficientBufferedData } from "./errors.ts";

export class RingBuffer {
  readonly #bytes: Uint8Array;
  /** Index of the oldest byte held. */
  #start = 0;
  /** Number of bytes held, at most the capacity. */
  #size = 0;

  /** Creates an empty buffer. `capacity` must be a positive integer (asserted). */
  constructor(capacity: number) {
    assert(Number.isSafeInteger(capacity), `ring buffer capacity must be an integer, got ${capacity}`);
    assert(capacity > 0, `ring buffer capacity must be > 0, got ${capacity}`);
    this.#bytes = new Uint8Array(capacity);
  }

  /** The most bytes the buffer holds. */
  get capacity(): number {
    return this.#bytes.length;
  }

  /** The number of bytes held now: min(bytes ever written, capacity). */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends `data`, evicting the oldest bytes if it does not fit. A write longer
   * than the capacity leaves exactly its last `capacity` bytes. `data` is copied.
   */
  write(data: Uint8Array): void {
    if (data.length === 0) return;
    const capacity = this.capacity;
    if (data.length >= capacity) {
      this.#bytes.set(data.subarray(data.length - capacity));
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
    assert(this.#size <= capacity, `ring buffer size ${this.#size} exceeds capacity ${capacity}`);
  }

  /**
   * The last `length` bytes written, oldest first, as a fresh copy; an empty array
   * for 0. When fewer than `length` bytes are held (they were evicted, or never
   * written), returns ErrInsufficientBufferedData as a value. A negative or
   * fractional length is a programmer error (asserted).
   */
  readLast(length: number): Uint8Array | ErrInsufficientBufferedData {
    assertCount(length, "readLast length");
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
