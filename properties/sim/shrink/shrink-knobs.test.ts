/**
 * Invariants of knobs in counterexamples and shrinking, one sentence each:
 * - A counterexample records the run's knobs, `dst run` prints them, and a replay runs with them as recorded.
 * - A run refuses knobs the scenario does not declare, and values of another type.
 * - Shrinking brings every knob the failure does not need back to its default, the one
 *   it needs to the failing value nearest its default, and drops the faults on hosts
 *   the smaller cluster no longer has; the minimal file replays exactly.
 * Seeds: the test scenario (properties/sim/shrink/_fixtures/knob-scenario.ts) seeds 1 and 3.
 */
import { describe, expect, it } from "vitest";
import { describeRun } from "../../../src/cli/report.ts";
import { sweepRecordOf } from "../../../src/cli/sweep/sweep-record.ts";
import {
  counterexampleOf,
  CounterexampleError,
  parseCounterexample,
  replayOptions,
} from "../../../src/sim/counterexample.ts";
import { runScenario, ScenarioError } from "../../../src/sim/runner.ts";
import { shrinkCounterexample } from "../../../src/sim/shrink/shrink-counterexample.ts";
import { knobPlan, knobScenario, offDefaultKnobs, THRESHOLD_FAILING_MAX } from "./_fixtures/knob-scenario.ts";

const resolveScenario = () => knobScenario;

describe("knobs in counterexamples", () => {
  it("records the run's knobs and replays them as recorded", async () => {
    const options = { seed: 1, faults: knobPlan, knobs: offDefaultKnobs };
    const result = await runScenario(knobScenario, options);
    expect(result.ok).toBe(false);
    const counterexample = parseCounterexample(JSON.parse(JSON.stringify(counterexampleOf(result, options))));
    expect(counterexample.knobs).toEqual(offDefaultKnobs);
    expect(describeRun(result, 0)).toContain("\nknobs hosts=5 threshold=1 mode=true latencyMs=50\n");
    expect(sweepRecordOf(result, 0).knobs).toEqual(offDefaultKnobs);
    const replay = await runScenario(knobScenario, replayOptions(counterexample));
    expect(replay.fingerprint).toBe(result.fingerprint);
    const drawn = await runScenario(knobScenario, { seed: 3 });
    const fixed = await runScenario(knobScenario, { seed: 3, knobs: drawn.stats.knobs ?? {} });
    expect(fixed.fingerprint, "fixing the drawn knobs changes nothing").toBe(drawn.fingerprint);
  });

  it("refuses a knob the scenario lacks, or a value of another type", async () => {
    await expect(runScenario(knobScenario, { seed: 1, knobs: { servers: 3 } })).rejects.toThrow(ScenarioError);
    await expect(runScenario(knobScenario, { seed: 1, knobs: { hosts: "5" } })).rejects.toThrow(/not a number/);
    const file = {
      format: "dst-counterexample",
      version: 1,
      scenario: "test-knobs",
      seed: 1,
      buggify: false,
      faultPlan: { version: 1, faults: [] },
      expected: { fingerprint: "0123456789abcdef", violations: [] },
    };
    expect(() => parseCounterexample({ ...file, knobs: { hosts: [5] } })).toThrow(CounterexampleError);
    expect(() => parseCounterexample({ ...file, knobs: [5] })).toThrow(CounterexampleError);
  });
});

describe("shrinking knobs", () => {
  it("brings the knobs the failure does not need to their defaults, keeps the one it needs nearest its default", async () => {
    const options = { seed: 1, faults: knobPlan, knobs: offDefaultKnobs };
    const input = counterexampleOf(await runScenario(knobScenario, options), options);
    const outcome = await shrinkCounterexample(input, { resolveScenario, maxRuns: 300 });
    expect(outcome.exhausted).toBe(false);
    expect(outcome.minimal.knobs).toEqual({ hosts: 3, threshold: THRESHOLD_FAILING_MAX, mode: false, latencyMs: 5 });
    expect(outcome.before.knobsOffDefault).toEqual(offDefaultKnobs);
    expect(outcome.after.knobsOffDefault).toEqual({ threshold: THRESHOLD_FAILING_MAX });
    const hosts = outcome.minimal.faultPlan.faults.flatMap((event) => ("host" in event ? [event.host] : []));
    expect(
      hosts.every((host) => ["h1", "h2", "h3"].includes(host)),
      hosts.join(", "),
    ).toBe(true);
    const replay = await runScenario(knobScenario, replayOptions(outcome.minimal));
    expect(replay.fingerprint).toBe(outcome.minimal.expected.fingerprint);
    expect(replay.stats.knobs).toEqual(outcome.minimal.knobs);
  });
});
