/** The surface of RingBuffer that its properties exercise, so a broken variant can stand in for it. */
import type { ErrInsufficientBufferedData } from "../../../src/impl/backedpipe/errors.ts";

export interface RingBufferLike {
  readonly capacity: number;
  readonly size: number;
  write(data: Uint8Array): void;
  readLast(length: number): Uint8Array | ErrInsufficientBufferedData;
}
