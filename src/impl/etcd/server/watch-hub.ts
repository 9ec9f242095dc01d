/**
 * WatchHub: wakes the watch streams of a member when its store changes (an apply
 * that moved the revision, a compaction, a snapshot restore), and counts them
 * against a limit. Watchers read events from the store's history (a cursor each),
 * so nothing is queued per watcher: a slow watcher only falls behind, and once its
 * cursor is compacted away it is cancelled with ErrCompacted.
 */
import type { Clock } from "../../../sim/env.ts";

export class WatchHub {
  private readonly waiters = new Set<() => void>();
  private count = 0;

  constructor(
    private readonly clock: Clock,
    /** Watch streams open at once at most. */
    readonly watchersMax: number,
  ) {}

  /** Takes a watcher slot; false when all are taken. */
  acquire(): boolean {
    if (this.count >= this.watchersMax) return false;
    this.count++;
    return true;
  }

  release(): void {
    this.count--;
  }

  get watchers(): number {
    return this.count;
  }

  /** The store changed: every waiting watcher looks again. */
  changed(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next change, after `timeoutMs`, or when `signal` aborts, whichever comes first. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        timer.cancel();
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = this.clock.setTimer(timeoutMs, done);
      this.waiters.add(done);
      signal.addEventListener("abort", done);
    });
  }
}
