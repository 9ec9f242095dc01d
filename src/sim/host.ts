/**
 * Hosts and process incarnations.
 *
 * Faults injected here: crash (the incarnation dies: its timers, pending operations
 * and connections die with it, and its continuations never run again), restart (a
 * new incarnation on the same durable disk), pause/resume (stop the world: the
 * host's events are parked and run at resume, while its clock keeps going), clock
 * skew (a jump of the host's wall clock) and drift (the host's clock runs faster or
 * slower than true virtual time).
 */
import type { ProcessMain } from "./env.ts";
import { completeOwned, type ProcessContext } from "./process-context.ts";
import type { EventOwner, ScheduledEvent, Scheduler } from "./scheduler.ts";

/**
 * Pauses a host clock remembers for its tickers (a ticker takes its ticks far more often than the swarm pauses a host).
 */
export const PAUSES_KEPT_MAX = 64;

/** A timer measured in host-local time: it fires when the host's monotonic clock reaches `deadline`. */
export interface LocalTimer {
  deadline: number;
  event: ScheduledEvent | undefined;
  readonly callback: () => void;
  readonly owner: EventOwner;
  /** Intrusive list of pending timers (O(1) insert and removal, no hashing on the hot path). */
  previous: LocalTimer | undefined;
  next: LocalTimer | undefined;
  linked: boolean;
}

/**
 * The host's clock model: wall = offset + drifted elapsed time; monotonic never jumps.
 * Timers are host-local: a drift change re-plans every pending timer, so a sleep
 * always lasts its duration of host-local monotonic time.
 */
export class HostClock {
  private anchorTrueTime = 0;
  private anchorWall = 0;
  private anchorMonotonic = 0;
  private rate = 1;
  private pending: LocalTimer | undefined;
  /** The host's latest pauses, [from, to) in host-local monotonic time, oldest first (for tickers). */
  private readonly pauses: Array<{ readonly from: number; readonly to: number }> = [];
  private pausedSince: number | undefined;

  constructor(private readonly scheduler: Scheduler) {}

  /** Runs `callback` after `durationMs` of host-local monotonic time, as an event of `owner`. */
  schedule(durationMs: number, callback: () => void, owner: EventOwner): LocalTimer {
    const timer: LocalTimer = {
      deadline: this.monotonic() + durationMs,
      event: undefined,
      callback,
      owner,
      previous: undefined,
      next: undefined,
      linked: false,
    };
    this.plan(timer, durationMs);
    this.link(timer);
    return timer;
  }

  /** Cancels a pending timer. Returns true if it had not fired yet. */
  cancel(timer: LocalTimer): boolean {
    this.unlink(timer);
    return timer.event !== undefined && this.scheduler.cancel(timer.event);
  }

  private plan(timer: LocalTimer, remainingLocalMs: number): void {
    timer.event = this.scheduler.schedule(
      Math.max(0, remainingLocalMs) / this.rate,
      () => {
        this.unlink(timer);
        timer.callback();
      },
      { owner: timer.owner },
    );
  }

  private link(timer: LocalTimer): void {
    timer.next = this.pending;
    if (this.pending !== undefined) this.pending.previous = timer;
    this.pending = timer;
    timer.linked = true;
  }

  private unlink(timer: LocalTimer): void {
    if (!timer.linked) return;
    if (timer.previous !== undefined) timer.previous.next = timer.next;
    else this.pending = timer.next;
    if (timer.next !== undefined) timer.next.previous = timer.previous;
    timer.previous = undefined;
    timer.next = undefined;
    timer.linked = false;
  }

  /** Forgets timers of dead owners (called when an incarnation dies). */
  dropTimersOf(owner: EventOwner): void {
    for (let timer = this.pending; timer !== undefined; ) {
      const next = timer.next;
      if (timer.owner === owner) this.unlink(timer);
      timer = next;
    }
  }

  /** Host-local wall time. */
  wall(): number {
    return this.anchorWall + (this.scheduler.now - this.anchorTrueTime) * this.rate;
  }

  /** Host-local monotonic time. */
  monotonic(): number {
    return this.anchorMonotonic + (this.scheduler.now - this.anchorTrueTime) * this.rate;
  }

  /** True virtual duration of `localMs` of host time. */
  toTrueDuration(localMs: number): number {
    return localMs / this.rate;
  }

  /** Jumps the wall clock by `offsetMs` (may be negative). Monotonic time does not jump. */
  skew(offsetMs: number): void {
    this.reanchor();
    this.anchorWall += offsetMs;
  }

  /** Sets the drift: the host clock runs at (1 + drift) times true speed. |drift| < 0.5. */
  setDrift(drift: number): void {
    if (!(Math.abs(drift) < 0.5)) throw new RangeError(`drift must be in (-0.5, 0.5), got ${drift}`);
    this.reanchor();
    this.rate = 1 + drift;
    for (let timer = this.pending; timer !== undefined; timer = timer.next) {
      if (timer.event === undefined || !this.scheduler.cancel(timer.event)) continue;
      this.plan(timer, timer.deadline - this.monotonic());
    }
  }

  get drift(): number {
    return this.rate - 1;
  }

  /** The host was paused now (for tickers: see resumeAfterPauseAt). */
  notePause(): void {
    this.pausedSince = this.monotonic();
  }

