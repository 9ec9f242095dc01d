/**
 * A scenario as a fast-check property: each case is a run seed and a fault plan
 * (faultPlanArbitrary, drawn over the scenario's swarm: its hosts, fault kinds, disk
 * hosts and roles, within its safety phase), run with that explicit plan. A failing
 * case is shrunk by fast-check (fewer, earlier, shorter, simpler faults; the run seed
 * does not shrink: a smaller seed is another run, not a simpler one), and the smallest
 * failing case is reported as a failing seed is (failure-files.ts): its counterexample,
 * which records the plan, so `dst replay` reruns exactly that run, its trace and view.
 *
 * Limits: `numRuns` cases, then at most `shrinkRunsMax` runs after the first failure
 * (when they are spent, the smallest failure found so far is reported: smaller, perhaps
 * not minimal). The cases are the same on every run of the test: fast-check's seed is
 * derived from the scenario's name and variant unless given.
 *
 * A swarm whose hosts are a function of the knobs is resolved under the knobs' defaults
 * (or the given knobs), and the runs fix those knobs, so every plan names hosts the
 * run has.
 */
import fc from "fast-check";
import { test } from "vitest";
import { faultPlanArbitrary, type FaultPlanArbitraryOptions } from "../sim/faults/arbitrary.ts";
import type { FaultPlan } from "../sim/faults/plan.ts";
import type { KnobValue, RunResult, Scenario } from "../sim/runner.ts";
import { Random } from "../sim/random.ts";
import { describeError } from "../sim/world.ts";
import { counterexampleBaseName } from "../cli/commands/run.ts";
import { runAs, type ScenarioRun } from "./describe-run.ts";
import {
  reportFailure,
  ScenarioFailure,
  type FailureFilesOptions,
  type ScenarioFailureReport,
} from "./failure-files.ts";

/** Cases a property runs unless told otherwise. */
export const SCENARIO_PROPERTY_RUNS_DEFAULT = 20;
/** Runs after the first failure, while shrinking, unless told otherwise. */
export const SCENARIO_PROPERTY_SHRINK_RUNS_DEFAULT = 100;
/** The default timeout of a scenarioProperty test (wall time: each run is bounded in virtual time). */
export const SCENARIO_PROPERTY_TIMEOUT_MS_DEFAULT = 300_000;
/** The largest run seed drawn by default. */
const RUN_SEED_MAX = 1_000_000;

export interface ScenarioPropertyOptions extends FailureFilesOptions {
  /** Cases (run seed and plan) to run (default SCENARIO_PROPERTY_RUNS_DEFAULT). */
  readonly numRuns?: number;
  /** fast-check's seed (default: one derived from the scenario's name and variant, the same on every run). */
  readonly seed?: number;
  /**
   * What the plans are drawn from (faultPlanArbitrary's options); each field defaults to the scenario's: its swarm's
   * hosts, kinds (never disk faults without disks), disk-fault hosts and roles, and its safety phase as `durationMs`.
   */
  readonly plan?: Partial<FaultPlanArbitraryOptions>;
  /** The run seeds (default: integers 1..1,000,000, not shrunk). */
  readonly runSeeds?: fc.Arbitrary<number>;
  /** Most runs after the first failure, while shrinking (default SCENARIO_PROPERTY_SHRINK_RUNS_DEFAULT). */
  readonly shrinkRunsMax?: number;
  readonly variant?: string;
  readonly buggify?: boolean;
  /** Knobs fixed instead of each seed's draws. */
  readonly knobs?: Readonly<Record<string, KnobValue>>;
  /** The safety phase of every run (default the scenario's); the plans' `durationMs` follows it. */
  readonly safetyMs?: number;
}

export interface ScenarioPropertyTestOptions extends ScenarioPropertyOptions {
  /** The test's name (default: the scenario's name, its variant and the number of cases). */
  readonly name?: string;
  readonly timeoutMs?: number;
}

/** The smallest failing case a property found, reported as a failing seed is (its counterexample holds the plan). */
export interface ScenarioPropertyFailureReport extends ScenarioFailureReport {
  readonly plan: FaultPlan;
  /** fast-check's seed: the property's cases, again. */
  readonly propertySeed: number;
  /** Scenario runs made, shrinking included. */
  readonly runs: number;
  /** Shrinking steps that found a smaller failing case. */
  readonly shrinks: number;
  /** Whether the shrinking budget ran out (the case is smaller, perhaps not minimal). */
  readonly exhausted: boolean;
}

/** Declares a vitest test that runs `scenario` as a property over generated fault plans. */
export function scenarioProperty(scenario: Scenario, options: ScenarioPropertyTestOptions = {}): void {
  const variant = options.variant === undefined ? "" : ` (variant ${options.variant})`;
  const cases = options.numRuns ?? SCENARIO_PROPERTY_RUNS_DEFAULT;
  test(
    options.name ?? `${scenario.name}${variant} passes ${cases} generated fault plans`,
    async () => expectScenarioProperty(scenario, options),
    options.timeoutMs ?? SCENARIO_PROPERTY_TIMEOUT_MS_DEFAULT,
  );
}

/** Runs the property; throws a ScenarioFailure with the smallest failing case's report when one fails. */
export async function expectScenarioProperty(scenario: Scenario, options: ScenarioPropertyOptions = {}): Promise<void> {
  const failure = await findPropertyFailure(scenario, options);
  if (failure !== undefined) throw new ScenarioFailure(failure);
}

/**
 * Runs the property; the smallest failing case's report (its files written), or undefined when every case passed.
 * For a broken variant: `expect(await findPropertyFailure(s, { variant })).toBeDefined()`.
 */
