/**
 * The runner (src/sim/runner.ts) on a scenario whose final check throws: the run
 * ends with a safety violation `scenario.final-check-failed` naming the error,
 * never with an exception out of runScenario (the CLI would print a crash trace).
 */
import { describe, expect, it } from "vitest";
import { runScenario, type Scenario } from "../../src/sim/runner.ts";
import { World } from "../../src/sim/world.ts";

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

/**
 * A host that asks two buggify points every 10 ms, a fault and a rare path (`afterHeal`), and counts the firings it saw
 * in each phase.
 */
function buggifyCounter(): {
  scenario: Scenario;
  firings: { safety: number; liveness: number; rareLiveness: number };
} {
  const firings = { safety: 0, liveness: 0, rareLiveness: 0 };
  const scenario: Scenario = {
    name: "test-buggify-phases",
    description: "a host asking a buggify point through both phases",
    safetyMs: 1_000,
    livenessMs: 1_000,
    setup: (context) => {
      context.world
        .addHost("a", async (env) => {
          for (;;) {
            await env.clock.sleep(10);
            if (env.buggify("test.point")) firings[context.phase() === "safety" ? "safety" : "liveness"]++;
            if (env.buggify("test.rare-path", { afterHeal: true }) && context.phase() !== "safety")
              firings.rareLiveness++;
          }
        })
        .start();
      return { progress: () => context.livenessStartedAt() !== undefined && context.world.now > 1_500 };
    },
  };
  return { scenario, firings };
}

describe("runner and buggify", () => {
  it("quiets every fault point once the faults heal (none fires in the liveness phase); rare paths keep firing", async () => {
    let activeSeeds = 0;
    let rareAfterHeal = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const { scenario, firings } = buggifyCounter();
      const result = await runScenario(scenario, { seed, buggify: true });
      expect(result.violations).toEqual([]);
      if (firings.safety > 0) activeSeeds++;
      expect(firings.liveness).toBe(0);
      rareAfterHeal += firings.rareLiveness;
    }
    expect(activeSeeds).toBeGreaterThan(0);
    expect(rareAfterHeal).toBeGreaterThan(0);
  });

  it("would see firings after the heal without the quiet (worlds never quieted)", async () => {
    let late = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const world = new World({ seed, buggify: true });
      world
        .addHost("a", async (env) => {
          for (let index = 0; index < 200; index++) {
            await env.clock.sleep(10);
            if (env.buggify("test.point") && env.clock.now() > 1_000) late++;
          }
        })
        .start();
      await world.scheduler.run({ untilTime: 3_000 });
    }
    expect(late).toBeGreaterThan(0);
  });
});
