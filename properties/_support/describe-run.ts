/** The replay command, the violations and the workload of a scenario run, for a failure message. */
import type { RunResult } from "../../src/sim/runner.ts";

/** `extra` is appended to the replay command (e.g. " --faults <the plan>"). */
export function describeRun(scenario: string, seed: number, variant: string | undefined, result: RunResult, detailsMax = 500, extra = ""): string {
  const replay = `npx dst run ${scenario} --seed ${seed}${variant === undefined ? "" : ` --variant ${variant}`}${extra}`;
  const violations = result.violations.map((violation) => `${violation.kind} ${violation.invariant}: ${violation.details.slice(0, detailsMax)}`).join("\n");
  return `${replay}\n${violations}\nworkload: ${JSON.stringify(result.stats.workload)}`;
}
