/**
 * Leadership observation (hashicorp/raft's LeaderCh and observers): callbacks, and
 * async iterators with a bounded queue (the oldest events are dropped beyond
 * LEADERSHIP_EVENTS_QUEUED_MAX, as a consumer that lags only needs the latest).
 */
import type { RaftRole, ServerId } from "../core/index.ts";
import { LEADERSHIP_EVENTS_QUEUED_MAX } from "./node-options.ts";

/** A change of this server's role or of the leader it knows, reported once it is durable. */
export interface LeadershipEvent {
  /** True when this server became the leader, false when it stopped (or never was). */
  readonly isLeader: boolean;
  readonly role: RaftRole | "shutdown";
  readonly leaderId: ServerId | undefined;
  readonly term: number;
}

/** Delivers leadership events to callbacks and iterators, in order. */
export class LeadershipObservers {
  private readonly callbacks = new Set<(event: LeadershipEvent) => void>();
  private readonly iterators = new Set<{ queue: LeadershipEvent[]; wake: (() => void) | undefined; closed: boolean }>();

  observe(callback: (event: LeadershipEvent) => void): () => void {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }

  /** Events from now on, until `close` (shutdown). */
  iterate(): AsyncIterable<LeadershipEvent> {
    const iterator = { queue: [] as LeadershipEvent[], wake: undefined as (() => void) | undefined, closed: false };
    this.iterators.add(iterator);
    const iterators = this.iterators;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          while (true) {
            const event = iterator.queue.shift();
            if (event !== undefined) {
              yield event;
              continue;
            }
            if (iterator.closed) return;
            await new Promise<void>((resolve) => {
              iterator.wake = resolve;
            });
          }
        } finally {
          iterators.delete(iterator);
        }
      },
    };
  }

  notify(event: LeadershipEvent): void {
    for (const callback of this.callbacks) callback(event);
    for (const iterator of this.iterators) {
      iterator.queue.push(event);
      if (iterator.queue.length > LEADERSHIP_EVENTS_QUEUED_MAX) iterator.queue.shift();
      this.wake(iterator);
    }
  }

  close(): void {
    for (const iterator of this.iterators) {
      iterator.closed = true;
      this.wake(iterator);
    }
  }

  private wake(iterator: { wake: (() => void) | undefined }): void {
    const wake = iterator.wake;
    iterator.wake = undefined;
    wake?.();
  }
}
