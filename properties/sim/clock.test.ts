/**
 * Clock properties judged against the skews and drifts the test set (src/sim/host.ts,
 * faults/apply.ts, faults/clock-episodes.ts), modelled in the test
 * (_support/clock-model.ts), never against the HostClock's own anchors and rate.
 *
 * Invariants, one sentence each:
 * - Under any sequence of skews and drift changes, alone or together, env.clock's monotonic time is the integral of its
 *   rate, its wall time that plus every skew so far, and a sleep or timer of d local ms ends when the monotonic clock
 *   has moved d.
 * - The same holds on the swarm's clock episodes when they change drift apart from skews; with a skew at the same
 *   instant a clock that forgets to re-anchor at a drift change goes unseen.
 * - Whether a run's episodes change drift apart is drawn per seed and recorded in the swarm's mix; a run not apart gets
 *   the first swarm's plan, and the choice moves no event but clock-skews.
 *
 * Each property runs on the shipping world and on broken clocks (_fixtures/kernel-clocks.ts),
 * which it must catch.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import type { Env } from "../../src/sim/env.ts";
import { applyPlan } from "../../src/sim/faults/apply.ts";
import { FAULT_PLAN_VERSION, type FaultEvent, type FaultPlan } from "../../src/sim/faults/plan.ts";
import { swarmPlan } from "../../src/sim/faults/swarm.ts";
import { Random } from "../../src/sim/random.ts";
import type { World } from "../../src/sim/world.ts";
import {
  driftAppliedTwiceWorld,
  driftIgnoredWorld,
  driftIgnoringWorld,
  driftKeepsTimerPlansWorld,
  driftWithoutReanchorWorld,
  skewJumpsMonotonicWorld,
} from "./_fixtures/kernel-clocks.ts";
import { ClockModel, type ClockChange } from "./_support/clock-model.ts";
import { checkProperty, expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

const TOLERANCE_MS = 1e-6;
const RUN_MS = 3000;

/** What a host saw of its clock: each reading, and each wait with when it began and ended. */
interface Readings {
  samples: Array<{ time: number; wall: number; monotonic: number }>;
  waits: Array<{ what: string; localMs: number; start: number; end?: number }>;
}

/** Samples the clock between sleeps of `steps` local ms, and sets a timer at each sample. */
function clockWatcher(
  world: World,
  steps: readonly number[],
  timers: readonly number[],
  readings: Readings,
): (env: Env) => Promise<void> {
  return async (env) => {
    await env.clock.sleep(0.5);
    for (const [index, step] of steps.entries()) {
      const start = world.now;
      readings.samples.push({ time: start, wall: env.clock.now(), monotonic: env.clock.monotonic() });
      const timer = {
        what: `timer ${index}`,
        localMs: timers[index % timers.length] as number,
        start,
        end: undefined as number | undefined,
      };
      readings.waits.push(timer);
      env.clock.setTimer(timer.localMs, () => void (timer.end = world.now));
      const sleep = { what: `sleep ${index}`, localMs: step, start, end: undefined as number | undefined };
      readings.waits.push(sleep);
      await env.clock.sleep(step);
      sleep.end = world.now;
    }
  };
}

function judge(host: string, model: ClockModel, readings: Readings): void {
  for (const sample of readings.samples) {
    if (model.atChange(sample.time)) continue;
    const at = `${host} at t=${sample.time}`;
    invariant(
      Math.abs(sample.monotonic - model.monotonic(sample.time)) <= TOLERANCE_MS,
      () =>
        `${at}: monotonic read ${sample.monotonic}, the skews and drifts set make it ${model.monotonic(sample.time)}`,
    );
    invariant(
      Math.abs(sample.wall - model.wall(sample.time)) <= TOLERANCE_MS,
      () => `${at}: wall read ${sample.wall}, the skews and drifts set make it ${model.wall(sample.time)}`,
    );
  }
  for (const wait of readings.waits) {
    if (model.atChange(wait.start)) continue;
    const expected = model.trueTimeAt(model.monotonic(wait.start) + wait.localMs);
    if (expected > RUN_MS) continue;
    invariant(
      wait.end !== undefined && Math.abs(wait.end - expected) <= TOLERANCE_MS,
      () =>
        `${host}: ${wait.what} of ${wait.localMs} local ms begun at t=${wait.start} ended at t=${wait.end}, the skews and drifts set end it at t=${expected}`,
    );
  }
}

