/**
 * The leader's operations waiting for their entry to be applied (hashicorp/raft's
 * futures): apply, barrier and configuration changes, by log index, and the
 * bounded window of them that `apply` waits for room in (ErrEnqueueTimeout): at
 * most `capacity` operations are pending or admitted at any time.
 *
 * An operation resolves when its entry is applied with the term it was appended
 * in. When this server stops leading, every pending operation fails with
 * ErrLeadershipLost: its entry may still be committed by a later leader and
 * applied (the outcome is unknown), and that is not papered over.
 */
import type { Clock, Timer } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import type { LogEntry } from "../core/index.ts";
import { ErrEnqueueTimeout, ErrLeadershipLost, type RaftError } from "../errors.ts";
import { ENQUEUE_WAITERS_MAX } from "./node-options.ts";

/** What an applied operation resolves with: where its entry landed and the FSM's response (commands only). */
export interface ApplyResult {
  readonly index: number;
  readonly term: number;
  readonly response: unknown;
}

interface Pending {
  readonly index: number;
  readonly term: number;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (error: RaftError) => void;
}

interface Waiter {
  readonly wake: (admitted: boolean) => void;
  timer: Timer | undefined;
}

/** The window of operations waiting for their entries; every operation settles once (applied, or failed). */
export class PendingOperations {
  private readonly byIndex = new Map<number, Pending>();
  private readonly waiters: Waiter[] = [];
  /** Slots taken by `admit` and not yet turned into operations by `add` (or given back by `release`). */
  private reserved = 0;

  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.byIndex.size;
  }

  /**
   * Takes a slot in the window: at once if there is room (synchronously, so callers
   * in the same turn cannot overfill it), else after waiting at most `timeoutMs`
   * (ErrEnqueueTimeout). The slot is then used by `add` or given back by `release`.
   */
  async admit(timeoutMs: number): Promise<void> {
    if (this.occupied() < this.capacity && this.waiters.length === 0) {
      this.reserved++;
      return;
    }
    if (timeoutMs <= 0 || this.waiters.length >= ENQUEUE_WAITERS_MAX) throw new ErrEnqueueTimeout(timeoutMs);
    const admitted = await new Promise<boolean>((resolve) => {
      const waiter: Waiter = { wake: resolve, timer: undefined };
      waiter.timer = this.clock.setTimer(timeoutMs, () => {
        const position = this.waiters.indexOf(waiter);
        if (position >= 0) this.waiters.splice(position, 1);
        resolve(false);
      });
      this.waiters.push(waiter);
    });
    if (!admitted) throw new ErrEnqueueTimeout(timeoutMs);
  }

  /** Gives back a slot taken by `admit` that will not be used. */
  release(): void {
    assert(this.reserved > 0, "release without a reserved slot");
    this.reserved--;
    this.wakeWaiters();
  }

  /** Registers the operation whose entry was appended at (index, term), in a slot taken by `admit`. */
  add(index: number, term: number): Promise<ApplyResult> {
    assert(!this.byIndex.has(index), `two operations wait for index ${index}`);
    assert(this.reserved > 0, "add without a slot taken by admit");
    this.reserved--;
    return new Promise<ApplyResult>((resolve, reject) => {
      this.byIndex.set(index, { index, term, resolve, reject });
    });
  }

  /**
   * The entry at `entry.index` was applied: its operation resolves, or fails if another term's entry took its place.
   */
  applied(entry: LogEntry, response: unknown): void {
    const pending = this.byIndex.get(entry.index);
    if (pending === undefined) return;
    this.byIndex.delete(entry.index);
    if (pending.term === entry.term) pending.resolve({ index: entry.index, term: entry.term, response });
    else pending.reject(new ErrLeadershipLost(pending.index, pending.term));
    this.wakeWaiters();
  }

  /**
   * Fails every pending operation whose term `affected` selects, with the error
   * `errorFor` makes; returns how many failed. (Operations of a later leadership of
   * this server are not affected by the loss of an earlier one.)
   */
  failAll(errorFor: (index: number, term: number) => RaftError, affected: (term: number) => boolean): number {
    const failing = [...this.byIndex.values()].filter((operation) => affected(operation.term));
    for (const operation of failing) {
      this.byIndex.delete(operation.index);
      operation.reject(errorFor(operation.index, operation.term));
    }
    this.wakeWaiters();
    return failing.length;
  }

  /** Wakes every waiter with `admitted` false (shutdown). */
  refuseWaiters(): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.timer?.cancel();
      waiter.wake(false);
    }
  }

  private occupied(): number {
    return this.byIndex.size + this.reserved;
  }

  /** Hands free slots to waiters, oldest first (each woken waiter holds its slot). */
  private wakeWaiters(): void {
    while (this.occupied() < this.capacity && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.timer?.cancel();
      this.reserved++;
      waiter.wake(true);
    }
  }
}
