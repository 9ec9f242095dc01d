/**
 * The scheduler: virtual time and the single event queue of a run.
 *
 * Events are ordered by (virtual time, sequence number); the sequence number is
 * assigned when the event is scheduled, so two events at the same time run in
 * the order they were scheduled. Nothing here reads real time.
 *
 * Promise continuations: after an event that may wake async code (a resolved
 * promise, a user callback), the loop lets the microtask queue drain before the
 * next event, so every continuation that event enabled runs before virtual time
 * moves on, and async code observes the virtual time of the event that woke it.
 * The drain: the step queues a microtask that queues the next step with
 * `process.nextTick`. Node runs the V8 microtask queue to empty before it takes a
 * tick queued from inside it (processTicksAndRejections), so the next step runs
 * exactly when no continuation is left, however deep the chains, without paying a
 * trip through the event loop (a fifth of a `setImmediate`). Every
 * `MACROTASK_YIELD_STEPS` steps, and at the end of every `run`, the loop yields to
 * the event loop instead, so I/O of the process around the run (worker messages,
 * a progress bar) is not starved and Node reports unhandled rejections inside the
 * run; both points are counted in steps, never timed. Internal events that cannot
 * wake anything (a packet arriving in a buffer nobody waits on) skip the drain.
 *
 * The determinism guard (ambient-guard.ts): a scheduler given an `ambientSink`
 * installs it for each `run` and marks every step, and the continuations drained
 * after it, as host code; an ambient call made there is refused and reported to the
 * sink. The loop's own yields use the timer functions as they were when this module
 * loaded.
 *
 * Owners: an event may belong to a process incarnation. When the owner is dead
 * the event is dropped (a dead process never runs again); when its host is paused
 * the event is parked and re-queued at resume, in order.
 */

import { enterHostCode, installAmbientGuard, leaveHostCode, type AmbientCallSink } from "./ambient-guard.ts";

/** The event loop's own yield, as it was before any guard was installed. */
const realSetImmediate = setImmediate;

export interface EventOwner {
  /** True once the incarnation has died: its events are dropped. */
  isDead(): boolean;
  /** True while the host is paused: its events are parked until resume. */
  isPaused(): boolean;
  /** Takes a parked event; the owner re-queues it with `Scheduler.requeue` on resume. */
  park(event: ScheduledEvent): void;
}

export interface ScheduleOptions {
  owner?: EventOwner;
  /**
   * Whether running the callback may enable promise continuations (default true).
   * Pass false only for internal events that resolve no promise and call no user code.
   */
  wakes?: boolean;
}

export class ScheduledEvent {
  cancelled = false;
  fired = false;
  constructor(
    public time: number,
    public sequence: number,
    readonly callback: () => void,
    readonly owner: EventOwner | undefined,
    readonly wakes: boolean,
  ) {}
}

export type StopReason = "until" | "predicate" | "quiescent" | "max-events" | "max-time" | "stopped";

export interface RunLimits {
  /** Stop before the first event later than this virtual time (time is set to it). */
  untilTime?: number;
  /** Checked after every yield: stop when it returns true. */
  predicate?: () => boolean;
  /** Runaway guard: the maximum number of events for this call. */
  maxEvents?: number;
  /** Runaway guard: the maximum virtual time. */
  maxTime?: number;
}

export interface RunResult {
  reason: StopReason;
  events: number;
  time: number;
}

