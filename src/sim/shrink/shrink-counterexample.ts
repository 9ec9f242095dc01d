/**
 * Shrinking: the smallest fault plan, safety phase and workload, and the knobs
 * nearest their defaults, that still fail the same way as a counterexample.
 *
 * Method: the counterexample's plan, safety phase and params form the root of a
 * fast-check arbitrary (`CandidateArbitrary`) whose shrinks are smaller candidates.
 * `fc.check` runs the root as its one example; the property "this candidate does not
 * fail with the same signature" fails on it, and fast-check's shrink loop then walks
 * to smaller failing candidates until none of the shrinks of the current one fails,
 * or the run budget is spent. Every evaluation is one deterministic `runScenario`.
 *
 * The minimal counterexample is written from the actual run of the last failing
 * candidate (`counterexampleOf`), then replayed once to confirm its fingerprint.
 */
import fc from "fast-check";
import { counterexampleOf, CounterexampleError, replayOptions, type Counterexample } from "../counterexample.ts";
import type { KnobValue } from "../knobs.ts";
import { runScenario, type KnobReader, type RunResult, type Scenario } from "../runner.ts";
import { CandidateArbitrary } from "./candidate-arbitrary.ts";
import { candidateRunOptions, type ShrinkCandidate } from "./candidate.ts";
import { CandidateEvaluator } from "./evaluator.ts";
import { shrinkableParamsOf } from "./shrinkable-params.ts";
import { failureSignature, type SignatureOptions } from "./signature.ts";
import { sizeOf, type CounterexampleSize } from "./size.ts";

/** Scenario runs one shrink may make unless told otherwise. */
export const SHRINK_RUNS_DEFAULT = 500;
/** The most runs one shrink may be given. */
export const SHRINK_RUNS_MAX = 1_000_000;

export interface ShrinkOptions extends SignatureOptions {
  /** The scenario a counterexample names (src/sim does not know the registry). */
  resolveScenario: (name: string) => Scenario;
  /** Most scenario runs while shrinking, the first replay included (default SHRINK_RUNS_DEFAULT). */
  maxRuns?: number;
}

export interface ShrinkOutcome {
  /** The minimal counterexample, from its actual run: it replays to `minimal.expected.fingerprint`. */
  minimal: Counterexample;
  before: CounterexampleSize;
  after: CounterexampleSize;
  /** Scenario runs made: at most maxRuns, plus one to confirm the minimal counterexample replays. */
  runs: number;
  /** The failure kept: "kind invariant" plus " @host" unless sameHost is false. */
  signature: string;
  /** Whether the budget ran out before shrinking finished (the result is smaller, maybe not minimal). */
  exhausted: boolean;
  /**
   * Whether the input replayed to its recorded fingerprint (it may fail the same way under changed code without that).
   */
  inputReproduced: boolean;
}

/** Shrinking itself went wrong: a bad option, or a minimal run that does not replay (a determinism bug). */
export class ShrinkError extends Error {
  override readonly name = "ShrinkError";
}

/**
 * Minimises `counterexample` while its first violation keeps the same signature.
 * Throws `CounterexampleError` when the counterexample does not fail on replay, or
 * fails differently from what it records; `ShrinkError` if the minimal run does not
 * replay to the same fingerprint (a determinism bug).
 */
