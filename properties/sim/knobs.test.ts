/**
 * Invariants of knobs (src/sim/knobs.ts), one sentence each:
 * - A knob draws only values it declares, the same value for the same stream.
 * - Shrinking a knob tries its default first, then values strictly closer to it, none twice; nothing at the default.
 * - A declaration whose default it can never draw, or with nothing to draw, is refused.
 * - Every registered scenario declares well-formed knobs, and draws each from its own stream.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../scenarios/index.ts";
import {
  boolKnob,
  describeKnob,
  describeKnobs,
  drawKnob,
  intKnob,
  knobCanDraw,
  knobDistance,
  knobProblem,
  knobShrinks,
  pickKnob,
  type Knob,
  type KnobValue,
} from "../../src/sim/knobs.ts";
import { runScenario, ScenarioError } from "../../src/sim/runner.ts";
import { Random } from "../../src/sim/random.ts";
import { propertyParameters } from "../_support/fast-check.ts";

const pickKnobs = fc
  .uniqueArray(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constantFrom("a", "b", "c", "d")), {
    minLength: 1,
    maxLength: 6,
  })
  .chain((values) => fc.constantFrom(...values).map((home) => pickKnob(values, home)));
const intKnobs = fc
  .tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 200 }))
  .chain(([min, width]) => fc.integer({ min, max: min + width }).map((home) => intKnob(min, min + width, home)));
const boolKnobs = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean())
  .map(([probability, home]) => boolKnob(probability, home));
const knobs: fc.Arbitrary<Knob> = fc.oneof(pickKnobs, intKnobs, boolKnobs);

function drawable(knob: Knob): unknown[] {
  if (knob.kind === "pick") return [...knob.values];
  if (knob.kind === "bool") return [true, false];
  return Array.from({ length: knob.max - knob.min + 1 }, (_, index) => knob.min + index);
}

describe("knobs", () => {
  it("draw only declared values, the same for the same stream", () => {
    fc.assert(
      fc.property(knobs, fc.string(), (knob, seed) => {
        const value = drawKnob(knob, new Random(seed));
        expect(drawable(knob)).toContain(value);
        expect(drawKnob(knob, new Random(seed))).toBe(value);
      }),
      propertyParameters("knobs.draw-declared-values", 200),
    );
  });

  it("shrink toward the default: the default first, each value strictly closer, none twice", () => {
    fc.assert(
      fc.property(knobs, (knob) => {
        for (const value of drawable(knob) as Array<number | string | boolean>) {
          const shrinks = knobShrinks(knob, value);
          const distance = knobDistance(knob, value);
          if (distance === 0) {
            expect(shrinks).toEqual([]);
            continue;
          }
          expect(shrinks[0]).toBe(knob.default);
          expect(new Set(shrinks).size).toBe(shrinks.length);
          for (const closer of shrinks) expect(knobDistance(knob, closer)).toBeLessThan(distance);
        }
      }),
      propertyParameters("knobs.shrink-toward-default", 200),
    );
  });

  it("shrink an int by halving the gap and a pick along its list", () => {
    expect(knobShrinks(intKnob(5, 20, 10), 20)).toEqual([10, 15, 18, 19]);
    expect(knobShrinks(intKnob(5, 20, 10), 5)).toEqual([10, 7, 6]);
    expect(knobShrinks(pickKnob([1, 8, 64, 512], 512), 1)).toEqual([512, 64, 8]);
    expect(knobShrinks(pickKnob([3, 5], 3), 4)).toEqual([3]);
    expect(knobShrinks(boolKnob(0.5, true), false)).toEqual([true]);
  });

  it("describe what they may take and their default (dst list --knobs), and a run's values (dst run)", () => {
    expect(describeKnob(pickKnob([3, 5], 3))).toBe("3 | 5, default 3");
    expect(describeKnob(intKnob(5, 20, 10))).toBe("5..20, default 10");
    expect(describeKnob(boolKnob(0.5, true))).toBe("true with p=0.5, default true");
    expect(describeKnobs({ servers: 5, preVote: false })).toBe("servers=5 preVote=false");
  });

  it("refuse a default they cannot draw, or nothing to draw", () => {
    expect(knobProblem(pickKnob([3, 5], 4))).toMatch(/not one of its values/);
    expect(knobProblem(pickKnob([], 4))).toMatch(/no values/);
    expect(knobProblem(pickKnob([3, 3], 3))).toMatch(/twice/);
    expect(knobProblem(intKnob(5, 20, 21))).toMatch(/outside/);
    expect(knobProblem(intKnob(5, 4, 5))).toMatch(/no integers/);
    expect(knobProblem(boolKnob(1.5, true))).toMatch(/probability/);
    expect(knobProblem(intKnob(5, 20, 10))).toBeUndefined();
  });

  it("can draw exactly the values drawing gives (what a replay or --knob may fix)", () => {
    fc.assert(
      fc.property(
        knobs,
        fc.oneof(
          fc.integer({ min: -300, max: 300 }),
          fc.double({ noNaN: true }),
          fc.constantFrom("a", "e", "3"),
          fc.boolean(),
        ),
        (knob, value: KnobValue) => {
          expect(knobCanDraw(knob, value)).toBe(drawable(knob).includes(value));
        },
      ),
      propertyParameters("knobs.can-draw", 200),
    );
  });

  it("a run refuses a fixed knob value the knob cannot draw (servers=4 of 3 | 5, a fractional int), before it starts", async () => {
    const scenario = SCENARIOS.find((candidate) => candidate.name === "etcd-kv");
    if (scenario === undefined) throw new Error("etcd-kv is gone");
    await expect(runScenario(scenario, { seed: 1, knobs: { servers: 4 } })).rejects.toThrow(ScenarioError);
    await expect(runScenario(scenario, { seed: 1, knobs: { electionTimeoutHeartbeats: 7.5 } })).rejects.toThrow(
      /not a value it can take/,
    );
  });

  for (const scenario of SCENARIOS.filter((candidate) => candidate.knobs !== undefined)) {
    it(`${scenario.name}: every knob is well formed`, () => {
      for (const [name, knob] of Object.entries(scenario.knobs ?? {}))
        expect(knobProblem(knob), `${scenario.name} knob ${name}`).toBeUndefined();
    });
  }
});
