/**
 * Ordered byte-stream connections (TCP-like) between two process incarnations.
 *
 * Faults injected here: a connection resets when a partition cuts its link (either
 * direction), when either side crashes, or when a side resets it. Bytes arrive in
 * the order written, each segment after a latency draw (held back by a clogged
 * link); after a reset nothing more arrives and unread bytes are discarded. So a
 * reader always sees an exact prefix of what was written, then either the rest and
 * end-of-stream, or a reset: never a gap, a duplicate or a reorder.
 */
import { NetError, type Connection } from "../env.ts";
import type { Incarnation } from "../host.ts";
import type { Links } from "./links.ts";

/** Bytes a side may have in flight plus unread at the peer before `write` waits. */
export const STREAM_WINDOW_BYTES = 256 * 1024;
/** The most bytes one `read()` returns. */
export const STREAM_READ_BYTES_MAX = 64 * 1024;

export interface StreamTracer {
  trace(host: string, kind: string, fields: Record<string, unknown>): void;
}

type EndpointState = "open" | "closed" | "reset";

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class StreamEndpoint implements Connection {
  peer!: StreamEndpoint;
  private state: EndpointState = "open";
  private readonly buffer: Uint8Array[] = [];
  private bufferedBytes = 0;
  private endOfStream = false;
  private readWaiter: Waiter<Uint8Array | null> | undefined;
  private readonly writeWaiters: Array<Waiter<void> & { data: Uint8Array }> = [];
  /** Bytes sent by this side that have not arrived at the peer yet. */
  private inFlightBytes = 0;
  /** Arrival time of this side's last segment: later segments never arrive earlier. */
  private lastArrival = 0;
  private resetReason = "";
  /** Closed locally with writes still queued: end-of-stream goes out after them. */
  private finPending = false;

  constructor(
    readonly id: number,
    readonly owner: Incarnation,
    readonly localAddress: string,
    readonly remoteAddress: string,
    private readonly links: Links,
    private readonly tracer: StreamTracer,
    private readonly onFinished: (endpoint: StreamEndpoint) => void,
  ) {}

  get closed(): boolean {
    return this.state !== "open";
  }

  get isReset(): boolean {
    return this.state === "reset";
  }

  read(): Promise<Uint8Array | null> {
    if (this.state === "reset") return Promise.reject(this.resetError());
    if (this.state === "closed") return Promise.reject(new NetError("ECLOSED", `read on closed connection ${this.id}`));
    if (this.readWaiter !== undefined) throw new Error(`connection ${this.id}: concurrent read`);
    if (this.bufferedBytes > 0) return Promise.resolve(this.takeBuffered());
    if (this.endOfStream) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.readWaiter = { resolve, reject };
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (this.state === "reset") return Promise.reject(this.resetError());
    if (this.state === "closed") return Promise.reject(new NetError("ECLOSED", `write on closed connection ${this.id}`));
    // An empty write sends nothing: an empty segment would read as end-of-stream.
    if (data.length === 0) return Promise.resolve();
    const copy = data.slice();
    if (this.writeWaiters.length === 0 && this.windowAllows(copy.length)) {
      this.send(copy);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.writeWaiters.push({ resolve, reject, data: copy });
    });
  }

  close(): void {
    if (this.state !== "open") return;
    this.state = "closed";
    this.failWaiters(new NetError("ECLOSED", `connection ${this.id} closed locally`), false);
    this.tracer.trace(this.localAddress, "net.stream.close", { connection: this.id });
    // Writes still waiting for window are sent first; end-of-stream follows them.
    this.finPending = true;
    this.sendFinIfDrained();
  }

  private sendFinIfDrained(): void {
    if (!this.finPending || this.writeWaiters.length > 0) return;
    this.finPending = false;
    this.deliverToPeer(undefined);
    this.onFinished(this);
  }

  reset(): void {
    if (this.state === "reset") return;
    this.resetBothSides("reset by peer");
  }

  /** Resets both sides (partition cut, crash, abortive close). */
  resetBothSides(reason: string): void {
    this.tracer.trace(this.localAddress, "net.stream.reset", { connection: this.id, reason });
    this.resetLocal(reason);
    this.peer.resetLocal(reason);
  }

  /** Marks this side reset and fails its waiters (as events of its owner). */
  resetLocal(reason: string): void {
    if (this.state === "reset") return;
    this.state = "reset";
    this.finPending = false;
    this.resetReason = reason;
    this.buffer.length = 0;
    this.bufferedBytes = 0;
    this.failWaiters(this.resetError());
    this.onFinished(this);
  }

  private resetError(): NetError {
    return new NetError("ECONNRESET", `connection ${this.id} ${this.localAddress}->${this.remoteAddress}: ${this.resetReason}`);
  }

  private failWaiters(error: NetError, includeWrites = true): void {
    const readWaiter = this.readWaiter;
    this.readWaiter = undefined;
    const writeWaiters = includeWrites ? this.writeWaiters.splice(0) : [];
    if (readWaiter === undefined && writeWaiters.length === 0) return;
    if (this.owner.isDead()) return;
    void this.owner.complete(0, () => {
      readWaiter?.reject(error);
      for (const waiter of writeWaiters) waiter.reject(error);
    });
  }

  private windowAllows(length: number): boolean {
    const pending = this.inFlightBytes + this.peer.bufferedBytes;
    return pending === 0 || pending + length <= STREAM_WINDOW_BYTES;
  }

  private send(data: Uint8Array): void {
    this.inFlightBytes += data.length;
    this.tracer.trace(this.localAddress, "net.stream.send", { connection: this.id, to: this.remoteAddress, bytes: data.length });
    this.deliverToPeer(data);
  }

  /** Schedules a segment (or, with undefined, end-of-stream) to arrive at the peer in order. */
  private deliverToPeer(data: Uint8Array | undefined): void {
    const scheduler = this.owner.scheduler;
    const arrival = Math.max(
      scheduler.now + this.links.latency(this.localAddress, this.remoteAddress),
      this.lastArrival,
      this.links.clogEnd(this.localAddress, this.remoteAddress),
    );
    this.lastArrival = arrival;
    const peer = this.peer;
    scheduler.at(arrival, () => peer.arrive(data, this), { owner: peer.owner, wakes: false });
  }

  /** A segment from the peer arrives (runs as an event of this side's owner). */
  private arrive(data: Uint8Array | undefined, sender: StreamEndpoint): void {
    if (data !== undefined) sender.inFlightBytes -= data.length;
    if (this.state === "reset" || sender.state === "reset") return;
    if (this.state === "closed") {
      // Data for a side that already closed: like TCP, answer with a reset.
      if (data !== undefined) this.resetBothSides("data after close");
      return;
    }
    if (data === undefined) {
      this.endOfStream = true;
    } else {
      this.tracer.trace(this.localAddress, "net.stream.deliver", { connection: this.id, from: this.remoteAddress, bytes: data.length });
      this.buffer.push(data);
      this.bufferedBytes += data.length;
    }
    const waiter = this.readWaiter;
    if (waiter !== undefined) {
      this.readWaiter = undefined;
      this.owner.scheduler.noteWake();
      waiter.resolve(this.bufferedBytes > 0 ? this.takeBuffered() : null);
    }
    sender.pumpWrites();
  }

  private takeBuffered(): Uint8Array {
    let length = 0;
    let count = 0;
    while (count < this.buffer.length && length < STREAM_READ_BYTES_MAX) {
      length += (this.buffer[count] as Uint8Array).length;
      count++;
    }
    const chunks = this.buffer.splice(0, count);
    this.bufferedBytes -= length;
    if (chunks.length === 1) {
      this.peer.pumpWritesLater();
      return chunks[0] as Uint8Array;
    }
    const result = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      result.set(chunk, offset);
      offset += chunk.length;
    }
    this.peer.pumpWritesLater();
    return result;
  }

  /** Sends queued writes that now fit the window (synchronously, inside an event of the owner). */
  private pumpWrites(): void {
    if (this.state === "reset" || (this.state === "closed" && !this.finPending)) return;
    const resolved: Array<() => void> = [];
    while (this.writeWaiters.length > 0) {
      const next = this.writeWaiters[0] as Waiter<void> & { data: Uint8Array };
      if (!this.windowAllows(next.data.length)) break;
      this.writeWaiters.shift();
      this.send(next.data);
      resolved.push(() => next.resolve());
    }
    this.sendFinIfDrained();
    if (resolved.length === 0) return;
    if (this.owner.isDead()) return;
    void this.owner.complete(0, () => {
      for (const resolve of resolved) resolve();
    });
  }

  /** The peer freed window by reading: pump this side's writes as an event of its owner. */
  private pumpWritesLater(): void {
    if (this.writeWaiters.length === 0 || this.owner.isDead()) return;
    void this.owner.complete(0, () => this.pumpWrites());
  }
}
