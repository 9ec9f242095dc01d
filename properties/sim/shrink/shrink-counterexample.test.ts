/**
 * Invariants of shrinking (src/sim/shrink/shrink-counterexample.ts), one sentence each:
 * - The minimal counterexample fails with the same signature, is no larger than its
 *   input (faults, safety phase), and replays to the fingerprint it records.
 * - A counterexample that does not fail is rejected with "counterexample does not fail".
 * - A failure that needs two specific faults keeps both, and loses every other one.
 * - Shrinking never makes more than maxRuns runs, plus one to confirm the replay.
 * Seeds: counter-quorum seed 1 (variant ack-before-fsync); the test scenario seed 7.
 */
import { describe, expect, it } from "vitest";
import { counterQuorum } from "../../../scenarios/counter/quorum.ts";
import {
  counterexampleOf,
  CounterexampleError,
  replayOptions,
  type Counterexample,
} from "../../../src/sim/counterexample.ts";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import { runScenario, type RunOptions, type Scenario } from "../../../src/sim/runner.ts";
import { shrinkCounterexample } from "../../../src/sim/shrink/shrink-counterexample.ts";
import { failureSignature } from "../../../src/sim/shrink/signature.ts";
import { TICKS_MIN, twoFaultPlan, twoFaultScenario } from "./_fixtures/two-fault-scenario.ts";

const scenarios: readonly Scenario[] = [counterQuorum, twoFaultScenario];
const resolveScenario = (name: string): Scenario => {
  const scenario = scenarios.find((candidate) => candidate.name === name);
  if (scenario === undefined) throw new Error(`no test scenario ${name}`);
  return scenario;
};

async function counterexampleFor(scenario: Scenario, options: RunOptions): Promise<Counterexample> {
  const result = await runScenario(scenario, options);
  expect(result.ok, `${scenario.name} seed ${options.seed} must fail`).toBe(false);
  return counterexampleOf(result, options);
}

async function expectReplays(counterexample: Counterexample): Promise<void> {
  const replay = await runScenario(resolveScenario(counterexample.scenario), replayOptions(counterexample));
  expect(replay.fingerprint).toBe(counterexample.expected.fingerprint);
  expect(replay.violations).toEqual(counterexample.expected.violations);
}

const signatureOf = (counterexample: Counterexample) =>
  failureSignature(counterexample.expected.violations[0] ?? expect.fail("no violation"));

describe("shrinkCounterexample", () => {
  it("shrinks counter-quorum seed 3 (ack-before-fsync) to at most a crash and restart, same signature, replaying exactly", async () => {
    const input = await counterexampleFor(counterQuorum, { seed: 3, variant: "ack-before-fsync" });
    const outcome = await shrinkCounterexample(input, { resolveScenario, maxRuns: 60 });
    expect(outcome.inputReproduced).toBe(true);
    expect(signatureOf(outcome.minimal)).toBe(signatureOf(input));
    expect(outcome.signature).toBe(signatureOf(input));
    expect(outcome.after.faults).toBeLessThanOrEqual(Math.min(2, outcome.before.faults));
    expect(outcome.after.safetyMs).toBeLessThanOrEqual(outcome.before.safetyMs);
    expect(outcome.after.faults).toBe(outcome.minimal.faultPlan.faults.length);
    for (const event of outcome.minimal.faultPlan.faults) expect(["crash", "restart"]).toContain(event.kind);
    await expectReplays(outcome.minimal);
  });

  it("shrinks a crash of the primary among other faults to that crash (counter-quorum seed 1, ack-before-fsync)", async () => {
    const plan: FaultPlan = {
      version: 1,
      faults: [
        { atMs: 100, kind: "pause", host: "n3", durationMs: 300 },
        { atMs: 500, kind: "crash", host: "n1" },
        { atMs: 600, kind: "restart", host: "n1" },
        { atMs: 700, kind: "clog", from: "n2", to: "n3", durationMs: 200 },
      ],
    };
    const input = await counterexampleFor(counterQuorum, {
      seed: 1,
      variant: "ack-before-fsync",
      faults: plan,
      safetyMs: 1_000,
    });
    const outcome = await shrinkCounterexample(input, { resolveScenario, maxRuns: 150 });
    expect(signatureOf(outcome.minimal)).toBe(signatureOf(input));
    expect(outcome.after.faults).toBeLessThanOrEqual(2);
    await expectReplays(outcome.minimal);
  });

  it("rejects a counterexample that does not fail", async () => {
    const passing = await runScenario(counterQuorum, {
      seed: 1,
      safetyMs: 200,
      livenessMs: 2_000,
      faults: { version: 1, faults: [] },
    });
    expect(passing.ok).toBe(true);
    const input = counterexampleOf(passing, { seed: 1, safetyMs: 200, livenessMs: 2_000 });
    const attempt = shrinkCounterexample(input, { resolveScenario, maxRuns: 10 });
    await expect(attempt).rejects.toThrow(CounterexampleError);
    await expect(attempt).rejects.toThrow(/counterexample does not fail/);
  });

  it("keeps both faults a failure needs (crash of a, cut of b-c) and drops the rest and the workload", async () => {
    const input = await counterexampleFor(twoFaultScenario, { seed: 7, faults: twoFaultPlan });
    const outcome = await shrinkCounterexample(input, { resolveScenario, maxRuns: 400 });
    const faults = outcome.minimal.faultPlan.faults;
    expect(signatureOf(outcome.minimal)).toBe("safety test.crash-and-partition");
    expect(outcome.exhausted).toBe(false);
    expect(faults.some((event) => event.kind === "crash" && event.host === "a")).toBe(true);
    expect(faults.some((event) => event.kind === "partition")).toBe(true);
    expect(faults.length).toBeLessThanOrEqual(3);
    expect(outcome.before.faults).toBe(twoFaultPlan.faults.length);
    expect(outcome.minimal.params?.ticks).toBe(TICKS_MIN);
    expect(outcome.after.safetyMs).toBeLessThan(outcome.before.safetyMs);
    await expectReplays(outcome.minimal);
  });

  it("makes at most maxRuns runs (plus the confirming replay), and still returns a failing counterexample", async () => {
    const input = await counterexampleFor(twoFaultScenario, { seed: 7, faults: twoFaultPlan });
    const outcome = await shrinkCounterexample(input, { resolveScenario, maxRuns: 4 });
    expect(outcome.runs).toBeLessThanOrEqual(5);
    expect(outcome.exhausted).toBe(true);
    expect(signatureOf(outcome.minimal)).toBe(signatureOf(input));
    expect(outcome.after.faults).toBeLessThanOrEqual(outcome.before.faults);
    await expectReplays(outcome.minimal);
  });
});
