/**
 * A FIFO lock for async code: `acquire` resolves with a release function once every
 * earlier holder released. At most `waitersMax` callers wait; one more is refused
 * with LockQueueFull (a limit on every queue).
 */
export class LockQueueFull extends Error {
  override readonly name = "LockQueueFull";
}

export class AsyncLock {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly waitersMax: number) {}

  async acquire(): Promise<() => void> {
    if (this.held) {
      if (this.waiters.length >= this.waitersMax) throw new LockQueueFull(`more than ${this.waitersMax} waiters`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next === undefined) this.held = false;
      else next();
    };
  }

  /** True while someone holds the lock. */
  isHeld(): boolean {
    return this.held;
  }
}
