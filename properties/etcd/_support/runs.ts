/**
 * Helpers of the etcd properties: run a scenario and describe a failing run as the
 * command that replays it (or the fault plan that breaks it).
 */
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import { runScenario, type RunResult, type Scenario } from "../../../src/sim/runner.ts";

export interface EtcdRun {
  readonly seed: number;
  readonly variant?: string;
  readonly faults?: FaultPlan;
  readonly safetyMs?: number;
}

export function runEtcd(scenario: Scenario, run: EtcdRun): Promise<RunResult> {
  return runScenario(scenario, {
    seed: run.seed,
    ...(run.variant !== undefined ? { variant: run.variant } : {}),
    ...(run.faults !== undefined ? { faults: run.faults } : {}),
    ...(run.safetyMs !== undefined ? { safetyMs: run.safetyMs } : {}),
  });
}

export function describeRun(scenario: Scenario, run: EtcdRun, result: RunResult): string {
  const variant = run.variant === undefined ? "" : ` --variant ${run.variant}`;
  const replay = run.faults === undefined
    ? `npx dst run ${scenario.name} --seed ${run.seed}${variant}`
    : `npx dst run ${scenario.name} --seed ${run.seed}${variant} --faults plan.json, plan: ${JSON.stringify(run.faults)}`;
  const violations = result.violations.map((violation) => `${violation.kind} ${violation.invariant}: ${violation.details.slice(0, 400)}`).join("\n");
  return `${replay}\n${violations}\nworkload: ${JSON.stringify(result.stats.workload)}`;
}
