/**
 * Helpers of the raft-kv properties: run a scenario and describe a failing run as
 * the command that replays it (or the fault plan that breaks it); expect a broken
 * variant caught, first, by a safety violation on a seed of a small range.
 */

import { expect } from "vitest";
import type { RunResult, Scenario } from "../../../../src/sim/runner.ts";
import { firstCatch } from "../../../_support/catch-variant.ts";

export type { ScenarioRun as KvRun } from "../../../_support/describe-run.ts";
export { runAs as runKv, describeScenarioRun as describeRun } from "../../../_support/describe-run.ts";

/** Seeds a variant is searched in: a sweep of this many finds it (the first catch ends the search). */
const VARIANT_SEEDS = { first: 1, last: 40 };

/** The invariants by which a replica that applied what it should not is caught. */
export const FATE_INVARIANTS =
  /^(raft-kv\.unknown-write-fate|raft-kv\.replicas-converge|raft-kv\.linearizable|raft\.state-machine-safety)$/;

/**
 * Expects `variant` of `scenario` to fail, on some seed of VARIANT_SEEDS, first with a safety violation of one of
 * `invariants`.
 */
export async function expectCaught(scenario: Scenario, variant: string, invariants: RegExp): Promise<void> {
  const expected = (result: RunResult) =>
    result.violations[0]?.kind === "safety" && invariants.test(result.violations[0].invariant);
  const { caught, seen } = await firstCatch(scenario, variant, VARIANT_SEEDS, expected);
  expect(caught, `${variant} not caught: ${seen.join("; ")}`).toBeDefined();
}
