/**
 * Fault shape properties (src/sim/faults/shapes.ts, as the swarm places them).
 *
 * Invariants, one sentence each:
 * - Every shape the swarm draws owns a window of the safety phase (recorded in the mix; windows in order, disjoint,
 *   inside the phase): each fault that strikes inside a window is undone inside it (an isolation, crash or pause by its
 *   own duration, counted from the latest moment a role's next holder may be struck; a clog by its duration; slowed
 *   links set back to healthy), and none lasts until a heal.
 * - No other episode reaches into a window: when a window opens, every fault made before it is undone (clock skews
 *   aside, which nothing undoes), and no fault made after it closes strikes inside it.
 * - Shapes are offered, not imposed: a plan has shapes only when the options offer them, only of the kinds offered,
 *   those aimed at the leader only when the scenario declares that role.
 * - A shaped plan is a function of the seed and the options, and round-trips through JSON.
 *
 * The window property restates the contract in its own words (an event model of what
 * is open when), never calling the swarm's own bookkeeping (latestEndMs, overlaps), and
 * is run on broken swarm generators (_fixtures/kernel-fault-plans.ts), which it must catch.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { DEFAULT_LATENCY_MS_MEAN } from "../../src/sim/net/links.ts";
import { parsePlan, type FaultEvent, type FaultPlan } from "../../src/sim/faults/plan.ts";
import { SHAPE_KINDS, type ShapeKind, type ShapeWindow } from "../../src/sim/faults/shapes.ts";
import {
  SWARM_KINDS,
  swarmPlan,
  type SwarmKind,
  type SwarmMix,
  type SwarmOptions,
} from "../../src/sim/faults/swarm.ts";
import { Random } from "../../src/sim/random.ts";
import {
  trespassingSwarmPlan,
  undoDroppingSwarmPlan,
  windowUnderstatingSwarmPlan,
  type SwarmGenerator,
} from "./_fixtures/kernel-fault-plans.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";

const HOST_NAMES = ["n1", "n2", "n3", "n4", "n5", "n6", "n7"] as const;

interface ShapedInput {
  seed: string;
  hosts: string[];
  durationMs: number;
  kinds: SwarmKind[] | undefined;
  roles: readonly string[];
  shapes: readonly ShapeKind[];
}

/** Options as scenarios give them: mostly with the leader role and every shape, often long enough for several. */
const shapedInputArbitrary: fc.Arbitrary<ShapedInput> = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }).map(String),
  hosts: fc.shuffledSubarray([...HOST_NAMES], { minLength: 3 }),
  durationMs: fc.integer({ min: 2_000, max: 40_000 }),
  kinds: fc.option(fc.subarray([...SWARM_KINDS]), { nil: undefined }),
  roles: fc.oneof({ weight: 4, arbitrary: fc.constant(["leader"]) }, { weight: 1, arbitrary: fc.constant([]) }),
  shapes: fc.oneof(
    { weight: 3, arbitrary: fc.constant([...SHAPE_KINDS]) },
    { weight: 1, arbitrary: fc.subarray([...SHAPE_KINDS]) },
  ),
});

function optionsOf(input: ShapedInput): SwarmOptions {
  return {
    hosts: input.hosts,
    durationMs: input.durationMs,
    roles: input.roles,
    shapes: input.shapes,
    ...(input.kinds === undefined ? {} : { kinds: input.kinds }),
  };
}

function windowsOf(plan: FaultPlan): readonly ShapeWindow[] {
  return (plan.origin?.swarm as SwarmMix | undefined)?.shapes ?? [];
}

function describeEvent(event: FaultEvent): string {
  return JSON.stringify(event);
}

// ---------------------------------------------------------------------------
// The model: when each event's fault is undone

/**
 * When a fault made by `event` is undone by the event itself (its own duration, after the latest strike), or "heal"
 * when only a heal undoes it.
 */
