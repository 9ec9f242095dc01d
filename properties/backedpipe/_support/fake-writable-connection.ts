/**
 * In-memory write side of a connection, and the peer that receives from it, for
 * BackedWriter properties. The peer is the ground truth: it records the bytes that
 * arrived, over successive connections, and (like a BackedReader that has moved on)
 * drops whatever a replaced connection still delivers.
 *
 * Faults the test plans per write: reject without delivering, deliver but reject
 * (the acknowledgement is lost), a short write (a prefix arrives), and a hang that
 * lasts until the connection breaks or closes. Everything settles through promises:
 * no timers, so a run is a pure function of its actions.
 */
import type { WritableConnection } from "../../../src/impl/backedpipe/connection.ts";

export type WriteBehaviour =
  | { readonly kind: "accept" }
  | { readonly kind: "reject" }
  | { readonly kind: "deliver-then-reject" }
  | { readonly kind: "short"; readonly deliveredBytes: number }
  | { readonly kind: "hang" };

/** The error a fake connection fails with: it names the connection, so tests can check error tagging. */
export class FakeConnectionError extends Error {
  override readonly name = "FakeConnectionError";
  constructor(
    readonly connectionId: number,
    detail: string,
  ) {
    super(`fake connection ${connectionId}: ${detail}`);
  }
}

export class FakePeer {
  readonly received: number[] = [];
  #current: FakeWritableConnection | null = null;
  #nextId = 1;

  /** A new connection to this peer; the peer listens only to it from now on. */
  connect(): FakeWritableConnection {
    const connection = new FakeWritableConnection(this, this.#nextId++);
    this.#current = connection;
    return connection;
  }

  /** Called by connections: bytes arrive only from the current one. */
  deliver(from: FakeWritableConnection, bytes: Uint8Array): void {
    if (from !== this.#current) return;
    for (const byte of bytes) this.received.push(byte);
  }
}

interface HungWrite {
  readonly reject: (error: Error) => void;
}

export class FakeWritableConnection implements WritableConnection {
  readonly #peer: FakePeer;
  readonly #plan: WriteBehaviour[] = [];
  readonly #hung: HungWrite[] = [];
  #broken = false;
  #closed = false;
  writeCount = 0;

  constructor(
    peer: FakePeer,
    readonly id: number,
  ) {
    this.#peer = peer;
  }

  /** Plans the behaviour of the next unplanned write (default: accept). */
  plan(behaviour: WriteBehaviour): void {
    this.#plan.push(behaviour);
  }

  /** Writes that are hung right now. */
  get hungCount(): number {
    return this.#hung.length;
  }

  write(data: Uint8Array): Promise<number | void> {
    this.writeCount += 1;
    if (this.#closed) return Promise.reject(new FakeConnectionError(this.id, "write on closed connection"));
    if (this.#broken) return Promise.reject(new FakeConnectionError(this.id, "connection reset"));
    const behaviour = this.#plan.shift() ?? { kind: "accept" };
    switch (behaviour.kind) {
      case "accept":
        this.#peer.deliver(this, data);
        return Promise.resolve();
      case "reject":
        return Promise.reject(new FakeConnectionError(this.id, "write rejected"));
      case "deliver-then-reject":
        this.#peer.deliver(this, data);
        return Promise.reject(new FakeConnectionError(this.id, "acknowledgement lost"));
      case "short": {
        const delivered = Math.min(behaviour.deliveredBytes, Math.max(0, data.length - 1));
        this.#peer.deliver(this, data.subarray(0, delivered));
        return Promise.resolve(delivered);
      }
      case "hang":
        return new Promise((_resolve, reject) => this.#hung.push({ reject }));
    }
  }

  /** The connection resets: hung and future writes reject. */
  break(): void {
    this.#broken = true;
    this.#failHung("connection reset");
  }

  /** Closes it: hung and future writes reject. */
  close(): void {
    this.#closed = true;
    this.#failHung("closed while writing");
  }

  #failHung(detail: string): void {
    for (const write of this.#hung.splice(0)) write.reject(new FakeConnectionError(this.id, detail));
  }
}
