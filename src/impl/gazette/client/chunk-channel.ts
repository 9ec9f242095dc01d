/**
 * ChunkChannel: a bounded async queue of byte chunks, consumed as an
 * AsyncIterable by a JournalClient's `append`. The Appender pushes into it as it
 * is written; `end()` ends the iteration normally (commit), `fail(error)` makes
 * the iteration throw (rollback). A push waits while `capacity` chunks are queued;
 * once the consumer stops (it finished early or failed) pushes throw
 * ErrChannelClosed.
 */
import { assert } from "../../../sim/assert.ts";

export class ErrChannelClosed extends Error {
  override readonly name = "ErrChannelClosed";
  constructor() {
    super("append stream closed");
  }
}

export const CHUNK_CHANNEL_CAPACITY_DEFAULT = 16;

export class ChunkChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private consumerStopped = false;
  private consumerWaiter: (() => void) | undefined;
  private readonly producerWaiters: Array<() => void> = [];

  constructor(private readonly capacity = CHUNK_CHANNEL_CAPACITY_DEFAULT) {
    assert(capacity > 0, "ChunkChannel capacity must be positive");
  }

  async push(chunk: Uint8Array): Promise<void> {
    assert(!this.ended && this.failure === undefined, "ChunkChannel.push after end or fail");
    while (this.queue.length >= this.capacity && !this.consumerStopped) {
      await new Promise<void>((resolve) => this.producerWaiters.push(resolve));
    }
    if (this.consumerStopped) throw new ErrChannelClosed();
    this.queue.push(chunk);
    this.wakeConsumer();
  }

  end(): void {
    if (this.ended || this.failure !== undefined) return;
    this.ended = true;
    this.wakeConsumer();
  }

  fail(error: unknown): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = { error };
    this.queue.length = 0;
    this.wakeConsumer();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async () => {
        for (;;) {
          if (this.failure !== undefined) {
            this.stopConsumer();
            throw this.failure.error;
          }
          const chunk = this.queue.shift();
          if (chunk !== undefined) {
            this.producerWaiters.shift()?.();
            return { done: false, value: chunk };
          }
          if (this.ended) {
            this.stopConsumer();
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => {
            this.consumerWaiter = resolve;
          });
        }
      },
      return: async () => {
        this.stopConsumer();
        return { done: true, value: undefined };
      },
    };
  }

  private wakeConsumer(): void {
    const waiter = this.consumerWaiter;
    this.consumerWaiter = undefined;
    waiter?.();
  }

  private stopConsumer(): void {
    this.consumerStopped = true;
    for (const waiter of this.producerWaiters.splice(0)) waiter();
  }
}
