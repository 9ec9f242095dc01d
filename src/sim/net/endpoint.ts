/**
 * One side of a connection between two process incarnations: what byte streams
 * (stream.ts) and message channels (message-channel.ts) share.
 *
 * Contract: segments (a chunk of bytes, or one message) arrive at the peer in the
 * order written, each after a latency draw and held back by a clogged link; after
 * a reset nothing more arrives and what was not yet taken by the reader is
 * discarded. A side may have `STREAM_WINDOW_BYTES` in flight plus unread at the
 * peer before a write waits. `close()` sends end-of-stream after the writes still
 * waiting; data that reaches a side that already closed resets both (as TCP does).
 *
 * Faults: a reset (a partition cutting the link, a crash of either side, an
 * abortive close) fails the waiters of both sides, each as an event of its owner.
 * Segments sent unordered (`sendUnordered`, for messages a system declared it
 * takes as datagrams) ride the link like datagrams instead: the link's quality may
 * lose one, deliver it twice or delay it past later ones; they are not paced by
 * the window, and a reset drops those in flight.
 */
import { NetError } from "../env.ts";
import type { Incarnation } from "../host.ts";
import type { Links } from "./links.ts";
import type { ScheduleOptions } from "../scheduler.ts";

/** Bytes a side may have in flight plus unread at the peer before a write waits. */
export const STREAM_WINDOW_BYTES = 256 * 1024;

export interface StreamTracer {
  trace(host: string, kind: string, fields: Record<string, unknown>): void;
}

type EndpointState = "open" | "closed" | "reset";

/** What the network sees of any endpoint, whatever it carries. */
export interface ConnectionSide {
  readonly id: number;
  readonly owner: Incarnation;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly isReset: boolean;
  resetBothSides(reason: string): void;
}

export interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

interface WriteWaiter<S> extends Waiter<void> {
  readonly segment: S;
  readonly size: number;
}

/** The state, ordering, window and lifecycle of one side; subclasses say how a segment is read. */
export abstract class Endpoint<S> implements ConnectionSide {
  peer!: Endpoint<S>;
  private state: EndpointState = "open";
  private readonly writeWaiters: WriteWaiter<S>[] = [];
  /** Bytes sent by this side that have not arrived at the peer yet. */
  private inFlightBytes = 0;
  /**
   * Arrival time of this side's last segment: later segments never arrive earlier
   * (unordered ones included, unless the reordering fault delayed them).
   */
  private lastArrival = 0;
  private resetReason = "";
  /** Closed locally with writes still queued: end-of-stream goes out after them. */
  private finPending = false;
  /** How this side's segments are scheduled at the peer (its owner's internal events), made once. */
  private arrivalOptions: ScheduleOptions | undefined;

  constructor(
    readonly id: number,
    readonly owner: Incarnation,
    readonly localAddress: string,
    readonly remoteAddress: string,
    private readonly links: Links,
    protected readonly tracer: StreamTracer,
    private readonly onFinished: (endpoint: ConnectionSide) => void,
  ) {}

  get closed(): boolean {
    return this.state !== "open";
  }

  get isReset(): boolean {
    return this.state === "reset";
  }

  /** Bytes that arrived here and the reader has not taken yet. */
  protected abstract unreadBytes(): number;
  /** A segment arrived (inside the arrival event): hand it to the reader; `tag` is what `traceSend` returned for it. */
  protected abstract receive(segment: S, size: number, tag: number): void;
  /** End-of-stream arrived (inside the arrival event). */
  protected abstract receiveEnd(): void;
  /** Forget unread segments (a reset). */
  protected abstract discardUnread(): void;
  /** Takes the reader's waiter, if one waits, to fail it (a close or a reset). */
  protected abstract takeReadWaiter(): { reject: (error: unknown) => void } | undefined;
  /** Records the sending of a segment in the trace; returns a tag that travels with the segment (and its copies). */
  protected abstract traceSend(segment: S, size: number): number;
  /** Records the loss of an unordered segment on the link. */
  protected abstract traceLoss(segment: S, size: number, tag: number): void;