function ownUndoMs(event: FaultEvent): number | "heal" | "none" {
  const latestStrikeMs =
    "next" in event && event.next !== undefined ? event.atMs + event.next.withinMs + event.next.delayMs : event.atMs;
  switch (event.kind) {
    case "isolate":
      return event.durationMs === undefined ? "heal" : latestStrikeMs + event.durationMs;
    case "crash":
      return event.durationMs === undefined ? "none" : latestStrikeMs + event.durationMs;
    case "pause":
      return latestStrikeMs + event.durationMs;
    case "clog":
    case "disk-faults":
      return event.atMs + event.durationMs;
    case "partition":
      return "heal";
    case "heal":
    case "restart":
    case "clock-skew":
    case "link-quality":
      return "none";
  }
}

/** True when a link-quality event leaves its links healthy (what it sets is the healthy value). */
function setsHealthy(event: Extract<FaultEvent, { kind: "link-quality" }>): boolean {
  const probabilities = [event.lossProbability, event.duplicateProbability, event.reorderProbability];
  return (
    probabilities.every((probability) => probability === undefined || probability === 0) &&
    (event.latencyMsMean === undefined || event.latencyMsMean === DEFAULT_LATENCY_MS_MEAN)
  );
}

function qualityKey(event: Extract<FaultEvent, { kind: "link-quality" }>): string {
  return event.from === undefined ? "*" : `${event.from}>${event.to}`;
}

/**
 * The faults of `events` (in time order) still in force at `atMs`, described; clock skews are never undone and are left
 * out.
 */
function openAt(events: readonly FaultEvent[], atMs: number): string[] {
  const open = new Map<string, string>();
  const timed: string[] = [];
  for (const event of events) {
    if (event.atMs > atMs) break;
    const undo = ownUndoMs(event);
    if (typeof undo === "number" && undo > atMs) timed.push(`${describeEvent(event)} until ${undo}`);
    switch (event.kind) {
      case "crash":
        if (event.durationMs === undefined) open.set(`crash ${event.host}`, describeEvent(event));
        break;
      case "restart":
        open.delete(`crash ${event.host}`);
        break;
      case "partition":
        open.set("network", describeEvent(event));
        break;
      case "isolate":
        if (event.durationMs === undefined) open.set("network", describeEvent(event));
        break;
      case "heal":
        open.delete("network");
        break;
      case "link-quality":
        if (setsHealthy(event)) open.delete(`quality ${qualityKey(event)}`);
        else open.set(`quality ${qualityKey(event)}`, describeEvent(event));
        break;
      default:
        break;
    }
  }
  return [...open.values(), ...timed];
}

// ---------------------------------------------------------------------------
// Properties

function windowsProperty(generate: SwarmGenerator): fc.IProperty<[ShapedInput]> {
  return fc.property(shapedInputArbitrary, (input) => {
    const plan = generate(new Random(input.seed), optionsOf(input));
    const windows = windowsOf(plan);
    let previousEndMs = -1;
    for (const window of windows) {
      invariant(
        window.startMs > previousEndMs && window.startMs <= window.endMs,
        () => `windows out of order or overlapping: ${JSON.stringify(windows)}`,
      );
      invariant(
        window.startMs >= 0 && window.endMs <= input.durationMs,
        () => `window ${JSON.stringify(window)} is outside the safety phase (${input.durationMs} ms)`,
      );
      previousEndMs = window.endMs;
    }
    const inside = (window: ShapeWindow) =>
      plan.faults.filter((event) => event.atMs >= window.startMs && event.atMs <= window.endMs);
    const outside = plan.faults.filter(
      (event) => !windows.some((window) => event.atMs >= window.startMs && event.atMs <= window.endMs),
    );
    for (const window of windows) {
      // What the shape made is undone inside its window.
      const events = inside(window);
      invariant(events.length > 0, () => `window ${JSON.stringify(window)} holds no event`);
      for (const event of events) {
        const undo = ownUndoMs(event);
        invariant(
          undo !== "heal",
          () => `${describeEvent(event)} in window ${JSON.stringify(window)} lasts until the next heal`,
        );
        invariant(
          !(event.kind === "crash" && undo === "none"),
          () => `${describeEvent(event)} in window ${JSON.stringify(window)} is never restarted inside it`,
        );
        invariant(
          typeof undo !== "number" || undo <= window.endMs,
          () =>
            `${describeEvent(event)} is undone at ${String(undo)}, after its window ${JSON.stringify(window)} closed`,
        );
      }
      const left = openAt(events, window.endMs).filter((fault) => !fault.includes(" until "));
      invariant(
        left.length === 0,
        () => `window ${JSON.stringify(window)} closes with its faults in force: ${left.join("; ")}`,
      );
      // Nothing from outside is in force when it opens, nor strikes while it is open.
      const before = openAt(outside, window.startMs);
      invariant(
        before.length === 0,
        () => `window ${JSON.stringify(window)} opens with other faults in force: ${before.join("; ")}`,
      );
    }
  });
}

