/**
 * The view a simulated component (disk, network, clock) has of the process it serves.
 *
 * Every promise the Env hands to a process settles through `complete`, as an event
 * owned by that process incarnation: if the process dies first, the promise never
 * settles and the code awaiting it never resumes. If its host is paused, the
 * completion waits for the resume.
 */
import type { EventOwner, ScheduledEvent, Scheduler } from "./scheduler.ts";

export interface ProcessContext extends EventOwner {
  readonly host: string;
  readonly incarnation: number;
  readonly scheduler: Scheduler;
  /** True while this incarnation runs (not crashed, not stopped). */
  readonly alive: boolean;
  /**
   * Runs `operation` after `delayMs` of virtual time as an event owned by this process,
   * and settles the returned promise with its result (or its thrown error).
   * Never settles if the process dies before then.
   */
  complete<T>(delayMs: number, operation: () => T): Promise<T>;
  /** Registers cleanup to run when this incarnation dies (close connections, etc.). */
  onDeath(cleanup: () => void): void;
}

/** A ProcessContext for tests of single components: never dies unless told to. */
export class StandaloneContext implements ProcessContext {
  alive = true;
  paused = false;
  private readonly parked: ScheduledEvent[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly scheduler: Scheduler,
    readonly host = "test",
    readonly incarnation = 1,
  ) {}

  isDead(): boolean {
    return !this.alive;
  }
  isPaused(): boolean {
    return this.paused;
  }
  park(event: ScheduledEvent): void {
    this.parked.push(event);
  }
  resume(): void {
    this.paused = false;
    for (const event of this.parked.splice(0)) this.scheduler.requeue(event);
  }
  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
  complete<T>(delayMs: number, operation: () => T): Promise<T> {
    return completeOwned(this, delayMs, operation);
  }
  onDeath(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }
}

/** The shared implementation of `ProcessContext.complete`. */
export function completeOwned<T>(context: ProcessContext, delayMs: number, operation: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    context.scheduler.schedule(
      delayMs,
      () => {
        try {
          resolve(operation());
        } catch (error) {
          reject(error);
        }
      },
      { owner: context },
    );
  });
}
