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

/** A system that reads the real clock in its host code: the runtime determinism guard's case. */
const realClockReader = (ambientGuard?: boolean): Scenario => ({
  name: "test-real-clock",
  description: "a host that stamps a message with Date.now()",
  safetyMs: 50,
  livenessMs: 10,
  ambientGuard,
  setup: ({ world }) => {
    let stamped = false;
    world
      .addHost("a", async (env) => {
        await env.clock.sleep(20);
        env.log.info("stamp", { at: Date.now() });
        stamped = true;
      })
      .start();
    return { progress: () => stamped };
  },
});

describe("runner and the determinism guard", () => {
  it("ends a run whose host reads the real clock with determinism.ambient-call, naming the call site", async () => {
    const result = await runScenario(realClockReader(), { seed: 1 });
    expect(result.ok).toBe(false);
    const violation = result.violations.find((found) => found.invariant === "determinism.ambient-call");
    expect(violation).toMatchObject({ kind: "kernel", time: 20 });
    expect(violation?.details).toContain("Date.now()");
    expect(violation?.details).toContain("runner.test.ts");
  });

  it("lets a scenario that turns the guard off run as before", async () => {
    const result = await runScenario(realClockReader(false), { seed: 1 });
    expect(result.violations).toEqual([]);
  });
});
