/**
 * Message channels: connections that carry whole messages (objects) instead of
 * bytes, for the RPC layer's object wire mode. A channel is the same connection as
 * a byte stream (endpoint.ts): dialed and accepted the same way, ordered, paced by
 * the same window, reset by the same partitions and crashes, held by the same
 * clogs and pauses; only a segment is one message, handed to the receiver inside
 * its arrival event instead of being buffered for `read()`. Messages are copied by
 * the sender before they are queued (the channel never shares an object between
 * hosts); their size is the sender's estimate of their encoded size.
 *
 * Faults: those of endpoint.ts. A message sent with `send` is never lost,
 * duplicated or reordered within its channel; one sent with `sendDatagram` (a
 * system said it takes that message as a datagram) may be, as the link's quality
 * draws. After a reset nothing more is delivered.
 */
import type { NetError } from "../env.ts";
import { Endpoint } from "./endpoint.ts";

/** Where a channel's messages go. */
export interface MessageReceiver<M> {
  /** A message arrived (called inside its arrival event, in order). */
  message(message: M): void;
  /** The channel ended: the peer closed it (undefined), or it was reset or closed here (the error). Called once. */
  ended(error: NetError | undefined): void;
}

/** How a message is named in the trace (send and delivery records). */
export type MessageLabel<M> = (message: M) => Record<string, unknown>;

export class MessageEndpoint<M> extends Endpoint<M> {
  private receiver: MessageReceiver<M> | undefined;
  private readonly unread: Array<{ message: M; size: number }> = [];
  private unreadSize = 0;
  private endArrived = false;
  private endReported = false;
  /**
   * Messages sent by this side so far; each is traced with its number (`seq`), so sends and deliveries pair up however
   * they arrive.
   */
  private sent = 0;
  private readonly numbers = new WeakMap<object, number>();
  label: MessageLabel<M> = () => ({});

  /**
   * Queues a message of `size` estimated bytes: undefined when sent at once, else a promise that resolves once sent.
   */
  send(message: M, size: number): Promise<void> | undefined {
    return this.enqueue(message, size);
  }

  /**
   * Sends a message as a datagram on this connection: it may be lost, delivered
   * twice (the second a fresh `copy`) or overtake others, as the link's quality
   * says. False when the channel cannot send any more.
   */
  sendDatagram(message: M, size: number, copy: (message: M) => M): boolean {
    return this.sendUnordered(message, size, (original) => {
      const duplicate = copy(original);
      this.numbers.set(duplicate as object, this.numberOf(original));
      return duplicate;
    });
  }

  /** Starts handing messages to `receiver`: those that arrived already first, then each as it arrives. Call once. */
  listen(receiver: MessageReceiver<M>): void {
    if (this.receiver !== undefined) throw new Error(`channel ${this.id}: listened twice`);
    this.receiver = receiver;
    const unusable = this.unusable("listen");
    if (unusable !== undefined) {
      this.report(unusable);
      return;
    }
    const unread = this.unread.splice(0);
    this.unreadSize = 0;
    for (const { message, size } of unread) this.deliver(message, size);
    if (unread.length > 0) this.windowFreed();
    if (this.endArrived) this.report(undefined);
  }

  protected unreadBytes(): number {
    return this.unreadSize;
  }

  protected traceSend(message: M, size: number): void {
    const seq = ++this.sent;
    this.numbers.set(message as object, seq);
    this.tracer.trace(this.localAddress, "net.message.send", {
      connection: this.id,
      to: this.remoteAddress,
      seq,
      bytes: size,
      ...this.label(message),
    });
  }

  /** The number this side traced `message` with when it sent it. */
  numberOf(message: M): number {
    return this.numbers.get(message as object) ?? 0;
  }

  protected traceLoss(message: M, size: number): void {
    this.tracer.trace(this.localAddress, "net.message.drop", {
      connection: this.id,
      to: this.remoteAddress,
      seq: this.numberOf(message),
      bytes: size,
      ...this.label(message),
    });
  }

  protected receive(message: M, size: number): void {
    if (this.receiver === undefined) {
      this.unread.push({ message, size });
      this.unreadSize += size;
      return;
    }
    this.owner.scheduler.noteWake();
    this.deliver(message, size);
  }

  protected receiveEnd(): void {
    this.endArrived = true;
    if (this.receiver === undefined) return;
    this.owner.scheduler.noteWake();
    this.report(undefined);
  }

  protected discardUnread(): void {
    this.unread.length = 0;
    this.unreadSize = 0;
  }

  protected takeReadWaiter(): { reject: (error: unknown) => void } | undefined {
    if (this.receiver === undefined || this.endReported) return undefined;
    return { reject: (error) => this.report(error as NetError) };
  }

  private deliver(message: M, size: number): void {
    const seq = (this.peer as MessageEndpoint<M>).numberOf(message);
    this.tracer.trace(this.localAddress, "net.message.deliver", {
      connection: this.id,
      from: this.remoteAddress,
      seq,
      bytes: size,
      ...this.label(message),
    });
    (this.receiver as MessageReceiver<M>).message(message);
  }

  private report(error: NetError | undefined): void {
    if (this.endReported) return;
    this.endReported = true;
    (this.receiver as MessageReceiver<M>).ended(error);
  }
}
