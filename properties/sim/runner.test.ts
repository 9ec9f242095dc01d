/**
 * The runner (src/sim/runner.ts) on a scenario whose final check throws: the run
 * ends with a safety violation `scenario.final-check-failed` naming the error,
 * never with an exception out of runScenario (the CLI would print a crash trace).
 */
import { describe, expect, it } from "vitest";
import { runScenario, type Scenario } from "../../src/sim/runner.ts";

const throwingFinish: Scenario = {
  name: "test-throwing-finish",
  description: "a final check that throws",
  safetyMs: 10,
  livenessMs: 10,
  setup: () => ({
    progress: () => true,
    finish: async () => {
      throw new TypeError("the replica could not be read");
    },
  }),
};

describe("runner", () => {
  it("turns a final check that throws into a safety violation", async () => {
    const result = await runScenario(throwingFinish, { seed: 1 });
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatchObject({ invariant: "scenario.final-check-failed", kind: "safety" });
    expect(result.violations[0]?.details).toContain("the replica could not be read");
  });
});