function offeredProperty(generate: SwarmGenerator): fc.IProperty<[ShapedInput]> {
  return fc.property(shapedInputArbitrary, (input) => {
    const plan = generate(new Random(input.seed), optionsOf(input));
    for (const window of windowsOf(plan)) {
      invariant(
        input.shapes.includes(window.kind),
        () => `${window.kind} drawn, not offered (${input.shapes.join(", ")})`,
      );
      invariant(
        window.kind === "crash-wave" || input.roles.includes("leader"),
        () => `${window.kind} drawn for a scenario without the leader role`,
      );
    }
    const { shapes: _shapes, ...unshaped } = optionsOf(input);
    const plain = generate(new Random(input.seed), unshaped);
    invariant(
      windowsOf(plain).length === 0 && (plain.origin?.swarm as SwarmMix).shapes === undefined,
      () => "shapes drawn for a scenario that offers none",
    );
  });
}

function deterministicProperty(generate: SwarmGenerator): fc.IProperty<[ShapedInput, number]> {
  return fc.property(shapedInputArbitrary, fc.integer({ min: 0, max: 20 }), (input, earlierDraws) => {
    const first = generate(new Random(input.seed), optionsOf(input));
    const random = new Random(input.seed);
    for (let i = 0; i < earlierDraws; i++) random.next();
    expect(generate(random, optionsOf(input))).toStrictEqual(first);
    expect(parsePlan(JSON.parse(JSON.stringify(first)) as unknown, input.hosts)).toStrictEqual(first);
  });
}

// ---------------------------------------------------------------------------

describe("sim.fault-shapes.windows: each shape's faults are undone inside its window, and no other episode reaches into it", () => {
  const name = "sim.fault-shapes.windows";
  it("holds for the swarm generator", () => {
    fc.assert(windowsProperty(swarmPlan), propertyParameters(name, 300));
  });
  it.each([
    ["lets other episodes into the windows", trespassingSwarmPlan],
    ["leaves a shape's isolations to the next heal", undoDroppingSwarmPlan],
    ["records windows that close before the shape's faults are undone", windowUnderstatingSwarmPlan],
  ])("catches a generator that %s", async (_label, generate) => {
    await expectCaught(windowsProperty(generate), name, 300);
  });
});

describe("sim.fault-shapes.offered: shapes only when offered, of the kinds offered, leader shapes only with the leader role", () => {
  it("holds for the swarm generator", () => {
    fc.assert(offeredProperty(swarmPlan), propertyParameters("sim.fault-shapes.offered", 200));
  });
  it("draws every kind with the leader role and a long enough safety phase", () => {
    const drawn = new Set<ShapeKind>();
    for (let seed = 1; seed <= 40; seed++) {
      const plan = swarmPlan(new Random(String(seed)), {
        hosts: ["n1", "n2", "n3"],
        durationMs: 10_000,
        roles: ["leader"],
        shapes: SHAPE_KINDS,
      });
      for (const window of windowsOf(plan)) drawn.add(window.kind);
    }
    expect([...drawn].sort()).toEqual([...SHAPE_KINDS].sort());
  });
});

describe("sim.fault-shapes.deterministic: a shaped plan is a function of seed and options, and round-trips through JSON", () => {
  it("holds for the swarm generator", () => {
    fc.assert(deterministicProperty(swarmPlan), propertyParameters("sim.fault-shapes.deterministic", 200));
  });
});