  /** The host resumed now. */
  noteResume(): void {
    if (this.pausedSince === undefined) return;
    this.pauses.push({ from: this.pausedSince, to: this.monotonic() });
    this.pausedSince = undefined;
    if (this.pauses.length > PAUSES_KEPT_MAX) this.pauses.shift();
  }

  /**
   * When the host resumed from a pause that held host-local monotonic time `at`
   * (from <= at < to), if one did; the resume time of an ongoing pause is
   * +Infinity. Only the latest PAUSES_KEPT_MAX pauses are remembered.
   */
  resumeAfterPauseAt(at: number): number | undefined {
    if (this.pausedSince !== undefined && this.pausedSince <= at) return Number.POSITIVE_INFINITY;
    for (let index = this.pauses.length - 1; index >= 0; index--) {
      const pause = this.pauses[index] as { readonly from: number; readonly to: number };
      if (pause.to <= at) return undefined;
      if (pause.from <= at) return pause.to;
    }
    return undefined;
  }

  private reanchor(): void {
    this.anchorWall = this.wall();
    this.anchorMonotonic = this.monotonic();
    this.anchorTrueTime = this.scheduler.now;
  }
}

/** One run of a process on a host, from start to crash or stop. */
export class Incarnation implements ProcessContext {
  private dead = false;
  private readonly cleanups: (() => void)[] = [];
  readonly abortController = new AbortController();

  constructor(
    readonly hostRef: Host,
    readonly incarnation: number,
  ) {}

  get host(): string {
    return this.hostRef.name;
  }
  get scheduler(): Scheduler {
    return this.hostRef.scheduler;
  }
  get alive(): boolean {
    return !this.dead;
  }
  isDead(): boolean {
    return this.dead;
  }
  isPaused(): boolean {
    return this.hostRef.paused;
  }
  park(event: ScheduledEvent): void {
    this.hostRef.parkEvent(event);
  }
  complete<T>(delayMs: number, operation: () => T): Promise<T> {
    return completeOwned(this, delayMs, operation);
  }
  onDeath(cleanup: () => void): void {
    if (this.dead) {
      cleanup();
      return;
    }
    this.cleanups.push(cleanup);
  }

  /** Kills this incarnation: cleanups run in reverse registration order. */
  kill(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    for (let i = this.cleanups.length - 1; i >= 0; i--) (this.cleanups[i] as () => void)();
    this.cleanups.length = 0;
    this.abortController.abort(new Error(`process died: ${reason}`));
  }
}

export type HostState = "down" | "running" | "paused";

export interface HostHooks {
  /** Starts `main` in a new incarnation (builds its Env and runs it). */
  launch(host: Host, incarnation: Incarnation): void;
  /** Called after an incarnation died (the world resets disks, connections, listeners). */
  died(host: Host, incarnation: Incarnation, reason: "crash" | "stop"): void;
  trace(host: Host, kind: string, fields?: Record<string, unknown>): void;
}

export class Host {
  readonly clock: HostClock;
  private current: Incarnation | undefined;
  private incarnationCount = 0;
  private pausedFlag = false;
  private parked: ScheduledEvent[] = [];
  main: ProcessMain | undefined;

  constructor(
    readonly name: string,
    readonly scheduler: Scheduler,
    private readonly hooks: HostHooks,
  ) {
    this.clock = new HostClock(scheduler);
  }

  get state(): HostState {
    if (this.current === undefined) return "down";
    return this.pausedFlag ? "paused" : "running";
  }
  get paused(): boolean {
    return this.pausedFlag;
  }
  /** The live incarnation, if the host is up. */
  get incarnation(): Incarnation | undefined {
    return this.current;
  }
  get incarnations(): number {
    return this.incarnationCount;
  }

  /** Starts the host's process (first start or restart). No-op when it is already up. */
  start(main?: ProcessMain): void {
    if (main !== undefined) this.main = main;
    if (this.current !== undefined) return;
    if (this.main === undefined) throw new Error(`host ${this.name}: no process to start`);
    const incarnation = new Incarnation(this, ++this.incarnationCount);
    this.current = incarnation;
    this.hooks.trace(this, "process.start", { incarnation: incarnation.incarnation });
    this.hooks.launch(this, incarnation);
  }

  /** Crashes the process: memory, timers, pending operations and connections die. */
  crash(): void {
    this.kill("crash");
  }

  /** Stops the process cleanly (same effect on the process as a crash; the disk is not reset by the world). */
  stop(): void {
    this.kill("stop");
  }

  restart(): void {
    this.kill("crash");
    this.start();
  }

  pause(): void {
    if (this.current === undefined || this.pausedFlag) return;
    this.pausedFlag = true;
    this.clock.notePause();
    this.hooks.trace(this, "process.pause");
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.clock.noteResume();
    this.hooks.trace(this, "process.resume", { parked: this.parked.length });
    const parked = this.parked;
    this.parked = [];
    for (const event of parked) this.scheduler.requeue(event);
  }

  /** Holds an event of this host until resume. */
  parkEvent(event: ScheduledEvent): void {
    this.parked.push(event);
  }

  private kill(reason: "crash" | "stop"): void {
    const incarnation = this.current;
    if (incarnation === undefined) return;
    this.current = undefined;
    if (this.pausedFlag) this.clock.noteResume();
    this.pausedFlag = false;
    this.parked = [];
    this.hooks.trace(this, `process.${reason}`, { incarnation: incarnation.incarnation });
    incarnation.kill(reason);
    this.clock.dropTimersOf(incarnation);
    this.hooks.died(this, incarnation, reason);
  }
}
