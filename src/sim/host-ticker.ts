/**
 * The kernel's Ticker (env.ts): ticks of a host-local period counted from the
 * clock and the host's pauses instead of delivered one event each.
 *
 * Contract: `take` returns exactly the callbacks a timer re-armed at each tick
 * would have run by now. Such a chain fires its tick due at t at t while the host
 * runs, and at the resume R when the host was paused at t (P <= t < R: a pause at
 * the same instant comes first, and so does a resume); each next tick is due one
 * interval after the last one fired. A wake-up is one host timer, armed for the
 * tick asked for as the chain stands; a pause that parks it moves it to the resume
 * like any timer, and `take` then counts the chain as it really went.
 *
 * Faults: none injected here; pauses and drift come from the host (host.ts).
 */
import type { Ticker } from "./env.ts";
import type { EventOwner } from "./scheduler.ts";
import type { HostClock, LocalTimer } from "./host.ts";

/**
 * A tick is due when the clock reads this close to its time: a timer armed for it may fire a rounding error short
 * (drift).
 */
const TICK_TIME_TOLERANCE_MS = 1e-6;

export class HostTicker implements Ticker {
  /** Host-local monotonic time at which the next tick of the chain is due (not yet counted). */
  private next: number;
  private wake: { readonly timer: LocalTimer; readonly at: number } | undefined;
  private stopped = false;

  constructor(
    private readonly clock: HostClock,
    private readonly intervalMs: number,
    private readonly owner: EventOwner,
    private readonly onWake: () => void,
  ) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs))
      throw new RangeError(`ticker interval must be positive, got ${intervalMs}`);
    this.next = clock.monotonic() + intervalMs;
  }

  take(): number {
    const now = this.clock.monotonic() + TICK_TIME_TOLERANCE_MS;
    let count = 0;
    while (this.next <= now) {
      const resume = this.clock.resumeAfterPauseAt(this.next);
      if (resume !== undefined && resume > now) break;
      count++;
      this.next = (resume ?? this.next) + this.intervalMs;
    }
    return count;
  }

  wakeBy(ticksAhead: number): void {
    if (this.stopped) return;
    if (!Number.isInteger(ticksAhead) || ticksAhead < 1)
      throw new RangeError(`ticksAhead must be a positive integer, got ${ticksAhead}`);
    const at = this.next + (ticksAhead - 1) * this.intervalMs;
    if (this.wake !== undefined && this.wake.at <= at) return;
    if (this.wake !== undefined) this.clock.cancel(this.wake.timer);
    const timer = this.clock.schedule(
      Math.max(0, at - this.clock.monotonic()),
      () => {
        this.wake = undefined;
        if (!this.stopped) this.onWake();
      },
      this.owner,
    );
    this.wake = { timer, at };
  }

  stop(): void {
    this.stopped = true;
    if (this.wake !== undefined) this.clock.cancel(this.wake.timer);
    this.wake = undefined;
  }
}
