/**
 * A shrink candidate: the parts of a counterexample that shrinking may change (the
 * fault plan, the length of the safety phase, the workload parameters, the knobs). Everything
 * else (scenario, seed, variant, buggify, liveness bound) stays as recorded, so each
 * candidate is one deterministic run.
 */
import type { FaultPlan } from "../faults/plan.ts";
import type { KnobValue } from "../knobs.ts";
import type { RunOptions } from "../runner.ts";

/** What shrinking varies; the rest of the counterexample is fixed. */
export interface ShrinkCandidate {
  readonly plan: FaultPlan;
  /** Length of the safety phase in ms (at least 1). */
  readonly safetyMs: number;
  /** Workload parameters, as the scenario reads them (undefined: the scenario's defaults). */
  readonly params: Readonly<Record<string, unknown>> | undefined;
  /** Every knob's value (undefined: the seed's draws, for a scenario without knobs or a file that records none). */
  readonly knobs?: Readonly<Record<string, KnobValue>> | undefined;
}

/** A stable text identity for caching runs: equal candidates give equal keys. */
export function candidateKey(candidate: ShrinkCandidate): string {
  return JSON.stringify([candidate.plan.faults, candidate.safetyMs, candidate.params ?? null, candidate.knobs ?? null]);
}

/**
 * The run options of `candidate`: `base` (the counterexample's replay options) with the candidate's plan, safety phase,
 * params and knobs.
 */
export function candidateRunOptions(base: RunOptions, candidate: ShrinkCandidate): RunOptions {
  const options: RunOptions = { ...base, faults: candidate.plan, safetyMs: candidate.safetyMs };
  if (candidate.params === undefined) delete options.params;
  else options.params = { ...candidate.params };
  if (candidate.knobs === undefined) delete options.knobs;
  else options.knobs = { ...candidate.knobs };
  return options;
}
