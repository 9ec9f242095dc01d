/**
 * Invariants of the shrink steps (src/sim/shrink/episodes.ts, candidate-shrinks.ts), one sentence each:
 * - Grouping a plan into episodes and back gives the same plan, event for event and in order.
 * - A crash pairs with the next restart of its host, a partition or isolation with the next heal, a link-quality change
 *   with its reset.
 * - Removal never separates a fault from its undo: a removal candidate keeps each episode whole or drops it whole.
 * - Every candidate is a valid plan and strictly smaller than its parent (safety phase + events + times + durations +
 *   params
 *   + knob distances from their defaults), so shrinking ends.
 * - A knob candidate that shrinks the cluster keeps no fault on the hosts it no longer has.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faultPlanArbitrary } from "../../../src/sim/faults/arbitrary.ts";
import { parsePlan, type FaultPlan } from "../../../src/sim/faults/plan.ts";
import type { ShrinkCandidate } from "../../../src/sim/shrink/candidate.ts";
import { candidateShrinks, SHRINK_STAGES } from "../../../src/sim/shrink/candidate-shrinks.ts";
import { episodesOf, planOf } from "../../../src/sim/shrink/episodes.ts";
import type { ShrinkableParam } from "../../../src/sim/shrink/shrinkable-params.ts";
import { intKnob, knobDistance, pickKnob, type Knob, type KnobValue } from "../../../src/sim/knobs.ts";
import { towards } from "../../../src/sim/shrink/towards.ts";
import { propertyParameters } from "../../_support/fast-check.ts";

const HOSTS = ["n1", "n2", "n3"];
const SAFETY_MS = 2_000;
const plans = faultPlanArbitrary({
  hosts: HOSTS,
  durationMs: SAFETY_MS,
  kinds: ["partition", "isolate", "clog", "crash", "pause", "clock-skew", "link-quality"],
  maxEvents: 6,
});
const SHRINKABLE: Array<[string, ShrinkableParam]> = [["operations", { min: 1, default: 20 }]];
const KNOBS: Array<[string, Knob]> = [
  ["servers", pickKnob([3, 5], 3)],
  ["electionTimeoutTicks", intKnob(5, 20, 10)],
];
const serversOf = (knobs: Readonly<Record<string, KnobValue>>) =>
  Array.from({ length: Number(knobs.servers) }, (_, index) => `n${index + 1}`);

/** A measure that every shrink step lowers by at least 1. */
function measure(candidate: ShrinkCandidate): number {
  let total = candidate.safetyMs + Number(candidate.params?.operations ?? 20);
  for (const [name, knob] of KNOBS)
    total += candidate.knobs?.[name] === undefined ? 0 : knobDistance(knob, candidate.knobs[name]);
  for (const event of candidate.plan.faults)
    total += 1 + event.atMs + ("durationMs" in event ? (event.durationMs ?? 0) : 0);
  return total;
}

/**
 * Whether `candidate` is `parent` less some of its episodes, each dropped whole (greedy matching of events by value).
 */
function dropsWholeEpisodes(parent: FaultPlan, candidate: FaultPlan): boolean {
  const remaining = candidate.faults.map((event) => JSON.stringify(event));
  for (const episode of episodesOf(parent)) {
    const keys = [episode.start.event, ...(episode.end === undefined ? [] : [episode.end.event])].map((event) =>
      JSON.stringify(event),
    );
    const positions = keys.map((key) => remaining.indexOf(key));
    if (positions.some((position) => position < 0)) continue;
    for (const key of keys) remaining.splice(remaining.indexOf(key), 1);
  }
  return remaining.length === 0;
}