export async function findPropertyFailure(
  scenario: Scenario,
  options: ScenarioPropertyOptions = {},
): Promise<ScenarioPropertyFailureReport | undefined> {
  const { planOptions, knobs } = planOptionsOf(scenario, options);
  const cases = fc.record({
    seed: options.runSeeds ?? fc.noShrink(fc.integer({ min: 1, max: RUN_SEED_MAX })),
    plan: faultPlanArbitrary(planOptions),
  });
  const shrinkRunsMax = options.shrinkRunsMax ?? SCENARIO_PROPERTY_SHRINK_RUNS_DEFAULT;
  let runs = 0;
  let exhausted = false;
  let firstFailureRun: number | undefined;
  let failure: { key: string; run: ScenarioRun; result: RunResult } | undefined;
  const property = fc.asyncProperty(cases, async ({ seed, plan }) => {
    // Spent: the smallest failure so far stands (fast-check takes the shrinks left as passing).
    if (firstFailureRun !== undefined && runs - firstFailureRun >= shrinkRunsMax) {
      exhausted = true;
      return true;
    }
    runs += 1;
    const run: ScenarioRun = { seed, faults: plan, ...runSettingsOf(options), knobs };
    try {
      const result = await runAs(scenario, run);
      if (result.ok) return true;
      failure = { key: caseKey(seed, plan), run, result };
    } catch (error) {
      firstFailureRun ??= runs;
      throw error;
    }
    firstFailureRun ??= runs;
    return false;
  });
  const propertySeed = options.seed ?? defaultPropertySeed(scenario, options.variant);
  const details = await fc.check(property, {
    seed: propertySeed,
    numRuns: options.numRuns ?? SCENARIO_PROPERTY_RUNS_DEFAULT,
  });
  if (!details.failed) return undefined;
  const found = details.counterexample?.[0];
  // A case that threw instead of failing (a plan the scenario refuses, a bug in the scenario): fast-check reports it.
  if (failure === undefined || found === undefined || caseKey(found.seed, found.plan) !== failure.key)
    throw new Error(
      `${scenario.name}: the property failed on a run that threw (${describeError(details.errorInstance)}):\n` +
        fc.defaultReportMessage(details),
      { cause: details.errorInstance },
    );
  const { run, result } = failure;
  const headline =
    `${scenario.name}${run.variant === undefined ? "" : ` variant ${run.variant}`} failed a generated fault plan ` +
    `(fast-check seed ${propertySeed}; ${runs} runs, shrunk ${details.numShrinks} times): run seed ${run.seed}, ` +
    `${found.plan.faults.length} fault events` +
    (exhausted ? ` (the budget of ${shrinkRunsMax} shrinking runs was spent: smaller, perhaps not minimal)` : "");
  const baseName = `${counterexampleBaseName(scenario.name, run.seed, run.variant)}-property`;
  const report = await reportFailure(scenario, run, result, options, headline, baseName);
  return { ...report, plan: found.plan, propertySeed, runs, shrinks: details.numShrinks, exhausted };
}

/** The run settings every case shares. */
function runSettingsOf(options: ScenarioPropertyOptions): Omit<ScenarioRun, "seed" | "faults" | "knobs"> {
  return { variant: options.variant, buggify: options.buggify, safetyMs: options.safetyMs };
}

/**
 * faultPlanArbitrary's options from the scenario's swarm and the given ones; the knobs the runs fix (those the swarm's
 * hosts were resolved under, and the given ones).
 */
function planOptionsOf(
  scenario: Scenario,
  options: ScenarioPropertyOptions,
): { planOptions: FaultPlanArbitraryOptions; knobs: Readonly<Record<string, KnobValue>> | undefined } {
  const swarm = scenario.swarm;
  const read: Record<string, KnobValue> = {};
  const knob = <T extends KnobValue>(name: string): T => {
    const value = options.knobs?.[name] ?? scenario.knobs?.[name]?.default;
    if (value === undefined) throw new Error(`${scenario.name}: its swarm's hosts read an undeclared knob ${name}`);
    read[name] = value;
    return value as T;
  };
  const swarmHosts = swarm === undefined ? [] : typeof swarm.hosts === "function" ? swarm.hosts(knob) : swarm.hosts;
  const given = options.plan ?? {};
  const hosts = given.hosts ?? swarmHosts;
  if (hosts.length === 0)
    throw new Error(`${scenario.name} has no swarm hosts to aim faults at: give the property's plan.hosts`);
  const kinds = given.kinds ?? swarm?.kinds;
  const planOptions: FaultPlanArbitraryOptions = {
    ...given,
    hosts,
    durationMs: given.durationMs ?? options.safetyMs ?? scenario.safetyMs,
    kinds: scenario.createDisks === undefined ? kinds?.filter((kind) => kind !== "disk-faults") : kinds,
    diskHosts: given.diskHosts ?? swarm?.diskFaultHosts,
    roles: given.roles ?? scenario.roles?.map((role) => `@${role}`),
  };
  const knobs = { ...read, ...options.knobs };
  return { planOptions, knobs: Object.keys(knobs).length === 0 ? undefined : knobs };
}

function caseKey(seed: number, plan: FaultPlan): string {
  return JSON.stringify([seed, plan]);
}

/** fast-check's seed for a scenario's property: the same cases on every run, other cases for another scenario. */
function defaultPropertySeed(scenario: Scenario, variant: string | undefined): number {
  return new Random(`dst-property:${scenario.name}:${variant ?? ""}`).int(0, 0x7fffffff);
}
