/**
 * dqlite-bank on fixed seeds, under the swarm's faults:
 * - money is never created or lost (every read sees the full total), the replicas
 *   end byte-identical with integrity_check ok, no FSM invariant is violated, and
 *   Raft elects at most one leader per term;
 * - the run is deterministic: the same seed gives the same trace fingerprint;
 * - the property can fail: the leader's "ack-before-raft-commit" variant (a commit
 *   acknowledged to SQLite before Raft applied it) is caught with a safety violation.
 * Failures print the replay command.
 */
import { describe, expect, it } from "vitest";
import { dqliteBank } from "../../../scenarios/dqlite/bank.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { firstCatch } from "../../_support/catch-variant.ts";
import { CRASH_AND_ISOLATE, describeRun as describeAnyRun } from "./_support/runs.ts";

const describeRun = (seed: number, variant: string | undefined, result: RunResult): string =>
  describeAnyRun(dqliteBank.name, seed, variant, result, 400);

describe("dqlite-bank", () => {
  for (const seed of [1, 2, 3]) {
    it(`conserves money and converges under the swarm's faults (seed ${seed})`, async () => {
      const result = await runScenario(dqliteBank, { seed });
      expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
      expect(result.faultPlan.faults.length).toBeGreaterThan(0);
      expect(Number(result.stats.workload["transfer:ok"])).toBeGreaterThan(0);
      expect(Number(result.stats.workload["read:ok"])).toBeGreaterThan(0);
    }, 30_000);
  }

  it("is deterministic: the same seed gives the same fingerprint", async () => {
    const first = await runScenario(dqliteBank, { seed: 3 });
    const second = await runScenario(dqliteBank, { seed: 3 });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.stats.workload).toEqual(first.stats.workload);
  }, 30_000);

  it("passes the fixed crash-and-isolate plan, which catches the variant below (seed 1)", async () => {
    const result = await runScenario(dqliteBank, { seed: 1, faults: CRASH_AND_ISOLATE });
    expect(result.violations, describeRun(1, undefined, result)).toEqual([]);
  }, 30_000);

  it("catches the ack-before-raft-commit variant under the fixed crash-and-isolate plan (seed 1)", async () => {
    const result = await runScenario(dqliteBank, {
      seed: 1,
      variant: "ack-before-raft-commit",
      faults: CRASH_AND_ISOLATE,
    });
    expect(result.violations[0]?.kind, describeRun(1, "ack-before-raft-commit", result)).toBe("safety");
  }, 30_000);

  it("catches the ack-before-raft-commit variant with a safety violation on a swarm seed within 2..40", async () => {
    const variant = "ack-before-raft-commit";
    const safety = (result: RunResult) =>
      result.violations[0]?.kind === "safety" &&
      /^(dqlite-bank\.|dqlite\.fsm-invariant$|raft\.)/.test(result.violations[0]?.invariant ?? "");
    const { caught, seen } = await firstCatch(dqliteBank, variant, { first: 2, last: 40 }, safety);
    expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
  }, 240_000);
});