function clockChangesOf(plan: FaultPlan, host: string): ClockChange[] {
  return plan.faults.flatMap((event) => (event.kind === "clock-skew" && event.host === host ? [event] : []));
}

async function checkClocks(
  makeWorld: WorldFactory,
  seed: number,
  plan: FaultPlan,
  hosts: readonly string[],
  steps: readonly number[],
  timers: readonly number[],
): Promise<void> {
  const world = makeWorld({ seed });
  const readings = new Map<string, Readings>();
  for (const host of hosts) {
    const watched: Readings = { samples: [], waits: [] };
    readings.set(host, watched);
    world.addHost(host, clockWatcher(world, steps, timers, watched)).start();
  }
  applyPlan(world, plan);
  await world.scheduler.run({ untilTime: RUN_MS });
  for (const host of hosts) judge(host, new ClockModel(clockChangesOf(plan, host)), readings.get(host) as Readings);
}

// ---------------------------------------------------------------------------
// Any skews and drifts

interface ClockInput {
  seed: number;
  changes: Array<{ atMs: number; offsetMs?: number; drift?: number }>;
  steps: number[];
  timers: number[];
}

const clockChange = fc
  .record({
    atMs: fc.integer({ min: 1, max: 400 }),
    offsetMs: fc.integer({ min: -5000, max: 5000 }),
    drift: fc.double({ min: -0.2, max: 0.2, noNaN: true, noDefaultInfinity: true }),
    shape: fc.constantFrom("skew" as const, "drift" as const, "both" as const),
  })
  .map(({ atMs, offsetMs, drift, shape }) => ({
    atMs,
    ...(shape === "drift" ? {} : { offsetMs }),
    ...(shape === "skew" ? {} : { drift }),
  }));

const clockInput: fc.Arbitrary<ClockInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  changes: fc.array(clockChange, { minLength: 1, maxLength: 6 }),
  steps: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 15 }),
  timers: fc.array(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 200, noNaN: true })), {
    minLength: 1,
    maxLength: 5,
  }),
});

function planOf(changes: ClockInput["changes"]): FaultPlan {
  return {
    version: FAULT_PLAN_VERSION,
    faults: changes.map((change): FaultEvent => ({ kind: "clock-skew", host: "a", ...change })),
  };
}

function clockProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[ClockInput]> {
  return fc.asyncProperty(clockInput, (input) =>
    checkClocks(makeWorld, input.seed, planOf(input.changes), ["a"], input.steps, input.timers),
  );
}

describe("sim.clock.model: env.clock follows the skews and drifts the test set", () => {
  const name = "sim.clock.model";
  it("holds for the world", async () => {
    await fc.assert(clockProperty(realWorld), propertyParameters(name, 60));
  });
  it.each([
    ["applies each drift twice", driftAppliedTwiceWorld],
    ["ignores drift changes", driftIgnoredWorld],
    ["forgets to re-anchor at a drift change", driftWithoutReanchorWorld],
    ["leaves pending timers planned at the old rate", driftKeepsTimerPlansWorld],
    ["lets sleeps and timers ignore drift", driftIgnoringWorld],
    ["jumps the monotonic clock at a skew", skewJumpsMonotonicWorld],
  ])("catches a clock that %s", async (_label, makeWorld) => {
    await expectCaught(clockProperty(makeWorld), name, 60);
  });
});

// ---------------------------------------------------------------------------
// The swarm's clock episodes

const SWARM_HOSTS = ["a", "b"] as const;

interface SwarmClockInput {
  seed: number;
  steps: number[];
}

