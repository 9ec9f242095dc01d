/**
 * A promise-based condition variable: the TypeScript stand-in for Go's sync.Cond.
 * There is no mutex to release, since JavaScript runs one continuation at a time;
 * a waiter re-checks its condition after every wake-up, as with a Cond.
 */
export class Broadcast {
  #waiters: (() => void)[] = [];

  /** Resolves at the next `notifyAll()`. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /** Wakes every current waiter (Cond.Broadcast). */
  notifyAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
