/**
 * Deliberately broken fault-plan machinery, never used by shipping code: a parser that
 * forgets optional fields, a parser that lets malformed plans through, a swarm generator
 * that depends on ambient state, one that ignores the minority bound, and a plan
 * arbitrary that shrinks a seed instead of the plan.
 */
import fc from "fast-check";
import { parsePlan, type FaultPlan } from "../../../src/sim/faults/plan.ts";
import { swarmPlan, type SwarmOptions } from "../../../src/sim/faults/swarm.ts";
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
  const known = new Set(["partition", "isolate", "heal", "clog", "crash", "restart", "pause", "clock-skew", "link-quality", "disk-faults"]);
  const kept = faults.filter((fault: unknown) => typeof fault === "object" && fault !== null && known.has((fault as { kind?: unknown }).kind as string));
  return parsePlan({ ...value, faults: kept });
};

let swarmCalls = 0;

/** Draws from a stream that also depends on how many plans were generated before in this process. */
export const ambientSwarmPlan: SwarmGenerator = (random, options) => swarmPlan(random.fork(`call/${swarmCalls++}`), options);

/** Lets every host be down at once. */
export const majorityCrashingSwarmPlan: SwarmGenerator = (random, options) =>
  swarmPlan(random, { ...options, downAtOnceMax: options.hosts.length });

/** Plans drawn from a swarm seed: fast-check shrinks the seed, which says nothing about the plan. */
export function seedShrinkingPlanArbitrary(hosts: readonly string[], durationMs: number): fc.Arbitrary<FaultPlan> {
  return fc.integer({ min: 0, max: 1_000_000 }).map((seed) => swarmPlan(new Random(String(seed)), { hosts, durationMs }));
}
