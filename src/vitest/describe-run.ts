/**
 * A scenario run as a test reports it: the command that reruns it, its violations
 * and its workload. Shared by the project's own tests (properties/) and the vitest
 * helper that projects use (index.ts), so a failing test prints the same lines in
 * both.
 */
import type { FaultPlan } from "../sim/faults/plan.ts";
import { runScenario, type KnobValue, type RunResult, type Scenario } from "../sim/runner.ts";

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
  /** Enable the buggify fault points. */
  readonly buggify?: boolean;
}

/** Runs `scenario` as `run` says. */
export function runAs(scenario: Scenario, run: ScenarioRun): Promise<RunResult> {
  return runScenario(scenario, {
    seed: run.seed,
    ...(run.variant !== undefined ? { variant: run.variant } : {}),
    ...(run.faults !== undefined ? { faults: run.faults } : {}),
    ...(run.safetyMs !== undefined ? { safetyMs: run.safetyMs } : {}),
    ...(run.knobs !== undefined ? { knobs: run.knobs } : {}),
    ...(run.buggify === true ? { buggify: true } : {}),
  });
}

/** describeRun for a ScenarioRun: knobs, buggify and an explicit plan are printed with the replay command. */
export function describeScenarioRun(scenario: Scenario, run: ScenarioRun, result: RunResult): string {
  const knobs = Object.entries(run.knobs ?? {})
    .map(([name, value]) => ` --knob ${name}=${String(value)}`)
    .join("");
  const buggify = run.buggify === true ? " --buggify" : "";
  const plan = run.faults === undefined ? "" : ` --faults plan.json, plan: ${JSON.stringify(run.faults)}`;
  return describeRun(scenario.name, run.seed, run.variant, result, 400, `${knobs}${buggify}${plan}`);
}
