/**
 * How big a counterexample is, for before/after reports: faults in the plan,
 * operations the workload issued (when the scenario reports them), when the first
 * violation struck, and how long the safety phase was.
 */
import type { RunResult } from "../runner.ts";

/** Workload figures read as the operation count, first match wins. */
export const OPERATION_FIGURES = ["operations", "attempts"] as const;

/** The figures `dst shrink` prints before and after. */
export interface CounterexampleSize {
  faults: number;
  /** The run's `operations` (or else `attempts`) workload figure; undefined when the scenario reports neither. */
  operations: number | undefined;
  /** Virtual time of the first violation, in ms. */
  violationTimeMs: number;
  safetyMs: number;
  /** Virtual time at which the run ended, in ms. */
  virtualTimeMs: number;
}

/** The size of a failing run. */
export function sizeOf(result: RunResult): CounterexampleSize {
  let operations: number | undefined;
  for (const name of OPERATION_FIGURES) {
    const figure = result.stats.workload[name];
    if (typeof figure === "number") {
      operations = figure;
      break;
    }
  }
  return {
    faults: result.faultPlan.faults.length,
    operations,
    violationTimeMs: result.violations[0]?.time ?? result.stats.virtualTimeMs,
    safetyMs: result.stats.safetyEndMs,
    virtualTimeMs: result.stats.virtualTimeMs,
  };
}