describe("episodes", () => {
  it("pairs each fault with its undo", () => {
    const plan: FaultPlan = {
      version: 1,
      faults: [
        { atMs: 10, kind: "crash", host: "n1" },
        { atMs: 20, kind: "partition", groups: [["n1"], ["n2", "n3"]] },
        { atMs: 30, kind: "link-quality", lossProbability: 0.2 },
        { atMs: 40, kind: "restart", host: "n1" },
        { atMs: 50, kind: "heal" },
        { atMs: 60, kind: "link-quality", lossProbability: 0, duplicateProbability: 0, reorderProbability: 0 },
        { atMs: 70, kind: "pause", host: "n2", durationMs: 5 },
      ],
    };
    const kinds = episodesOf(plan).map(
      (episode) => `${episode.start.event.kind}${episode.end === undefined ? "" : `+${episode.end.event.kind}`}`,
    );
    expect(kinds).toEqual(["crash+restart", "partition+heal", "link-quality+link-quality", "pause"]);
  });

  it("round-trips any plan", async () => {
    await fc.assert(
      fc.property(plans, (plan) => {
        expect(planOf(episodesOf(plan))).toEqual({ version: plan.version, faults: plan.faults });
      }),
      propertyParameters("shrink.episodes-round-trip", 200),
    );
  });
});

describe("candidateShrinks", () => {
  it("yields valid, strictly smaller candidates, and removal keeps episodes whole", async () => {
    const input = fc.record({
      plan: plans,
      safetyMs: fc.integer({ min: 1, max: SAFETY_MS }),
      operations: fc.integer({ min: 1, max: 50 }),
      violationTimeMs: fc.double({ min: 0, max: SAFETY_MS * 2, noNaN: true }),
    });
    await fc.assert(
      fc.property(input, ({ plan, safetyMs, operations, violationTimeMs }) => {
        const parent: ShrinkCandidate = { plan, safetyMs, params: { operations } };
        for (const { candidate, stage } of candidateShrinks(parent, {
          violationTimeMs,
          shrinkableParams: SHRINKABLE,
        })) {
          expect(() => parsePlan(candidate.plan, HOSTS)).not.toThrow();
          expect(candidate.safetyMs).toBeGreaterThanOrEqual(1);
          expect(measure(candidate)).toBeLessThanOrEqual(measure(parent) - 1);
          if (SHRINK_STAGES[stage] === "remove") expect(dropsWholeEpisodes(plan, candidate.plan)).toBe(true);
        }
      }),
      propertyParameters("shrink.candidates-smaller", 100),
    );
  });

  it("moves knobs toward their defaults and drops the faults on the servers a smaller cluster lacks", async () => {
    const shaped = fc
      .record({ servers: fc.constantFrom(3, 5), electionTimeoutTicks: fc.integer({ min: 5, max: 20 }) })
      .chain((knobs) =>
        fc.record({
          knobs: fc.constant(knobs),
          plan: faultPlanArbitrary({
            hosts: serversOf(knobs),
            durationMs: SAFETY_MS,
            kinds: ["partition", "isolate", "clog", "crash", "pause"],
            maxEvents: 6,
          }),
        }),
      );
    await fc.assert(
      fc.property(shaped, ({ knobs, plan }) => {
        const parent: ShrinkCandidate = { plan, safetyMs: SAFETY_MS, params: undefined, knobs };
        const facts = { violationTimeMs: SAFETY_MS, shrinkableParams: [], knobs: KNOBS, faultHostsOf: serversOf };
        for (const { candidate, stage } of candidateShrinks(parent, facts)) {
          expect(candidate.knobs).toBeDefined();
          expect(() => parsePlan(candidate.plan, serversOf(candidate.knobs ?? {}))).not.toThrow();
          expect(measure(candidate)).toBeLessThanOrEqual(measure(parent) - 1);
          if (SHRINK_STAGES[stage] === "knobs") expect(dropsWholeEpisodes(plan, candidate.plan)).toBe(true);
        }
      }),
      propertyParameters("shrink.knob-candidates", 100),
    );
  });

  it("tries the target first, then halves the gap", () => {
    expect([...towards(100, 0)]).toEqual([0, 50, 75, 88, 94, 97, 99]);
    expect([...towards(1, 1)]).toEqual([]);
  });
});
