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

/** How a message is named in the trace: adds its fields to a send, delivery or drop record's `fields`. */
export type MessageLabel<M> = (message: M, fields: Record<string, unknown>) => void;

export class MessageEndpoint<M> extends Endpoint<M> {
  private receiver: MessageReceiver<M> | undefined;
  private readonly unread: Array<{ message: M; size: number; seq: number }> = [];
  private unreadSize = 0;
  private endArrived = false;
  private endReported = false;
  /**
   * Messages sent by this side so far; each is traced with its number (`seq`), which travels with it (and its
   * duplicate) to the delivery record, so sends and deliveries pair up however they arrive.
   */
  private sent = 0;
  label: MessageLabel<M> = () => {};

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
    return this.sendUnordered(message, size, copy);
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
    for (const { message, size, seq } of unread) this.deliver(message, size, seq);
    if (unread.length > 0) this.windowFreed();
    if (this.endArrived) this.report(undefined);
  }

  protected unreadBytes(): number {
    return this.unreadSize;
  }

  protected traceSend(message: M, size: number): number {
    const seq = ++this.sent;
    const fields: Record<string, unknown> = { connection: this.id, to: this.remoteAddress, seq, bytes: size };
    this.label(message, fields);
    this.tracer.trace(this.localAddress, "net.message.send", fields);
    return seq;
  }

  protected traceLoss(message: M, size: number, seq: number): void {
    const fields: Record<string, unknown> = { connection: this.id, to: this.remoteAddress, seq, bytes: size };
    this.label(message, fields);
    this.tracer.trace(this.localAddress, "net.message.drop", fields);
  }

  protected receive(message: M, size: number, seq: number): void {
    if (this.receiver === undefined) {
      this.unread.push({ message, size, seq });
      this.unreadSize += size;
      return;
    }
    this.owner.scheduler.noteWake();
    this.deliver(message, size, seq);
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

  private deliver(message: M, size: number, seq: number): void {
    const fields: Record<string, unknown> = { connection: this.id, from: this.remoteAddress, seq, bytes: size };
    this.label(message, fields);
    this.tracer.trace(this.localAddress, "net.message.deliver", fields);
    (this.receiver as MessageReceiver<M>).message(message);
  }

  private report(error: NetError | undefined): void {
    if (this.endReported) return;
    this.endReported = true;
    (this.receiver as MessageReceiver<M>).ended(error);
  }
}
