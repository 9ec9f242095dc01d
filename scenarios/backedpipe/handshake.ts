/**
 * The resume handshake of the pipe scenarios: a tiny protocol over a fresh stream
 * that tells each side where its writer resumes.
 *
 * Wire format: each side writes one frame, its reader's sequence number (how many
 * of the peer's bytes it has read) as an 8-byte big-endian unsigned integer, and
 * reads the peer's frame. Both sides write before they read, so neither waits on
 * the other's order. Bytes that follow the peer's frame in the same read (the start
 * of the peer's replay) are kept and handed out first by the ResumedConnection.
 *
 * Limits: the handshake gives up after `timeoutMs` of host-local time (the stream is
 * reset, so the peer fails too), when the pipe's abort signal fires, or when the
 * stream ends or resets first. Every failure is a PipeHandshakeError or the stream's
 * NetError; the pipe counts it as a failed reconnection attempt.
 */
import type { ReconnectResult } from "../../src/impl/backedpipe/index.ts";
import type { Clock, Connection } from "../../src/sim/env.ts";
import { ResumedConnection } from "./resumed-connection.ts";

/** Bytes of one handshake frame. */
export const HANDSHAKE_FRAME_BYTES = 8;

/** A handshake failed for a reason of its own (not a stream reset). */
export class PipeHandshakeError extends Error {
  override readonly name = "PipeHandshakeError";
}

/** A reconnection whose connection is a ResumedConnection (so the scenario can watch it). */
export interface ResumedReconnectResult extends ReconnectResult {
  readonly connection: ResumedConnection;
}

/** A Reconnector that hands out ResumedConnections. */
export type ResumingReconnector = (
  readerSequenceNumber: number,
  signal: AbortSignal,
) => Promise<ResumedReconnectResult>;

export interface HandshakeOptions {
  /** The host's clock, for the timeout. */
  readonly clock: Clock;
  /** Host-local milliseconds before the handshake gives up and resets the stream. */
  readonly timeoutMs: number;
  /** Marks rare paths ("pipe.handshake-timeout"). */
  readonly probe: (name: string) => void;
}

/** Encodes a reader sequence number as a handshake frame. */
export function encodeSequenceNumber(sequenceNumber: number): Uint8Array {
  if (!Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0) {
    throw new RangeError(`sequence number must be a non-negative safe integer, got ${sequenceNumber}`);
  }
  const frame = new Uint8Array(HANDSHAKE_FRAME_BYTES);
  new DataView(frame.buffer).setBigUint64(0, BigInt(sequenceNumber));
  return frame;
}

/** Decodes a handshake frame; a value beyond the safe integers is a PipeHandshakeError. */
export function decodeSequenceNumber(frame: Uint8Array): number {
  if (frame.length !== HANDSHAKE_FRAME_BYTES) throw new PipeHandshakeError(`handshake frame of ${frame.length} bytes`);
  const value = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getBigUint64(0);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new PipeHandshakeError(`peer sequence number ${value} is out of range`);
  return Number(value);
}

/**
 * Reads exactly `length` bytes (a small frame) from `connection`, returning them and
 * whatever else the last read brought. End of stream first is a PipeHandshakeError.
 */
export async function readExactly(
  connection: Connection,
  length: number,
): Promise<{ value: Uint8Array; rest: Uint8Array }> {
  const value = new Uint8Array(length);
  let filled = 0;
  // Each read yields at least one byte or ends the stream, so `length` reads suffice; the cap guards that.
  for (let reads = 0; filled < length; reads++) {
    if (reads > length) throw new PipeHandshakeError(`no frame after ${reads} reads`);
    const chunk = await connection.read();
    if (chunk === null) throw new PipeHandshakeError(`stream ended after ${filled} of ${length} handshake bytes`);
    const taken = Math.min(chunk.length, length - filled);
    value.set(chunk.subarray(0, taken), filled);
    filled += taken;
    if (filled === length) return { value, rest: chunk.subarray(taken) };
  }
  return { value, rest: new Uint8Array(0) };
}

/**
 * Runs the handshake on a fresh stream: sends `readerSequenceNumber`, receives the
 * peer's. On success the stream belongs to the returned ResumedConnection; on any
 * failure it is reset (so the peer's half of the handshake fails too) and the error
 * is rethrown.
 */
export async function handshake(
  raw: Connection,
  readerSequenceNumber: number,
  signal: AbortSignal,
  options: HandshakeOptions,
): Promise<ResumedReconnectResult> {
  const timer = options.clock.setTimer(options.timeoutMs, () => {
    options.probe("pipe.handshake-timeout");
    raw.reset();
  });
  const onAbort = (): void => raw.reset();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) throw new PipeHandshakeError("the pipe closed before the handshake");
    await raw.write(encodeSequenceNumber(readerSequenceNumber));
    const { value, rest } = await readExactly(raw, HANDSHAKE_FRAME_BYTES);
    if (signal.aborted) throw new PipeHandshakeError("the pipe closed during the handshake");
    return { connection: new ResumedConnection(raw, rest), peerReaderSequenceNumber: decodeSequenceNumber(value) };
  } catch (error) {
    raw.reset();
    throw error;
  } finally {
    timer.cancel();
    signal.removeEventListener("abort", onAbort);
  }
}
