/**
 * BackedWriter: makes an unreliable connection's write side resilient to
 * disconnection (Coder's backedpipe BackedWriter, in TypeScript idiom).
 *
 * Every byte written is numbered: the sequence number is the count of bytes ever
 * written. The most recent bytes are kept in a ring buffer, so that when the peer
 * reconnects and says how many bytes it has received, the writer replays the rest.
 *
 * Contract, as in the seed:
 * - The writer starts disconnected; writes wait until a connection is installed.
 * - `write()` resolves when the connection accepted the bytes. If the connection
 *   fails (rejects, or accepts only part: a short write), the writer becomes
 *   disconnected, reports an ErrorEvent tagged with the connection's generation,
 *   and the write keeps waiting until a reconnection, whose replay delivers its
 *   bytes; it then resolves without writing them again.
 * - `reconnect(replayFromSequence, connection)` replays the bytes from
 *   `replayFromSequence` onwards to the new connection, then installs it. It fails
 *   with ErrWriterClosed, ErrNilWriter, ErrFutureSequence, ErrReplayDataUnavailable,
 *   ErrReplayFailed or ErrPartialReplay, and after any failure the writer is
 *   disconnected.
 * - After `close()`, every write (even a zero-length one) and every reconnect
 *   rejects with ErrWriterClosed; writes blocked at close reject with it too.
 *
 * Differences from Go, and why:
 * - Concurrent writes take turns in call order (a FIFO queue), so bytes of one
 *   write are never interleaved with another's and writes resolve in call order.
 * - Reconnect does not wait for a write blocked inside the old connection: it
 *   abandons it (its bytes are already numbered and buffered, so the replay covers
 *   them). The seed's "close the current writer before Reconnect, or deadlock"
 *   hazard does not exist here, though the caller still owns and closes connections.
 * - Errors are tagged with the generation under which the failing connection was
 *   installed, not the generation current when the error happened: a late failure
 *   of a replaced connection is then recognisably stale.
 *
 * Buggify point "backedpipe.short-ring-buffer-read": the replay is read from the
 * ring buffer and written in two parts, a short one first.
 */
import { assert, assertCount } from "../../sim/assert.ts";
import { ConnectionSlot } from "./connection-slot.ts";
import type { SlotLease, SlotOutcome } from "./connection-slot.ts";
import { startOperation } from "./connection.ts";
import type { WritableConnection } from "./connection.ts";
import {
  ErrFutureSequence,
  ErrNilWriter,
  ErrPartialReplay,
  ErrReplayDataUnavailable,
  ErrReplayFailed,
  ErrShortWrite,
  ErrWriterClosed,
} from "./errors.ts";
import type { Buggify, ErrorEventHandler, Probe } from "./errors.ts";
import { RingBuffer } from "./ring-buffer.ts";
import { SerialQueue } from "./serial-queue.ts";

export interface BackedWriterOptions {
  /**
   * Marks rare paths ("backedpipe.replay-from-ring-buffer", "backedpipe.replay-data-unavailable",
   * "backedpipe.partial-replay").
   */
  readonly probe?: Probe;
  /** Buggify points ("backedpipe.short-ring-buffer-read"); none by default. */
  readonly buggify?: Buggify;
}

export class BackedWriter {
  readonly #buffer: RingBuffer;
  readonly #onError: ErrorEventHandler;
  readonly #probe: Probe;
  readonly #buggify: Buggify;
  readonly #slot = new ConnectionSlot<WritableConnection>();
  readonly #writeQueue = new SerialQueue();
  readonly #reconnectQueue = new SerialQueue();
  #sequenceNumber = 0;
  #currentGeneration = 0;

  /**
   * Creates a disconnected writer whose ring buffer holds `capacity` bytes (must be
   * > 0). `onError` receives the generation-tagged error events (the seed's error
   * channel); it is called synchronously and must not throw.
   */
  constructor(capacity: number, onError: ErrorEventHandler, options: BackedWriterOptions = {}) {
    assert(typeof onError === "function", "error event handler cannot be missing");
    this.#buffer = new RingBuffer(capacity);
    this.#onError = onError;
    this.#probe = options.probe ?? (() => {});
    this.#buggify = options.buggify ?? (() => false);
  }

  /**
   * Writes `data` (copied at the call). Resolves once the current connection
   * accepted it, or, if that connection failed, once a reconnection replayed it.
   * Waits while disconnected. Rejects with ErrWriterClosed if the writer is or
   * becomes closed first. Zero-length writes resolve at once (unless closed).
   */
  write(data: Uint8Array): Promise<void> {
    if (this.#slot.closed) return Promise.reject(new ErrWriterClosed("write"));
    if (data.length === 0) return Promise.resolve();
    const bytes = data.slice();
    return this.#writeQueue.run(() => this.#writeInTurn(bytes));
  }

  /**
   * Replaces the connection: replays the bytes from `replayFromSequence` (the
   * count of bytes the peer has received) to `connection`, then installs it and
   * wakes blocked writes. Reconnects take turns in call order. See the class
   * contract for the errors; after any of them the writer is disconnected.
   */
  reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
    return this.#reconnectQueue.run(() => this.#reconnectInTurn(replayFromSequence, connection));
  }

  /**
   * Closes the writer: blocked and future writes reject with ErrWriterClosed. Idempotent; never closes the connection.
   */
  close(): void {
    this.#slot.close();
  }

