/**
 * dst-harness/vitest: scenarios as vitest tests. `scenarioTest(scenario, { seeds })`
 * declares a test that runs the scenario on each seed; `expectScenarioPasses` is the
 * same inside a test of your own; `findFailure` runs seeds until one fails (a broken
 * variant must be caught: that is how a check is shown to work). `scenarioProperty`,
 * `expectScenarioProperty` and `findPropertyFailure` do the same with fast-check:
 * generated fault plans and run seeds, the failing case shrunk (property.ts).
 *
 * A failure writes its counterexample (default: `dst-counterexamples/` in the current
 * directory), with the module its scenario came from, its trace and its HTML view
 * (failure-files.ts), and the test fails with the commands that replay and shrink it,
 * the paths of its trace and view, the command that reruns it, its violations and
 * its workload: the same lines the project's own tests print (describe-run.ts).
 */
import { test } from "vitest";
import type { KnobValue, RunResult, Scenario } from "../sim/runner.ts";
import { parseSeedRange } from "../cli/input.ts";
import { runAs, type ScenarioRun } from "./describe-run.ts";
import {
  reportFailure,
  ScenarioFailure,
  type FailureFilesOptions,
  type ScenarioFailureReport,
} from "./failure-files.ts";

export { describeRun, describeScenarioRun, runAs, type ScenarioRun } from "./describe-run.ts";
export {
  COUNTEREXAMPLES_DIRECTORY_DEFAULT,
  reportFailure,
  ScenarioFailure,
  type FailureFiles,
  type FailureFilesOptions,
  type ScenarioFailureReport,
} from "./failure-files.ts";
export {
  expectScenarioProperty,
  findPropertyFailure,
  scenarioProperty,
  SCENARIO_PROPERTY_RUNS_DEFAULT,
  SCENARIO_PROPERTY_SHRINK_RUNS_DEFAULT,
  SCENARIO_PROPERTY_TIMEOUT_MS_DEFAULT,
  type ScenarioPropertyFailureReport,
  type ScenarioPropertyOptions,
  type ScenarioPropertyTestOptions,
} from "./property.ts";

/** The default timeout of a scenarioTest (wall time, vitest's business: a run itself is bounded in virtual time). */
export const SCENARIO_TEST_TIMEOUT_MS_DEFAULT = 120_000;

export interface ScenarioSeedsOptions extends FailureFilesOptions {
  /** The seeds, in order: an array, or an inclusive range "A..B". */
  readonly seeds: readonly number[] | string;
  readonly variant?: string;
  readonly buggify?: boolean;
  /** Knobs fixed instead of each seed's draws. */
  readonly knobs?: Readonly<Record<string, KnobValue>>;
}

export interface ScenarioTestOptions extends ScenarioSeedsOptions {
  /** The test's name (default: the scenario's name and the seeds). */
  readonly name?: string;
  readonly timeoutMs?: number;
}

/** Declares a vitest test that runs `scenario` on every seed and fails at the first failing one. */
export function scenarioTest(scenario: Scenario, options: ScenarioTestOptions): void {
  const variant = options.variant === undefined ? "" : ` (variant ${options.variant})`;
  test(
    options.name ?? `${scenario.name}${variant} passes seeds ${describeSeeds(options.seeds)}`,
    async () => void (await expectScenarioPasses(scenario, options)),
    options.timeoutMs ?? SCENARIO_TEST_TIMEOUT_MS_DEFAULT,
  );
}

/** Runs `scenario` on every seed; throws a ScenarioFailure at the first failing one, else resolves with the results. */
export async function expectScenarioPasses(scenario: Scenario, options: ScenarioSeedsOptions): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const seed of seedsOf(options.seeds)) {
    const run = runOf(seed, options);
    const result = await runAs(scenario, run);
    if (!result.ok) throw new ScenarioFailure(await reportFailure(scenario, run, result, options));
    results.push(result);
  }
  return results;
}

/**
 * Runs `scenario` on the seeds until one fails; its report (counterexample written), or undefined when every seed
 * passed. For a broken variant: `expect(await findFailure(s, { seeds: "1..20", variant })).toBeDefined()`.
 */
export async function findFailure(
  scenario: Scenario,
  options: ScenarioSeedsOptions,
): Promise<ScenarioFailureReport | undefined> {
  for (const seed of seedsOf(options.seeds)) {
    const run = runOf(seed, options);
    const result = await runAs(scenario, run);
    if (!result.ok) return reportFailure(scenario, run, result, options);
  }
  return undefined;
}

function runOf(seed: number, options: ScenarioSeedsOptions): ScenarioRun {
  return { seed, variant: options.variant, knobs: options.knobs, buggify: options.buggify };
}

function seedsOf(seeds: readonly number[] | string): number[] {
  if (typeof seeds !== "string") return [...seeds];
  const { first, last } = parseSeedRange(seeds);
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

function describeSeeds(seeds: readonly number[] | string): string {
  return typeof seeds === "string" ? seeds : seeds.join(", ");
}