/** Default runaway guards. */
export const DEFAULT_MAX_EVENTS = 50_000_000;
/** Steps between two yields to the event loop (the others drain microtasks only). */
export const MACROTASK_YIELD_STEPS = 4096;

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private nextSequence = 0;
  private currentTime = 0;
  private executed = 0;
  private stopRequested = false;
  private running = false;
  private wokeDuringEvent = false;
  /** Where ambient calls of host code are reported; undefined: no guard (World sets it unless told not to). */
  ambientSink: AmbientCallSink | undefined;

  /** Virtual time in milliseconds since the start of the run. */
  get now(): number {
    return this.currentTime;
  }

  /** Events executed so far (dropped and cancelled ones not counted). */
  get eventCount(): number {
    return this.executed;
  }

  /** Events still queued, cancelled ones included until they reach the top. */
  get pendingCount(): number {
    return this.heap.length;
  }

  /** Runs `callback` after `delayMs` of virtual time. */
  schedule(delayMs: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
      throw new RangeError(`schedule: delay must be a finite non-negative number, got ${delayMs}`);
    }
    return this.at(this.currentTime + delayMs, callback, options);
  }

  /** Runs `callback` at virtual time `time` (not before now). */
  at(time: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    if (!(time >= this.currentTime)) throw new RangeError(`at: time ${time} is before now ${this.currentTime}`);
    const event = new ScheduledEvent(time, this.nextSequence++, callback, options?.owner, options?.wakes ?? true);
    this.push(event);
    return event;
  }

  /** Cancels an event. Returns true if it had neither fired nor been cancelled. */
  cancel(event: ScheduledEvent): boolean {
    if (event.fired || event.cancelled) return false;
    event.cancelled = true;
    return true;
  }

  /** Re-queues a parked event at the current time, after everything already queued for now. */
  requeue(event: ScheduledEvent): void {
    if (event.cancelled || event.fired) return;
    event.time = this.currentTime;
    event.sequence = this.nextSequence++;
    this.push(event);
  }

  /**
   * Called by a `wakes: false` event that did resolve a promise or call user code
   * after all: the loop yields after it, like after a waking event.
   */
  noteWake(): void {
    this.wokeDuringEvent = true;
  }

  /** Asks a running loop to stop after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Time of the next live event, or undefined when the queue is empty. */
  peekTime(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.time;
  }

  /**
   * Runs events until a limit is reached or nothing is left.
   * Never reads real time; never waits on anything but the event loop's own queues.
   */
  async run(limits: RunLimits = {}): Promise<RunResult> {
    if (this.running) throw new Error("Scheduler.run is not re-entrant");
    this.running = true;
    this.stopRequested = false;
    const removeGuard = this.ambientSink === undefined ? undefined : installAmbientGuard();
    try {
      await yieldToEventLoop();
      return await new Promise<RunResult>((resolve, reject) => this.loop(limits, resolve, reject));
    } finally {
      removeGuard?.();
      this.running = false;
    }
  }

  /** The step loop of `run`: one step per waking event, each after the continuations of the last drained. */
  private loop(limits: RunLimits, resolve: (result: RunResult) => void, reject: (error: unknown) => void): void {
    const maxEvents = limits.maxEvents ?? DEFAULT_MAX_EVENTS;
    const maxTime = limits.maxTime ?? Number.POSITIVE_INFINITY;
    const startCount = this.executed;
    let stepsSinceYield = 0;
    const sink = this.ambientSink;
    const finish = (reason: StopReason) => {
      leaveHostCode();
      const result = this.result(reason, startCount);
      realSetImmediate(() => resolve(result));
    };
    const step = (): void => {
      enterHostCode(sink);
      try {
        if (this.stopRequested) return finish("stopped");
        if (limits.predicate?.()) return finish("predicate");
        const reason = this.runUntilWake(limits.untilTime, maxTime, startCount + maxEvents);
        if (reason !== undefined) return finish(reason);
      } catch (error) {
        leaveHostCode();
        reject(error);
        return;
      }
      if (++stepsSinceYield >= MACROTASK_YIELD_STEPS) {
        stepsSinceYield = 0;
        leaveHostCode();
        realSetImmediate(step);
      } else {
        // A reaction of a settled promise: the same place in the microtask queue as queueMicrotask, without the
        // AsyncResource and bound function Node's queueMicrotask makes per call.
        void SETTLED.then(queueStep);
      }
    };
    const queueStep = (): void => {
      process.nextTick(step);
    };
    step();
  }

  /** Runs events synchronously until one that wakes async code has run, or a limit. */
  private runUntilWake(untilTime: number | undefined, maxTime: number, eventLimit: number): StopReason | undefined {
    while (true) {
      if (this.stopRequested) return "stopped";
      const event = this.popLive();
      if (event === undefined) {
        if (untilTime !== undefined) {
          this.currentTime = Math.max(this.currentTime, untilTime);
          return "until";
        }
        return "quiescent";
      }
      if (untilTime !== undefined && event.time > untilTime) {
        this.push(event);
        this.currentTime = Math.max(this.currentTime, untilTime);
        return "until";
      }
      if (event.time > maxTime) {
        this.push(event);
        return "max-time";
      }
      if (this.executed >= eventLimit) {
        this.push(event);
        return "max-events";
      }
      this.currentTime = event.time;
      const owner = event.owner;
      if (owner !== undefined) {
        if (owner.isDead()) continue;
        if (owner.isPaused()) {
          owner.park(event);
          continue;
        }
      }
      event.fired = true;
      this.executed++;
      this.wokeDuringEvent = false;
      event.callback();
      if (event.wakes || this.wokeDuringEvent) return undefined;
    }
  }

  private result(reason: StopReason, startCount: number): RunResult {
    return { reason, events: this.executed - startCount, time: this.currentTime };
  }

  private popLive(): ScheduledEvent | undefined {
    this.dropCancelledTop();
    return this.pop();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && (this.heap[0] as ScheduledEvent).cancelled) this.pop();
  }

  // Binary min-heap on (time, sequence).
  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as ScheduledEvent;
      if (!before(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
  }

  private pop(): ScheduledEvent | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0] as ScheduledEvent;
    const last = heap.pop() as ScheduledEvent;
    if (heap.length > 0) {
      let index = 0;
      const length = heap.length;
      while (true) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        let child = left;
        if (right < length && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent)) child = right;
        if (!before(heap[child] as ScheduledEvent, last)) break;
        heap[index] = heap[child] as ScheduledEvent;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.sequence < b.sequence);
}

/** A settled promise whose reactions queue the loop's next step behind every continuation queued before them. */
const SETTLED: Promise<void> = Promise.resolve();

/** Lets every queued promise continuation run (the microtask queue empties before a macrotask). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}
