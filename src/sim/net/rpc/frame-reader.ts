/**
 * Splits a byte stream into frames. The stream delivers bytes in arbitrary chunks
 * (a chunk may hold part of a frame or several frames), so bytes wait here until a
 * whole frame is present.
 *
 * Faults handled here: a length prefix above `RPC_FRAME_BYTES_MAX` (the peer is
 * broken or hostile: waiting for that many bytes would be an unbounded buffer), a
 * body that does not decode, and end of stream inside a frame are all reported as
 * malformed, never thrown. Buffered bytes never exceed one frame plus one chunk.
 */
import type { Connection } from "../../env.ts";
import { assert } from "../../assert.ts";
import { decodeFrame, frameBodyLength, type DecodedFrame, type Frame } from "./frame.ts";
import { RPC_FRAME_BYTES_MAX, RPC_FRAME_HEADER_BYTES } from "./limits.ts";

/** Accumulates chunks and hands out whole frames in order. */
export class FrameReader {
  private readonly chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private failed = false;

  /** Bytes received that are not part of a frame handed out yet. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  push(chunk: Uint8Array): void {
    assert(!this.failed, "frame reader used after a malformed frame");
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
  }

  /** The next whole frame, undefined when more bytes are needed, or why the stream is malformed. */
  next(): DecodedFrame | undefined {
    assert(!this.failed, "frame reader used after a malformed frame");
    if (this.bufferedBytes < RPC_FRAME_HEADER_BYTES) return undefined;
    const bodyLength = frameBodyLength(this.peek(RPC_FRAME_HEADER_BYTES));
    if (bodyLength > RPC_FRAME_BYTES_MAX) {
      this.failed = true;
      return { malformed: `frame length ${bodyLength} exceeds the limit of ${RPC_FRAME_BYTES_MAX}` };
    }
    if (this.bufferedBytes < RPC_FRAME_HEADER_BYTES + bodyLength) return undefined;
    this.take(RPC_FRAME_HEADER_BYTES);
    const decoded = decodeFrame(this.take(bodyLength));
    if (decoded.malformed !== undefined) this.failed = true;
    return decoded;
  }

  /** The first `length` buffered bytes, left in the buffer. */
  private peek(length: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array;
    if (first.length >= length) return first.subarray(0, length);
    return this.copyOut(length, false);
  }

  /** Removes and returns the first `length` buffered bytes. */
  private take(length: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= length) {
      const taken = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
      this.bufferedBytes -= length;
      return taken;
    }
    return this.copyOut(length, true);
  }

  private copyOut(length: number, remove: boolean): Uint8Array {
    assert(length <= this.bufferedBytes, "frame reader copied more bytes than it holds");
    const result = new Uint8Array(length);
    let copied = 0;
    let index = 0;
    while (copied < length) {
      const chunk = this.chunks[index] as Uint8Array;
      const part = Math.min(chunk.length, length - copied);
      result.set(chunk.subarray(0, part), copied);
      copied += part;
      if (!remove) {
        index++;
      } else if (part === chunk.length) {
        this.chunks.shift();
      } else {
        this.chunks[0] = chunk.subarray(part);
      }
    }
    if (remove) this.bufferedBytes -= length;
    return result;
  }
}

/** How a connection's frame stream ended. */
export type ReadEnd =
  /** The peer closed its side cleanly between frames. */
  | { kind: "end" }
  /** The connection reset (or this side closed it). */
  | { kind: "reset"; error: unknown }
  /** The peer sent something that is not a valid frame, or a frame that breaks the protocol. */
  | { kind: "malformed"; reason: string };

/**
 * Reads frames from `connection` until it ends, handing each to `onFrame` in
 * order. `onFrame` returns a reason when the frame breaks the protocol (the read
 * then stops as malformed), undefined otherwise. Resolves, never rejects, with how
 * the stream ended; the caller decides what to do with the connection.
 */
export async function readFrames(
  connection: Connection,
  onFrame: (frame: Frame) => string | undefined,
): Promise<ReadEnd> {
  const reader = new FrameReader();
  while (true) {
    let chunk: Uint8Array | null;
    try {
      chunk = await connection.read();
    } catch (error) {
      return { kind: "reset", error };
    }
    if (chunk === null) {
      if (reader.buffered > 0)
        return { kind: "malformed", reason: `end of stream inside a frame (${reader.buffered} bytes)` };
      return { kind: "end" };
    }
    reader.push(chunk);
    for (let decoded = reader.next(); decoded !== undefined; decoded = reader.next()) {
      if (decoded.malformed !== undefined) return { kind: "malformed", reason: decoded.malformed };
      const violation = onFrame(decoded.frame);
      if (violation !== undefined) return { kind: "malformed", reason: violation };
    }
  }
}
