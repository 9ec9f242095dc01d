/**
 * Deliberately broken schedulers, never used by shipping code: each breaks one
 * promise of src/sim/scheduler.ts, so that the scheduler properties can be shown
 * to catch it. `worldWithScheduler` puts one inside a World.
 */
import {
  Scheduler,
  type EventOwner,
  type RunLimits,
  type RunResult,
  type ScheduledEvent,
  type ScheduleOptions,
} from "../../../src/sim/scheduler.ts";
import { World } from "../../../src/sim/world.ts";
import type { WorldFactory } from "../_support/world-factory.ts";

/** Fires every timer 10% early. */
export class EarlyFiringScheduler extends Scheduler {
  override schedule(delayMs: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    return super.schedule(delayMs * 0.9, callback, options);
  }
}

/** `cancel` reports success but the event still fires. */
export class IgnoringCancelScheduler extends Scheduler {
  override cancel(event: ScheduledEvent): boolean {
    return !event.fired && !event.cancelled;
  }
}

/** Breaks ties between events at the same time by reverse sequence (corrupting the heap order). */
export class TieReversingScheduler extends Scheduler {
  override at(time: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    const event = super.at(time, callback, options);
    event.sequence = -event.sequence;
    return event;
  }
}

/** `run({ untilTime })` runs one millisecond past the limit. */
export class UntilOvershootScheduler extends Scheduler {
  override run(limits: RunLimits = {}): Promise<RunResult> {
    return super.run(limits.untilTime === undefined ? limits : { ...limits, untilTime: limits.untilTime + 1 });
  }
}

/** The runaway guard lets one event too many through. */
export class OffByOneGuardScheduler extends Scheduler {
  override run(limits: RunLimits = {}): Promise<RunResult> {
    return super.run(limits.maxEvents === undefined ? limits : { ...limits, maxEvents: limits.maxEvents + 1 });
  }
}

/** Never consults the stop predicate (a bounded fallback guard keeps it from running forever). */
export class PredicateIgnoringScheduler extends Scheduler {
  override run(limits: RunLimits = {}): Promise<RunResult> {
    const { predicate: _ignored, ...rest } = limits;
    return super.run({ ...rest, maxEvents: rest.maxEvents ?? 100_000 });
  }
}

/**
 * Treats the events of processes (sleeps, timers, completions) as internal, so the loop does
 * not yield to their promise continuations: those run only after some later world event.
 */
export class ProcessEventsNeverYieldScheduler extends Scheduler {
  override at(time: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    return super.at(time, callback, options?.owner === undefined ? options : { ...options, wakes: false });
  }
}

/**
 * Forgets the wakes that internal events note (a segment handed to a waiting reader, a datagram to its handler): the
 * loop runs on past them, so what the reader or the handler awaits resumes only after some later waking event.
 */
export class NotedWakesIgnoredScheduler extends Scheduler {
  override noteWake(): void {}
}

class OwnerView implements EventOwner {
  constructor(
    private readonly inner: EventOwner,
    private readonly seesDeath: boolean,
    private readonly seesPause: boolean,
  ) {}
  isDead(): boolean {
    return this.seesDeath && this.inner.isDead();
  }
  isPaused(): boolean {
    return this.seesPause && this.inner.isPaused();
  }
  park(event: ScheduledEvent): void {
    this.inner.park(event);
  }
}

function withOwnerView(
  options: ScheduleOptions | undefined,
  seesDeath: boolean,
  seesPause: boolean,
): ScheduleOptions | undefined {
  if (options?.owner === undefined) return options;
  return { ...options, owner: new OwnerView(options.owner, seesDeath, seesPause) };
}

/** Runs the events of dead processes (their timers fire, their sleeps resume). */
export class DeadEventsRunScheduler extends Scheduler {
  override at(time: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    return super.at(time, callback, withOwnerView(options, false, true));
  }
}

/** Runs the events of paused hosts as if they were running. */
export class PausedEventsRunScheduler extends Scheduler {
  override at(time: number, callback: () => void, options?: ScheduleOptions): ScheduledEvent {
    return super.at(time, callback, withOwnerView(options, true, false));
  }
}

/** A World whose scheduler is made by `makeScheduler` (hosts take the world's scheduler when added). */
export function worldWithScheduler(makeScheduler: () => Scheduler): WorldFactory {
  class CustomSchedulerWorld extends World {
    override readonly scheduler: Scheduler = makeScheduler();
  }
  return (options) => new CustomSchedulerWorld(options);
}
