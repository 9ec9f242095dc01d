/**
 * Invariants of the demonstration (scenarios/counter/quorum.ts): under any fault plan
 * the correct counter never loses an acknowledged increment and makes progress
 * once faults heal; the broken variant `ack-before-fsync` is caught.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { counterQuorum } from "../../../scenarios/counter/quorum.ts";
import { faultPlanArbitrary } from "../../../src/sim/faults/arbitrary.ts";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import { runScenario } from "../../../src/sim/runner.ts";
import { propertyParameters } from "../../_support/fast-check.ts";

const SAFETY_MS = 3000;
const plans = faultPlanArbitrary({
  hosts: ["n1", "n2", "n3"],
  durationMs: SAFETY_MS,
  kinds: ["crash", "partition", "isolate", "pause", "clog"],
  maxEvents: 6,
});

async function holds(plan: FaultPlan, variant?: string): Promise<boolean> {
  const result = await runScenario(counterQuorum, {
    seed: 1,
    faults: plan,
    safetyMs: SAFETY_MS,
    ...(variant ? { variant } : {}),
  });
  return result.ok;
}

const property = (variant?: string) =>
  fc.asyncProperty(plans, async (plan) => {
    const ok = await holds(plan, variant);
    if (!ok) throw new Error(`violated; plan: ${JSON.stringify(plan)}`);
  });

describe("counter-quorum", () => {
  it("swarm seeds 1..6 pass with the correct counter", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const result = await runScenario(counterQuorum, { seed, safetyMs: SAFETY_MS });
      expect(result.violations, `npx dst run counter-quorum --seed ${seed}`).toEqual([]);
      expect(result.stats.progressAtMs).toBeDefined();
    }
  });

  it("seed 20073 passes: the primary restarts while its disk fails reads (was process.uncaught-error, DiskError EIO)", async () => {
    const result = await runScenario(counterQuorum, { seed: 20073 });
    expect(result.violations, "npx dst run counter-quorum --seed 20073").toEqual([]);
    expect(result.stats.probes["counter.start-retried"]).toBeGreaterThan(0);
  });

  it("a replica whose disk fails every read at its restart retries the start and serves once reads succeed", async () => {
    const readsFail = { readErrorProbability: 1 };
    for (const host of ["n1", "n2"]) {
      const plan: FaultPlan = {
        version: 1,
        faults: [
          { atMs: 500, kind: "crash", host },
          { atMs: 550, kind: "disk-faults", host, rates: readsFail, durationMs: 400 },
          { atMs: 600, kind: "restart", host },
        ],
      };
      const result = await runScenario(counterQuorum, { seed: 1, faults: plan, safetyMs: SAFETY_MS });
      expect(result.violations, `${host}: ${JSON.stringify(plan)}`).toEqual([]);
      expect(result.stats.probes["counter.start-retried"], host).toBeGreaterThan(0);
      expect(result.stats.progressAtMs, host).toBeDefined();
    }
  });

  it("counter.no-acknowledged-increment-lost: holds for any crash/partition/pause plan", async () => {
    await fc.assert(property(), propertyParameters("counter.no-acknowledged-increment-lost", 15));
  });

  it("catches the ack-before-fsync variant on a plan that crashes the primary", async () => {
    const plan: FaultPlan = {
      version: 1,
      faults: [
        { atMs: 500, kind: "crash", host: "n1" },
        { atMs: 600, kind: "restart", host: "n1" },
      ],
    };
    const result = await runScenario(counterQuorum, {
      seed: 1,
      faults: plan,
      safetyMs: SAFETY_MS,
      variant: "ack-before-fsync",
    });
    expect(result.ok).toBe(false);
    expect(result.violations[0]?.invariant).toMatch(/^counter\./);
  });

  it("the property catches the ack-before-fsync variant (fast-check finds a failing plan)", async () => {
    const outcome = await fc.check(property("ack-before-fsync"), {
      ...propertyParameters("counter.catches-ack-before-fsync", 40),
      reporter: undefined,
    });
    expect(outcome.failed).toBe(true);
  });
});

describe("runner guards", () => {
  it("maxTime ends a run with a kernel.runaway-time violation", async () => {
    const result = await runScenario(counterQuorum, { seed: 1, faults: { version: 1, faults: [] }, maxTime: 500 });
    expect(result.violations.map((violation) => violation.invariant)).toEqual(["kernel.runaway-time"]);
  });

  it("maxEvents ends a run with a kernel.runaway-events violation", async () => {
    const result = await runScenario(counterQuorum, { seed: 1, faults: { version: 1, faults: [] }, maxEvents: 200 });
    expect(result.violations.map((violation) => violation.invariant)).toEqual(["kernel.runaway-events"]);
    expect(result.stats.events).toBeLessThanOrEqual(200);
  });
});