const swarmClockInput: fc.Arbitrary<SwarmClockInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  steps: fc.array(fc.integer({ min: 5, max: 80 }), { minLength: 5, maxLength: 20 }),
});

function swarmClockProperty(
  makeWorld: WorldFactory,
  clockDriftApart: boolean | undefined,
): fc.IAsyncProperty<[SwarmClockInput]> {
  return fc.asyncProperty(swarmClockInput, (input) => {
    const plan = swarmPlan(new Random(`swarm-clock-${input.seed}`), {
      hosts: SWARM_HOSTS,
      durationMs: 800,
      kinds: ["clock-skew"],
      clockDriftApart,
    });
    return checkClocks(makeWorld, input.seed, plan, SWARM_HOSTS, input.steps, [7, 33.3, 120]);
  });
}

describe("sim.clock.swarm-drift: the swarm's clock episodes reach drift changes without a skew", () => {
  const name = "sim.clock.swarm-drift";
  it("holds for the world, with drift apart from skews, with both together, and drawn per seed", async () => {
    await fc.assert(swarmClockProperty(realWorld, true), propertyParameters(name, 40));
    await fc.assert(swarmClockProperty(realWorld, false), propertyParameters(name, 40));
    await fc.assert(swarmClockProperty(realWorld, undefined), propertyParameters(name, 40));
  });
  it("catches a clock that forgets to re-anchor at a drift change, with drift apart and drawn per seed", async () => {
    await expectCaught(swarmClockProperty(driftWithoutReanchorWorld, true), name, 40);
    await expectCaught(swarmClockProperty(driftWithoutReanchorWorld, undefined), name, 40);
  });
  it("misses it when every drift change comes with a skew (the swarm's first shape): why drift apart exists", async () => {
    const details = await checkProperty(swarmClockProperty(driftWithoutReanchorWorld, false), name, 40);
    expect(details.failed).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// Drift apart, drawn per seed

/** A plan's events other than clock-skews, and the mix without the clock choice: what drift apart must not move. */
function withoutClocks(plan: FaultPlan): unknown {
  const { clockDriftApart: _choice, ...mix } = (plan.origin?.swarm ?? {}) as { clockDriftApart?: boolean };
  return { faults: plan.faults.filter((event) => event.kind !== "clock-skew"), mix };
}

function driftsWithSkews(plan: FaultPlan): boolean {
  const skews = plan.faults.filter((event) => event.kind === "clock-skew");
  return skews.every((event) => event.offsetMs !== undefined && event.drift !== undefined);
}

describe("sim.clock.swarm-apart: drift apart is drawn per seed, recorded in the mix, and moves clock episodes only", () => {
  it("records the choice whenever clock-skew is on, keeps the first shape when not apart, and draws both", () => {
    const hosts = ["a", "b", "c"];
    const drawn = { apart: 0, together: 0 };
    for (let seed = 0; seed < 200; seed++) {
      const plan = swarmPlan(new Random(`swarm-apart-${seed}`), { hosts, durationMs: 5000 });
      const first = swarmPlan(new Random(`swarm-apart-${seed}`), { hosts, durationMs: 5000, clockDriftApart: false });
      const mix = plan.origin?.swarm as { enabled: string[]; clockDriftApart?: boolean };
      expect(withoutClocks(plan), `seed ${seed}`).toEqual(withoutClocks(first));
      expect(driftsWithSkews(first), `seed ${seed}`).toBe(true);
      if (!mix.enabled.includes("clock-skew")) {
        expect(mix.clockDriftApart, `seed ${seed}`).toBeUndefined();
        continue;
      }
      expect(typeof mix.clockDriftApart, `seed ${seed}`).toBe("boolean");
      if (mix.clockDriftApart === true) drawn.apart++;
      else {
        drawn.together++;
        expect(plan.faults, `seed ${seed}`).toEqual(first.faults);
      }
    }
    expect(drawn.apart).toBeGreaterThan(20);
    expect(drawn.together).toBeGreaterThan(20);
  });
});