  /** The sequence number: the total count of bytes ever written (accepted into the buffer). */
  sequenceNum(): number {
    return this.#sequenceNumber;
  }

  /** True while a connection is installed. */
  connected(): boolean {
    return this.#slot.connected;
  }

  /** Sets the generation that tags errors of connections installed from now on. */
  setGeneration(generation: number): void {
    assertCount(generation, "generation");
    this.#currentGeneration = generation;
  }

  async #writeInTurn(bytes: Uint8Array): Promise<void> {
    const lease = await this.#slot.untilConnectedOrClosed();
    if (lease === null) throw new ErrWriterClosed("write");
    // Buffer first: from here on these bytes are numbered, and any replay covers them.
    this.#buffer.write(bytes);
    this.#sequenceNumber += bytes.length;
    assertCount(this.#sequenceNumber, "sequence number");
    const operation = startOperation(() => lease.connection.write(bytes));
    const outcome = await this.#slot.settleUnlessDetached(lease, operation, (error) => this.#report(error, lease));
    const verdict = judgeWrite(outcome, bytes.length);
    if (verdict.kind === "accepted") return;
    if (verdict.kind === "failed") {
      // A failure of a connection already replaced is reported too: its generation marks it stale.
      if (this.#slot.isCurrent(lease)) this.#slot.detach();
      this.#report(verdict.error, lease);
    }
    // Don't write again: the reconnection's replay delivers these bytes.
    const next = await this.#slot.untilConnectedOrClosed();
    if (next === null) throw new ErrWriterClosed("write");
  }

  async #reconnectInTurn(replayFromSequence: number, connection: WritableConnection): Promise<void> {
    if (this.#slot.closed) throw new ErrWriterClosed("reconnect");
    if (connection === null || connection === undefined) throw new ErrNilWriter();
    assertCount(replayFromSequence, "replayFromSequence");
    // Drop the old connection before anything can fail, so that a failed reconnect
    // leaves the writer disconnected (the seed clears it only after its sequence
    // checks, which left a closed connection installed after ErrFutureSequence).
    this.#slot.detach();
    const replay = this.#replayData(replayFromSequence);
    if (replay.length > 0) await this.#writeReplay(connection, replay, this.#replayPieces(replay.length));
    if (this.#slot.closed) throw new ErrWriterClosed("reconnect");
    this.#slot.install(connection, this.#currentGeneration);
  }

  /** The bytes from `replayFromSequence` to the sequence number, from the ring buffer. */
  #replayData(replayFromSequence: number): Uint8Array {
    if (replayFromSequence > this.#sequenceNumber) {
      throw new ErrFutureSequence(replayFromSequence, this.#sequenceNumber);
    }
    const replayLength = this.#sequenceNumber - replayFromSequence;
    if (replayLength === 0) return new Uint8Array(0);
    const replay = this.#buffer.readLast(replayLength);
    if (replay instanceof Error) {
      this.#probe("backedpipe.replay-data-unavailable");
      throw new ErrReplayDataUnavailable(replayFromSequence, replayLength, this.#buffer.size);
    }
    this.#probe("backedpipe.replay-from-ring-buffer");
    return replay;
  }

  /** Where the replay is cut into writes: at its end, or (buggify) also after a short first part. */
  #replayPieces(length: number): number[] {
    if (length < 2 || !this.#buggify("backedpipe.short-ring-buffer-read", { afterHeal: true })) return [length];
    return [Math.ceil(length / 4), length];
  }

  /**
   * Writes the replay to `connection`, one write per piece (`ends`: where each ends).
   * A piece the connection takes only part of, or a failure after a piece was
   * written, is a partial replay; a failure before anything was written, a failed one.
   */
  async #writeReplay(connection: WritableConnection, replay: Uint8Array, ends: readonly number[]): Promise<void> {
    let begin = 0;
    for (const end of ends) {
      const piece = replay.subarray(begin, end);
      let written: number | void;
      try {
        written = await startOperation(() => connection.write(piece));
      } catch (error) {
        if (begin === 0) throw new ErrReplayFailed(error);
        this.#probe("backedpipe.partial-replay");
        throw new ErrPartialReplay(begin, replay.length);
      }
      if (typeof written === "number") {
        assert(written <= piece.length, `connection reports ${written} bytes written of ${piece.length}`);
        if (written < piece.length) {
          this.#probe("backedpipe.partial-replay");
          throw new ErrPartialReplay(begin + written, replay.length);
        }
      }
      begin = end;
    }
  }

  #report(error: unknown, lease: SlotLease<WritableConnection>): void {
    this.#onError({ error, component: "writer", generation: lease.generation });
  }
}

type WriteVerdict =
  | { readonly kind: "accepted" }
  /** The slot detached before the write settled: a late failure is reported by the slot's callback. */
  | { readonly kind: "abandoned" }
  | { readonly kind: "failed"; readonly error: unknown };

/** Classifies a write's outcome; a short write is a failure (ErrShortWrite). */
function judgeWrite(outcome: SlotOutcome<number | void>, length: number): WriteVerdict {
  if (outcome.kind === "detached") return { kind: "abandoned" };
  if (outcome.kind === "failed") return { kind: "failed", error: outcome.error };
  const written = outcome.value;
  if (typeof written !== "number" || written === length) return { kind: "accepted" };
  assert(written < length, `connection reports ${written} bytes written of ${length}`);
  return { kind: "failed", error: new ErrShortWrite(written, length) };
}
