/**
 * Ordered byte-stream connections (TCP-like) between two process incarnations.
 *
 * Faults injected here: a connection resets when a partition cuts its link (either
 * direction), when either side crashes, or when a side resets it. Bytes arrive in
 * the order written, each segment after a latency draw (held back by a clogged
 * link); after a reset nothing more arrives and unread bytes are discarded. So a
 * reader always sees an exact prefix of what was written, then either the rest and
 * end-of-stream, or a reset: never a gap, a duplicate or a reorder. The ordering,
 * window and lifecycle are the Endpoint's (endpoint.ts); this file reads bytes.
 */
import type { Connection } from "../env.ts";
import { Endpoint, type Waiter } from "./endpoint.ts";

export { STREAM_WINDOW_BYTES, type StreamTracer } from "./endpoint.ts";

/** The most bytes one `read()` returns. */
export const STREAM_READ_BYTES_MAX = 64 * 1024;

export class StreamEndpoint extends Endpoint<Uint8Array> implements Connection {
  private readonly buffer: Uint8Array[] = [];
  private bufferedBytes = 0;
  private endOfStream = false;
  private readWaiter: Waiter<Uint8Array | null> | undefined;
  /**
   * How a segment is named in the trace (send and delivery records); the RPC layer names the frame each one carries.
   */
  label: ((segment: Uint8Array) => Readonly<Record<string, unknown>>) | undefined = undefined;

  read(): Promise<Uint8Array | null> {
    const unusable = this.unusable("read");
    if (unusable !== undefined) return Promise.reject(unusable);
    if (this.readWaiter !== undefined) throw new Error(`connection ${this.id}: concurrent read`);
    if (this.bufferedBytes > 0) return Promise.resolve(this.takeBuffered());
    if (this.endOfStream) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.readWaiter = { resolve, reject };
    });
  }

  write(data: Uint8Array): Promise<void> {
    // The caller may change its buffer once write returns: the segment is a copy.
    return this.writeOwned(data.slice());
  }

  /**
   * Writes bytes that nobody changes afterwards (a frame the simulator's RPC layer
   * just encoded), without copying them: the kernel's own writers only.
   */
  writeOwned(data: Uint8Array): Promise<void> {
    // An empty write sends nothing: an empty segment would read as end-of-stream.
    if (data.length === 0 && this.unusable("write") === undefined) return Promise.resolve();
    return this.enqueue(data, data.length) ?? Promise.resolve();
  }

  protected unreadBytes(): number {
    return this.bufferedBytes;
  }

  protected traceSend(data: Uint8Array): number {
    const fields = { connection: this.id, to: this.remoteAddress, bytes: data.length };
    this.tracer.trace(
      this.localAddress,
      "net.stream.send",
      this.label === undefined ? fields : { ...fields, ...this.label(data) },
    );
    return 0;
  }

  protected traceLoss(): void {
    throw new Error("byte streams never send unordered segments");
  }

  protected receive(data: Uint8Array): void {
    const fields = { connection: this.id, from: this.remoteAddress, bytes: data.length };
    const label = (this.peer as StreamEndpoint).label;
    this.tracer.trace(
      this.localAddress,
      "net.stream.deliver",
      label === undefined ? fields : { ...fields, ...label(data) },
    );
    this.buffer.push(data);
    this.bufferedBytes += data.length;
    this.wakeReader();
  }

  protected receiveEnd(): void {
    this.endOfStream = true;
    this.wakeReader();
  }

  protected discardUnread(): void {
    this.buffer.length = 0;
    this.bufferedBytes = 0;
  }

  protected takeReadWaiter(): Waiter<Uint8Array | null> | undefined {
    const waiter = this.readWaiter;
    this.readWaiter = undefined;
    return waiter;
  }

  private wakeReader(): void {
    const waiter = this.takeReadWaiter();
    if (waiter === undefined) return;
    this.owner.scheduler.noteWake();
    waiter.resolve(this.bufferedBytes > 0 ? this.takeBuffered() : null);
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
      this.windowFreed();
      return chunks[0] as Uint8Array;
    }
    const result = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      result.set(chunk, offset);
      offset += chunk.length;
    }
    this.windowFreed();
    return result;
  }
}
