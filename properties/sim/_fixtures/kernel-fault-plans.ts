/**
 * Deliberately broken fault-plan machinery, never used by shipping code: a parser that
 * forgets optional fields, a parser that lets malformed plans through, a swarm generator
 * that depends on ambient state, one that ignores the minority bound, a plan
 * arbitrary that shrinks a seed instead of the plan, and swarm generators whose fault
 * shapes are unsound: one lets the other episodes into a shape's window, one leaves a
 * shape's isolations to the next heal, one records windows that close before the
 * shape's faults are undone.
 */
import fc from "fast-check";
import { normalizePlan, parsePlan, type FaultEvent, type FaultPlan } from "../../../src/sim/faults/plan.ts";
import type { ShapeWindow } from "../../../src/sim/faults/shapes.ts";
import { swarmPlan, type SwarmMix, type SwarmOptions } from "../../../src/sim/faults/swarm.ts";
import { Random } from "../../../src/sim/random.ts";

export type PlanParser = (value: unknown, hosts?: readonly string[]) => FaultPlan;
export type SwarmGenerator = (random: Random, options: SwarmOptions) => FaultPlan;

/** Parses, then drops the optional `oneWay` and `drift` fields (a one-way partition becomes symmetric). */
export const forgetfulParsePlan: PlanParser = (value, hosts) => {
  const plan = parsePlan(value, hosts);
  const faults = plan.faults.map((fault) => {
    const copy: Record<string, unknown> = { ...fault };
    delete copy.oneWay;
    delete copy.drift;
    return copy as unknown as FaultPlan["faults"][number];
  });
  return { ...plan, faults };
};

/** Skips events of unknown kinds and checks no host names. */
export const lenientParsePlan: PlanParser = (value) => {
  if (typeof value !== "object" || value === null) return parsePlan(value);
  const faults = (value as { faults?: unknown }).faults;
  if (!Array.isArray(faults)) return parsePlan(value);
  const known = new Set([
    "partition",
    "isolate",
    "heal",
    "clog",
    "crash",
    "restart",
    "pause",
    "clock-skew",
    "link-quality",
    "disk-faults",
  ]);
  const kept = faults.filter(
    (fault: unknown) =>
      typeof fault === "object" && fault !== null && known.has((fault as { kind?: unknown }).kind as string),
  );
  return parsePlan({ ...value, faults: kept });
};

let swarmCalls = 0;

/** Draws from a stream that also depends on how many plans were generated before in this process. */
export const ambientSwarmPlan: SwarmGenerator = (random, options) =>
  swarmPlan(random.fork(`call/${swarmCalls++}`), options);

/** Lets every host be down at once. */
export const majorityCrashingSwarmPlan: SwarmGenerator = (random, options) =>
  swarmPlan(random, { ...options, downAtOnceMax: options.hosts.length });

/** Plans drawn from a swarm seed: fast-check shrinks the seed, which says nothing about the plan. */
export function seedShrinkingPlanArbitrary(hosts: readonly string[], durationMs: number): fc.Arbitrary<FaultPlan> {
  return fc
    .integer({ min: 0, max: 1_000_000 })
    .map((seed) => swarmPlan(new Random(String(seed)), { hosts, durationMs }));
}

/** The shape windows a swarm plan records (none when the scenario offers no shape). */
function windowsOf(plan: FaultPlan): readonly ShapeWindow[] {
  return (plan.origin?.swarm as SwarmMix | undefined)?.shapes ?? [];
}

function inWindow(event: FaultEvent, windows: readonly ShapeWindow[]): boolean {
  return windows.some((window) => event.atMs >= window.startMs && event.atMs <= window.endMs);
}

/** Draws the shapes, then adds every episode the seed drew, those that overlap a shape's window too. */
export const trespassingSwarmPlan: SwarmGenerator = (random, options) => {
  const shaped = swarmPlan(random, options);
  const windows = windowsOf(shaped);
  const { shapes: _shapes, ...unshapedOptions } = options;
  const episodes = swarmPlan(random, unshapedOptions).faults;
  return normalizePlan({
    ...shaped,
    faults: [...shaped.faults.filter((event) => inWindow(event, windows)), ...episodes],
  });
};

/** A shape's isolations last until the next heal: the duration that undoes each alone is dropped. */
export const undoDroppingSwarmPlan: SwarmGenerator = (random, options) => {
  const plan = swarmPlan(random, options);
  const windows = windowsOf(plan);
  const faults = plan.faults.map((event) => {
    if (event.kind !== "isolate" || !inWindow(event, windows)) return event;
    const { durationMs: _durationMs, ...rest } = event;
    return rest;
  });
  return { ...plan, faults };
};

/** Records each shape's window as closing at its last event's time, before the faults it made are undone. */
export const windowUnderstatingSwarmPlan: SwarmGenerator = (random, options) => {
  const plan = swarmPlan(random, options);
  const mix = plan.origin?.swarm as SwarmMix | undefined;
  if (mix?.shapes === undefined) return plan;
  const shapes = mix.shapes.map((window) => {
    const atMs = plan.faults
      .filter((event) => event.atMs >= window.startMs && event.atMs <= window.endMs)
      .map((event) => event.atMs);
    return { ...window, endMs: Math.max(window.startMs, ...atMs) };
  });
  return { ...plan, origin: { swarm: { ...mix, shapes } } };
};
