/** The replay command, the violations and the workload of a scenario run, for a failure message. */
import type { FaultPlan } from "../../src/sim/faults/plan.ts";
import { runScenario, type KnobValue, type RunResult, type Scenario } from "../../src/sim/runner.ts";

/** `extra` is appended to the replay command (e.g. " --faults <the plan>"). */
export function describeRun(
  scenario: string,
  seed: number,
  variant: string | undefined,
  result: RunResult,
  detailsMax = 500,
  extra = "",
): string {
  const replay = `npx dst run ${scenario} --seed ${seed}${variant === undefined ? "" : ` --variant ${variant}`}${extra}`;
  const violations = result.violations
    .map((violation) => `${violation.kind} ${violation.invariant}: ${violation.details.slice(0, detailsMax)}`)
    .join("\n");
  return `${replay}\n${violations}\nworkload: ${JSON.stringify(result.stats.workload)}`;
}

/** One run of a scenario: seed, optional variant, explicit fault plan, safety phase length and knobs. */
export interface ScenarioRun {
  readonly seed: number;
  readonly variant?: string;
  readonly faults?: FaultPlan;
  readonly safetyMs?: number;
  /** Knobs fixed instead of the seed's draws (a crafted plan timed for one configuration). */
  readonly knobs?: Readonly<Record<string, KnobValue>>;
}

/** Runs `scenario` as `run` says. */
export function runAs(scenario: Scenario, run: ScenarioRun): Promise<RunResult> {
  return runScenario(scenario, {
    seed: run.seed,
    ...(run.variant !== undefined ? { variant: run.variant } : {}),
    ...(run.faults !== undefined ? { faults: run.faults } : {}),
    ...(run.safetyMs !== undefined ? { safetyMs: run.safetyMs } : {}),
    ...(run.knobs !== undefined ? { knobs: run.knobs } : {}),
  });
}

/** describeRun for a ScenarioRun: an explicit plan is printed with the replay command. */
export function describeScenarioRun(scenario: Scenario, run: ScenarioRun, result: RunResult): string {
  const knobs = Object.entries(run.knobs ?? {})
    .map(([name, value]) => ` --knob ${name}=${String(value)}`)
    .join("");
  const plan = run.faults === undefined ? "" : ` --faults plan.json, plan: ${JSON.stringify(run.faults)}`;
  return describeRun(scenario.name, run.seed, run.variant, result, 400, `${knobs}${plan}`);
}
