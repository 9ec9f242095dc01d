/**
 * How big a counterexample is, for before/after reports: faults in the plan,
 * operations the workload issued (when the scenario reports them), when the first
 * violation struck, how long the safety phase was, and which knobs are off their defaults.
 */
import { knobDistance } from "../knobs.ts";
import type { RunResult, Scenario } from "../runner.ts";

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
  /** The knobs whose value is not their default, with that value (undefined for a run without knobs). */
  knobsOffDefault: Record<string, number | string | boolean> | undefined;
}

/** The size of a failing run (of `scenario`, whose knobs' defaults it compares with). */
export function sizeOf(result: RunResult, scenario?: Scenario): CounterexampleSize {
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
    knobsOffDefault: knobsOffDefault(result, scenario),
  };
}

function knobsOffDefault(
  result: RunResult,
  scenario: Scenario | undefined,
): Record<string, number | string | boolean> | undefined {
  if (result.stats.knobs === undefined) return undefined;
  const off: Record<string, number | string | boolean> = {};
  for (const [name, value] of Object.entries(result.stats.knobs ?? {})) {
    const knob = scenario?.knobs?.[name];
    if (knob === undefined || knobDistance(knob, value) > 0) off[name] = value;
  }
  return off;
}