  /** Queues a segment: sent at once (undefined) when the window allows, else a promise that resolves once sent. */
  protected enqueue(segment: S, size: number): Promise<void> | undefined {
    if (this.state === "reset") return Promise.reject(this.resetError());
    if (this.state === "closed")
      return Promise.reject(new NetError("ECLOSED", `write on closed connection ${this.id}`));
    if (this.writeWaiters.length === 0 && this.windowAllows(size)) {
      this.transmit(segment, size);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this.writeWaiters.push({ resolve, reject, segment, size });
    });
  }

  /**
   * Sends a segment unordered (see the file's comment): lost, duplicated (the
   * second copy made by `duplicate`) or delayed as the link's quality draws.
   * Returns false when this side cannot send any more.
   */
  protected sendUnordered(segment: S, size: number, duplicate: (segment: S) => S): boolean {
    if (this.state !== "open") return false;
    const tag = this.traceSend(segment, size);
    const quality = this.links.qualityOf(this.localAddress, this.remoteAddress);
    const random = this.links.randomStream;
    if (random.bool(quality.lossProbability)) {
      this.traceLoss(segment, size, tag);
      return true;
    }
    const copies = random.bool(quality.duplicateProbability) ? 2 : 1;
    const scheduler = this.owner.scheduler;
    const peer = this.peer;
    for (let copy = 0; copy < copies; copy++) {
      let arrival = Math.max(
        scheduler.now + this.links.latency(this.localAddress, this.remoteAddress),
        this.links.clogEnd(this.localAddress, this.remoteAddress),
      );
      if (random.bool(quality.reorderProbability)) {
        arrival += random.float(0, quality.reorderDelayMsMax);
      } else {
        // Without the reordering fault a link is FIFO, as for datagrams: jitter never lets one overtake.
        arrival = Math.max(arrival, this.lastArrival);
        this.lastArrival = arrival;
      }
      const delivered = copy === 0 ? segment : duplicate(segment);
      scheduler.at(arrival, () => peer.arriveUnordered(delivered, size, this, tag), this.peerArrival());
    }
    return true;
  }

  /** The error a read or write of this side gets, if it cannot read or write any more. */
  protected unusable(operation: string): NetError | undefined {
    if (this.state === "reset") return this.resetError();
    if (this.state === "closed") return new NetError("ECLOSED", `${operation} on closed connection ${this.id}`);
    return undefined;
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
    this.deliverToPeer(undefined, 0, 0);
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
    this.discardUnread();
    this.failWaiters(this.resetError());
    this.onFinished(this);
  }

  protected resetError(): NetError {
    return new NetError(
      "ECONNRESET",
      `connection ${this.id} ${this.localAddress}->${this.remoteAddress}: ${this.resetReason}`,
    );
  }

  private failWaiters(error: NetError, includeWrites = true): void {
    const readWaiter = this.takeReadWaiter();
    const writeWaiters = includeWrites ? this.writeWaiters.splice(0) : [];
    if (readWaiter === undefined && writeWaiters.length === 0) return;
    if (this.owner.isDead()) return;
    void this.owner.complete(0, () => {
      readWaiter?.reject(error);
      for (const waiter of writeWaiters) waiter.reject(error);
    });
  }

  private windowAllows(length: number): boolean {
    const pending = this.inFlightBytes + this.peer.unreadBytes();
    return pending === 0 || pending + length <= STREAM_WINDOW_BYTES;
  }

  private transmit(segment: S, size: number): void {
    this.inFlightBytes += size;
    this.deliverToPeer(segment, size, this.traceSend(segment, size));
  }

  /** Schedules a segment (or, with undefined, end-of-stream) to arrive at the peer in order. */
  private deliverToPeer(segment: S | undefined, size: number, tag: number): void {
    const scheduler = this.owner.scheduler;
    const arrival = Math.max(
      scheduler.now + this.links.latency(this.localAddress, this.remoteAddress),
      this.lastArrival,
      this.links.clogEnd(this.localAddress, this.remoteAddress),
    );
    this.lastArrival = arrival;
    const peer = this.peer;
    scheduler.at(arrival, () => peer.arrive(segment, size, this, tag), this.peerArrival());
  }

  /** Arrivals at the peer are events of the peer's owner that wake nothing by themselves (a reader notes its wake). */
  private peerArrival(): ScheduleOptions {
    return (this.arrivalOptions ??= { owner: this.peer.owner, wakes: false });
  }

  /** A segment from the peer arrives (runs as an event of this side's owner). */
  private arrive(segment: S | undefined, size: number, sender: Endpoint<S>, tag: number): void {
    sender.inFlightBytes -= size;
    if (this.state === "reset" || sender.state === "reset") return;
    if (this.state === "closed") {
      // Data for a side that already closed: like TCP, answer with a reset.
      if (segment !== undefined) this.resetBothSides("data after close");
      return;
    }
    if (segment === undefined) this.receiveEnd();
    else this.receive(segment, size, tag);
    sender.pumpWrites();
  }

  /**
   * An unordered segment arrives (an event of this side's owner): delivered unless either side is reset or this one
   * closed.
   */
  private arriveUnordered(segment: S, size: number, sender: Endpoint<S>, tag: number): void {
    if (this.state !== "open" || sender.state === "reset") return;
    this.receive(segment, size, tag);
  }

  /** Sends queued writes that now fit the window (synchronously, inside an event of the owner). */
  private pumpWrites(): void {
    if (this.state === "reset" || (this.state === "closed" && !this.finPending)) return;
    const resolved: Array<() => void> = [];
    while (this.writeWaiters.length > 0) {
      const next = this.writeWaiters[0] as WriteWaiter<S>;
      if (!this.windowAllows(next.size)) break;
      this.writeWaiters.shift();
      this.transmit(next.segment, next.size);
      resolved.push(() => next.resolve());
    }
    this.sendFinIfDrained();
    if (resolved.length === 0) return;
    if (this.owner.isDead()) return;
    void this.owner.complete(0, () => {
      for (const resolve of resolved) resolve();
    });
  }

  /** The reader freed window at this side: pump the peer's writes as an event of the peer's owner. */
  protected windowFreed(): void {
    const peer = this.peer;
    if (peer.writeWaiters.length === 0 || peer.owner.isDead()) return;
    void peer.owner.complete(0, () => peer.pumpWrites());
  }
}
