/**
 * BackedReader: makes an unreliable connection's read side resilient to
 * disconnection (Coder's backedpipe BackedReader, in TypeScript idiom).
 *
 * Contract, as in the package's design:
 * - The reader starts disconnected; reads wait until a connection is installed.
 * - The sequence number is the count of bytes delivered to callers of `read()`.
 * - When the connection fails or ends (a backed stream never ends on its own), the
 *   reader becomes disconnected, reports an ErrorEvent tagged with the connection's
 *   generation, and the read keeps waiting for the next connection.
 * - `reconnect(provide)` hands the current sequence number to `provide` (which dials,
 *   and tells the peer where to resume), and installs the connection it returns.
 *   From the moment reconnect starts until it ends, no byte is delivered, so the
 *   number handed out is exact (Go holds the reader's mutex for the same reason).
 * - `close()` makes every blocked and future read resolve with `null` (Go: io.EOF).
 *
 * Concurrent reads take turns in call order. A read in flight on a connection that
 * is replaced is abandoned and whatever it later yields is discarded: the peer
 * replays those bytes from the sequence number handed over at reconnect.
 */
import { assert, assertCount } from "../../sim/assert.ts";
import { ConnectionSlot } from "./connection-slot.ts";
import type { SlotLease } from "./connection-slot.ts";
import { startOperation } from "./connection.ts";
import type { ReadableConnection } from "./connection.ts";
import { ErrConnectionEnded } from "./errors.ts";
import type { ErrorEventHandler } from "./errors.ts";
import { SerialQueue } from "./serial-queue.ts";

/**
 * Given the reader's sequence number, obtains the next connection (or null to give
 * up, leaving the reader disconnected). May throw; the error reaches the caller of
 * `reconnect`.
 */
export type ReaderConnectionProvider = (sequenceNumber: number) => Promise<ReadableConnection | null>;

export class BackedReader {
  readonly #slot = new ConnectionSlot<ReadableConnection>();
  readonly #onError: ErrorEventHandler;
  readonly #readQueue = new SerialQueue();
  readonly #reconnectQueue = new SerialQueue();
  #sequenceNumber = 0;
  #currentGeneration = 0;

  /**
   * Creates a disconnected reader. `onError` receives the generation-tagged error
   * events; it is called synchronously and must not throw.
   */
  constructor(onError: ErrorEventHandler) {
    assert(typeof onError === "function", "error event handler cannot be missing");
    this.#onError = onError;
  }

  /**
   * The next bytes of the stream, in order, as the connection delivers them (a
   * zero-length chunk is possible). Waits while disconnected. Resolves with `null`
   * once the reader is closed. Never rejects for connection failures.
   */
  read(): Promise<Uint8Array | null> {
    if (this.#slot.closed) return Promise.resolve(null);
    return this.#readQueue.run(() => this.#readInTurn());
  }

  /**
   * Disconnects, calls `provide` with the sequence number, and installs the
   * connection it returns. Resolves true when installed; false when the reader is
   * closed (before or during) or `provide` returned null. Reconnects take turns.
   */
  reconnect(provide: ReaderConnectionProvider): Promise<boolean> {
    return this.#reconnectQueue.run(() => this.#reconnectInTurn(provide));
  }

  /** Closes the reader: blocked and future reads resolve with null. Idempotent; never closes the connection. */
  close(): void {
    this.#slot.close();
  }

  /** The sequence number: the total count of bytes delivered by `read()`. */
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

  async #readInTurn(): Promise<Uint8Array | null> {
    for (;;) {
      const lease = await this.#slot.untilConnectedOrClosed();
      if (lease === null) return null;
      const operation = startOperation(() => lease.connection.read());
      const outcome = await this.#slot.settleUnlessDetached(lease, operation, (error) => this.#report(error, lease));
      if (!this.#slot.isCurrent(lease)) {
        // Replaced meanwhile: discard whatever came (the peer replays it); a failure is stale news.
        if (outcome.kind === "failed") this.#report(outcome.error, lease);
        continue;
      }
      if (outcome.kind === "settled" && outcome.value !== null) {
        this.#sequenceNumber += outcome.value.length;
        assertCount(this.#sequenceNumber, "sequence number");
        return outcome.value;
      }
      assert(outcome.kind !== "detached", "a current lease cannot have been detached");
      // Mark disconnected so this read (and the next ones) wait for the reconnection.
      this.#slot.detach();
      this.#report(outcome.kind === "failed" ? outcome.error : new ErrConnectionEnded(), lease);
    }
  }

  async #reconnectInTurn(provide: ReaderConnectionProvider): Promise<boolean> {
    if (this.#slot.closed) return false;
    // Detach first: no byte can be delivered until the new connection is installed.
    this.#slot.detach();
    const sequenceNumber = this.#sequenceNumber;
    const connection = await provide(sequenceNumber);
    assert(this.#sequenceNumber === sequenceNumber, "bytes were delivered while the reader was reconnecting");
    if (connection === null || this.#slot.closed) return false;
    this.#slot.install(connection, this.#currentGeneration);
    return true;
  }

  #report(error: unknown, lease: SlotLease<ReadableConnection>): void {
    this.#onError({ error, component: "reader", generation: lease.generation });
  }
}
