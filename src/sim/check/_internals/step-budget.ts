/**
 * The checker's limit on work. Linearizability checking is NP-complete, so every
 * search has a maximum number of steps, and optionally a deadline read from a
 * clock the caller injects (nothing in src/sim/check reads real time itself).
 */
import { assert } from "../../assert.ts";

/** How often (in steps) the injected clock is read. */
const clockCheckIntervalSteps = 4096;

/** Which limit ended a check early. */
export type ExhaustedLimit = "max-steps" | "timeout";

/** Steps left for a check (shared by all its partitions), and the optional deadline. */
export class StepBudget {
  private stepsTaken = 0;
  private nextClockCheck = clockCheckIntervalSteps;
  private exhaustedLimit: ExhaustedLimit | undefined;
  private readonly deadline: number | undefined;

  constructor(
    private readonly maxSteps: number,
    timeoutMs: number | undefined,
    private readonly clock: (() => number) | undefined,
  ) {
    assert(maxSteps >= 0, () => `maxSteps must be non-negative, got ${maxSteps}`);
    assert(timeoutMs === undefined || clock !== undefined, "timeoutMs needs an injected clock (options.clock)");
    this.deadline = timeoutMs === undefined || clock === undefined ? undefined : clock() + timeoutMs;
  }

  /** Steps taken so far, over every search that shared this budget. */
  get steps(): number {
    return this.stepsTaken;
  }

  /** Which limit ran out, if any. */
  get exhausted(): ExhaustedLimit | undefined {
    return this.exhaustedLimit;
  }

  /** Takes one step; returns false (and takes none) when the budget is exhausted. */
  take(): boolean {
    if (this.stepsTaken >= this.maxSteps) {
      this.exhaustedLimit = "max-steps";
      return false;
    }
    if (this.stepsTaken >= this.nextClockCheck) {
      this.nextClockCheck += clockCheckIntervalSteps;
      if (this.deadline !== undefined && (this.clock as () => number)() >= this.deadline) {
        this.exhaustedLimit = "timeout";
        return false;
      }
    }
    this.stepsTaken++;
    return true;
  }
}
