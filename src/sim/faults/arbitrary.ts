/**
 * fast-check arbitraries for fault plans, so that fast-check shrinks a failing run
 * to the smallest plan that still fails: fewer events, earlier times, shorter faults.
 */
import fc from "fast-check";
import { FAULT_PLAN_VERSION, normalizePlan, type FaultEvent, type FaultPlan } from "./plan.ts";
import type { SwarmKind } from "./swarm.ts";

export interface FaultPlanArbitraryOptions {
  hosts: readonly string[];
  durationMs: number;
  kinds?: readonly SwarmKind[];
  maxEvents?: number;
}

export function faultPlanArbitrary(options: FaultPlanArbitraryOptions): fc.Arbitrary<FaultPlan> {
  const { hosts, durationMs } = options;
  const kinds = new Set(options.kinds ?? ["partition", "isolate", "clog", "crash", "pause", "clock-skew", "link-quality"]);
  const time = fc.integer({ min: 0, max: durationMs });
  const length = fc.integer({ min: 1, max: Math.max(1, Math.floor(durationMs / 2)) });
  const host = fc.constantFrom(...hosts);
  const episodes: fc.Arbitrary<FaultEvent[]>[] = [];
  if (kinds.has("partition") && hosts.length >= 2) {
    episodes.push(
      fc.tuple(time, length, fc.shuffledSubarray([...hosts], { minLength: 1, maxLength: hosts.length - 1 }), fc.boolean()).map(
        ([atMs, durationMs, side, oneWay]): FaultEvent[] => [
          { atMs, kind: "partition", groups: [side, hosts.filter((name) => !side.includes(name))], oneWay },
          { atMs: atMs + durationMs, kind: "heal" },
        ],
      ),
    );
  }
  if (kinds.has("isolate")) {
    episodes.push(fc.tuple(time, length, host).map(([atMs, durationMs, name]): FaultEvent[] => [
      { atMs, kind: "isolate", host: name },
      { atMs: atMs + durationMs, kind: "heal" },
    ]));
  }
  if (kinds.has("clog") && hosts.length >= 2) {
    episodes.push(fc.tuple(time, length, host, host).filter(([, , from, to]) => from !== to).map(([atMs, durationMs, from, to]): FaultEvent[] => [
      { atMs, kind: "clog", from, to, durationMs },
    ]));
  }
  if (kinds.has("crash")) {
    episodes.push(fc.tuple(time, length, host).map(([atMs, durationMs, name]): FaultEvent[] => [
      { atMs, kind: "crash", host: name },
      { atMs: atMs + durationMs, kind: "restart", host: name },
    ]));
  }
  if (kinds.has("pause")) {
    episodes.push(fc.tuple(time, length, host).map(([atMs, durationMs, name]): FaultEvent[] => [{ atMs, kind: "pause", host: name, durationMs }]));
  }
  if (kinds.has("clock-skew")) {
    episodes.push(fc.tuple(time, host, fc.integer({ min: -2000, max: 2000 })).map(([atMs, name, offsetMs]): FaultEvent[] => [
      { atMs, kind: "clock-skew", host: name, offsetMs },
    ]));
  }
  if (kinds.has("link-quality")) {
    const probability = fc.double({ min: 0, max: 0.3, noNaN: true });
    episodes.push(fc.tuple(time, length, probability, probability, probability).map(([atMs, durationMs, loss, duplicate, reorder]): FaultEvent[] => [
      { atMs, kind: "link-quality", lossProbability: loss, duplicateProbability: duplicate, reorderProbability: reorder },
      { atMs: atMs + durationMs, kind: "link-quality", lossProbability: 0, duplicateProbability: 0, reorderProbability: 0 },
    ]));
  }
  if (episodes.length === 0) return fc.constant({ version: FAULT_PLAN_VERSION, faults: [] });
  return fc
    .array(fc.oneof(...episodes), { maxLength: options.maxEvents ?? 8 })
    .map((groups) => normalizePlan({ version: FAULT_PLAN_VERSION, faults: groups.flat() }));
}
