/**
 * BufferedReader: the bufio.Reader that Reader.adjustedOffset and
 * RetryReader.adjustedSeek account for. It reads from its source in blocks of
 * `size` bytes and hands them out in smaller reads; `buffered()` is what has been
 * read from the source but not yet handed out. Errors of the source (ErrOffsetJump
 * included) pass through once the buffer is empty.
 */
import { assert } from "../../../sim/assert.ts";

export interface ChunkSource {
  read(maxBytes: number): Promise<Uint8Array | null>;
}

export const BUFFERED_READER_SIZE_DEFAULT = 4096;

export class BufferedReader {
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(
    private source: ChunkSource,
    readonly size = BUFFERED_READER_SIZE_DEFAULT,
  ) {
    assert(size > 0, "BufferedReader size must be positive");
  }

  /** Bytes read from the source and not yet returned. */
  buffered(): number {
    return this.buffer.length;
  }

  /** Up to `maxBytes` bytes: from the buffer, else one read of the source. Null at end of stream. */
  async read(maxBytes: number = this.size): Promise<Uint8Array | null> {
    assert(maxBytes > 0, "BufferedReader.read: maxBytes must be positive");
    if (this.buffer.length === 0) {
      const chunk = await this.source.read(this.size);
      if (chunk === null) return null;
      this.buffer = chunk;
    }
    const out = this.buffer.subarray(0, maxBytes);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  /** Discards up to `count` buffered bytes (never reads); returns how many were discarded. */
  discard(count: number): number {
    const discarded = Math.max(0, Math.min(count, this.buffer.length));
    this.buffer = this.buffer.subarray(discarded);
    return discarded;
  }

  /** Drops the buffer and reads from `source` from now on. */
  reset(source: ChunkSource): void {
    this.buffer = new Uint8Array(0);
    this.source = source;
  }
}
