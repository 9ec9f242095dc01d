/**
 * dst-harness/vitest: scenarios as vitest tests. `scenarioTest(scenario, { seeds })`
 * declares a test that runs the scenario on each seed; `expectScenarioPasses` is the
 * same inside a test of your own; `findFailure` runs seeds until one fails (a broken
 * variant must be caught: that is how a check is shown to work).
 *
 * A failing seed's counterexample is written (default: `dst-counterexamples/` in the
 * current directory), and the test fails with the commands that replay it
 * (`npx dst replay <file>`, `npx dst run <scenario> --seed <n>`), its violations and
 * its workload: the same lines the project's own tests print (describe-run.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "vitest";
import { counterexampleOf } from "../sim/counterexample.ts";
import type { KnobValue, RunResult, Scenario } from "../sim/runner.ts";
import { currentCodeVersion } from "../cli/code-version.ts";
import { counterexampleFileName } from "../cli/commands/run.ts";
import { parseSeedRange } from "../cli/input.ts";
import { describeScenarioRun, runAs, type ScenarioRun } from "./describe-run.ts";

export { describeRun, describeScenarioRun, runAs, type ScenarioRun } from "./describe-run.ts";

/** The default directory for the counterexamples of failing seeds, under the current directory. */
export const COUNTEREXAMPLES_DIRECTORY_DEFAULT = "dst-counterexamples";
/** The default timeout of a scenarioTest (wall time, vitest's business: a run itself is bounded in virtual time). */
export const SCENARIO_TEST_TIMEOUT_MS_DEFAULT = 120_000;

export interface ScenarioSeedsOptions {
  /** The seeds, in order: an array, or an inclusive range "A..B". */
  readonly seeds: readonly number[] | string;
  readonly variant?: string;
  readonly buggify?: boolean;
  /** Knobs fixed instead of each seed's draws. */
  readonly knobs?: Readonly<Record<string, KnobValue>>;
  /** Where a failing seed's counterexample is written (default COUNTEREXAMPLES_DIRECTORY_DEFAULT). */
  readonly counterexamples?: string;
}

export interface ScenarioTestOptions extends ScenarioSeedsOptions {
  /** The test's name (default: the scenario's name and the seeds). */
  readonly name?: string;
  readonly timeoutMs?: number;
}

/** A seed that failed: its run, and the counterexample file that replays it. */
export interface ScenarioFailureReport {
  readonly seed: number;
  readonly result: RunResult;
  readonly counterexamplePath: string;
  /** The lines a test prints: replay commands, violations, workload. */
  readonly message: string;
}

/** The error a failing seed fails its test with. */
export class ScenarioFailure extends Error {
  override readonly name = "ScenarioFailure";
  constructor(readonly report: ScenarioFailureReport) {
    super(report.message);
  }
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
    if (!result.ok) throw new ScenarioFailure(reportFailure(scenario, run, result, options));
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

function reportFailure(
  scenario: Scenario,
  run: ScenarioRun,
  result: RunResult,
  options: ScenarioSeedsOptions,
): ScenarioFailureReport {
  const directory = resolve(options.counterexamples ?? COUNTEREXAMPLES_DIRECTORY_DEFAULT);
  mkdirSync(directory, { recursive: true });
  const path = join(directory, counterexampleFileName(scenario.name, run.seed, run.variant));
  // The result carries the variant, wire mode, plan and knobs; the options add what it does not.
  const counterexample = counterexampleOf(
    result,
    { seed: run.seed, buggify: run.buggify === true },
    currentCodeVersion(),
  );
  writeFileSync(path, `${JSON.stringify(counterexample, null, 2)}\n`);
  const shown = relative(process.cwd(), path);
  const message = [
    `${scenario.name} seed ${run.seed}${run.variant === undefined ? "" : ` variant ${run.variant}`} failed`,
    `counterexample written; replay it, shrink it, see it with:`,
    `  npx dst replay ${shown}`,
    `  npx dst shrink ${shown}`,
    `  npx dst view ${shown} -o ${scenario.name}-seed-${run.seed}.html`,
    `or rerun the seed:`,
    `  ${describeScenarioRun(scenario, run, result)}`,
  ].join("\n");
  return { seed: run.seed, result, counterexamplePath: path, message };
}

function seedsOf(seeds: readonly number[] | string): number[] {
  if (typeof seeds !== "string") return [...seeds];
  const { first, last } = parseSeedRange(seeds);
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

function describeSeeds(seeds: readonly number[] | string): string {
  return typeof seeds === "string" ? seeds : seeds.join(", ");
}