export async function shrinkCounterexample(
  counterexample: Counterexample,
  options: ShrinkOptions,
): Promise<ShrinkOutcome> {
  const maxRuns = options.maxRuns ?? SHRINK_RUNS_DEFAULT;
  if (!Number.isSafeInteger(maxRuns) || maxRuns < 1 || maxRuns > SHRINK_RUNS_MAX)
    throw new ShrinkError(`maxRuns must be an integer in [1, ${SHRINK_RUNS_MAX}], got ${maxRuns}`);
  const scenario = options.resolveScenario(counterexample.scenario);
  const base = replayOptions(counterexample);
  const given: ShrinkCandidate = {
    plan: counterexample.faultPlan,
    safetyMs: counterexample.safetyMs ?? scenario.safetyMs,
    params: counterexample.params,
    knobs: counterexample.knobs,
  };
  const rootResult = await runScenario(scenario, candidateRunOptions(base, given));
  // The knobs the root ran with, drawn or recorded: fixing them changes nothing in the run, and gives the knob stage
  // its values.
  const root: ShrinkCandidate = { ...given, knobs: rootResult.stats.knobs };
  const signature = rootSignature(counterexample, rootResult, options);
  const evaluator = new CandidateEvaluator(scenario, base, signature, options, maxRuns);
  evaluator.remember(root, rootResult);
  const minimalCandidate = await minimise(root, evaluator, scenario);
  const minimalResult = evaluator.resultOf(minimalCandidate);
  if (minimalResult === undefined) throw new ShrinkError("internal: the minimal candidate has no recorded failing run");
  const minimal = counterexampleOf(minimalResult, candidateRunOptions(base, minimalCandidate));
  const replay = await runScenario(scenario, replayOptions(minimal));
  if (replay.fingerprint !== minimal.expected.fingerprint) {
    throw new ShrinkError(
      `the minimal counterexample does not replay: fingerprint ${replay.fingerprint}, its run gave ${minimal.expected.fingerprint} (a determinism bug)`,
    );
  }
  return {
    minimal,
    before: sizeOf(rootResult, scenario),
    after: sizeOf(minimalResult, scenario),
    runs: evaluator.runs + 1,
    signature,
    exhausted: evaluator.exhausted,
    inputReproduced: rootResult.fingerprint === counterexample.expected.fingerprint,
  };
}

/** The root run's failure signature; throws CounterexampleError when it does not fail as recorded. */
function rootSignature(counterexample: Counterexample, result: RunResult, options: SignatureOptions): string {
  const first = result.violations[0];
  const where = `${counterexample.scenario} seed ${counterexample.seed}${counterexample.variant === undefined ? "" : ` (variant ${counterexample.variant})`}`;
  if (first === undefined)
    throw new CounterexampleError(
      `counterexample does not fail: ${where} replays without a violation, so there is nothing to shrink`,
    );
  const signature = failureSignature(first, options);
  const recorded = counterexample.expected.violations[0];
  if (recorded !== undefined && failureSignature(recorded, options) !== signature) {
    throw new CounterexampleError(
      `counterexample does not fail as recorded: ${where} records "${failureSignature(recorded, options)}" but replays to "${signature}"`,
    );
  }
  return signature;
}

/** The scenario's fault hosts under given knobs, when its cluster's shape is a knob (undefined otherwise). */
function faultHostsOfKnobs(
  scenario: Scenario,
): ((knobs: Readonly<Record<string, KnobValue>>) => readonly string[]) | undefined {
  const faultHosts = scenario.swarm?.hosts;
  if (typeof faultHosts !== "function") return undefined;
  return (knobs) => {
    const reader: KnobReader = <T extends KnobValue>(name: string): T => {
      const value = knobs[name];
      if (value === undefined) throw new ShrinkError(`internal: the candidate has no knob "${name}"`);
      return value as T;
    };
    return faultHosts(reader);
  };
}

/** fast-check's shrink loop from the root; resolves with the last candidate that failed the same way. */
async function minimise(
  root: ShrinkCandidate,
  evaluator: CandidateEvaluator,
  scenario: Scenario,
): Promise<ShrinkCandidate> {
  const shrinkableParams = shrinkableParamsOf(scenario);
  const knobs = Object.entries(scenario.knobs ?? {});
  const faultHostsOf = faultHostsOfKnobs(scenario);
  const arbitrary = new CandidateArbitrary(root, (candidate) => {
    const result = evaluator.resultOf(candidate);
    const first = result?.violations[0];
    return first === undefined
      ? undefined
      : {
          violationTimeMs: first.time,
          shrinkableParams,
          knobs,
          ...(faultHostsOf !== undefined ? { faultHostsOf } : {}),
        };
  });
  const property = fc.asyncProperty(arbitrary, async (candidate) => {
    const evaluation = await evaluator.evaluate(candidate);
    // Out of runs: interrupt fast-check; the last failing candidate stands.
    if (evaluation === "out-of-runs") throw new fc.PreconditionFailure(true);
    return evaluation !== "reproduces";
  });
  const details = await fc.check(property, {
    numRuns: 1,
    examples: [[root]],
    seed: 0,
    endOnFailure: false,
    markInterruptAsFailure: false,
    verbose: 0,
  });
  const counterexample = details.counterexample?.[0];
  if (!details.failed || counterexample === undefined)
    throw new ShrinkError("internal: fast-check did not fail on the root counterexample");
  return counterexample;
}
