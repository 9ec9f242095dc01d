/**
 * A known byte sequence for stream tests: byte `position` of stream `stream` is a
 * hash of both, so a gap, a duplicate or a reorder of any length shows up as a
 * wrong byte (except with probability 1/256 per byte).
 */

export function patternByte(stream: number, position: number): number {
  let x = Math.imul(position ^ Math.imul(stream + 1, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x & 0xff;
}

/** Bytes [start, start + length) of stream `stream`. */
export function patternBytes(stream: number, start: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = patternByte(stream, start + i);
  return bytes;
}

/** The first position where `received` departs from stream `stream`, or -1 if it is a prefix. */
export function firstMismatch(stream: number, received: Uint8Array): number {
  for (let i = 0; i < received.length; i++) if (received[i] !== patternByte(stream, i)) return i;
  return -1;
}

/** A growable byte buffer for what a reader received. */
export class ByteLog {
  private bytes = new Uint8Array(256);
  private used = 0;

  append(chunk: Uint8Array): void {
    if (this.used + chunk.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + chunk.length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.used);
    this.used += chunk.length;
  }

  get length(): number {
    return this.used;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.used);
  }
}
