/**
 * Invariant: a CoverSet holds exactly the fragments a brute-force model keeps
 * (none covered by another; adding a covered fragment is a no-op unless it has
 * the same span, which it replaces; adding one removes those it covers), in
 * order of Begin and End, and answers LongestOverlappingFragment and
 * CoverSetDifference as the model does.
 *
 * Method: fast-check generates sequences of spans (small offsets, so that they
 * collide often), adds them to a CoverSet and to the model, and compares after
 * each step. Gazette's own examples (cover_set_test.go) are replayed too. Broken
 * variant: a set that keeps covered fragments.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CoverSet, covers, type CoverSetEntry } from "../../../../src/impl/gazette/broker/fragment/cover-set.ts";
import { coverSetOf, type CoverSetBrokenVariant } from "../../_fixtures/broken-broker.ts";
import type { Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import { propertyParameters } from "../../../_support/fast-check.ts";

type Span = [number, number];
interface Entry extends CoverSetEntry {
  id: number;
}

function entry(begin: number, end: number, id = 0): Entry {
  const fragment: Fragment = {
    journal: "a/journal",
    begin,
    end,
    sum: "0".repeat(40),
    compressionCodec: "NONE",
    backingStore: "",
    modTime: 0,
    pathPostfix: "",
  };
  return { fragment, id };
}

function spans(set: CoverSet<Entry>): Span[] {
  return set.toArray().map((item) => [item.fragment.begin, item.fragment.end]);
}

/** The brute-force model of CoverSet.add. */
function modelAdd(model: Entry[], added: Entry): { model: Entry[]; added: boolean } {
  const same = (a: Entry) => a.fragment.begin === added.fragment.begin && a.fragment.end === added.fragment.end;
  if (model.some((existing) => covers(existing.fragment, added.fragment) && !same(existing)))
    return { model, added: false };
  const kept = model.filter((existing) => !covers(added.fragment, existing.fragment));
  kept.push(added);
  kept.sort((a, b) => a.fragment.begin - b.fragment.begin || a.fragment.end - b.fragment.end);
  return { model: kept, added: true };
}

function modelLongest(model: Entry[], offset: number): { index: number; found: boolean } {
  let best = -1;
  model.forEach((item, index) => {
    if (
      item.fragment.begin <= offset &&
      offset < item.fragment.end &&
      (best === -1 || item.fragment.end > (model[best] as Entry).fragment.end)
    )
      best = index;
  });
  if (best !== -1) return { index: best, found: true };
  const next = model.findIndex((item) => item.fragment.begin > offset);
  return { index: next === -1 ? model.length : next, found: false };
}

function modelCovered(model: Entry[], span: Span): boolean {
  const [begin, end] = span;
  if (begin === end) return model.some((item) => item.fragment.begin <= begin && begin <= item.fragment.end);
  for (let offset = begin; offset < end; offset++)
    if (!model.some((item) => item.fragment.begin <= offset && offset < item.fragment.end)) return false;
  return true;
}

const spanArbitrary = fc.tuple(fc.nat(40), fc.nat(12)).map(([begin, length]): Span => [begin, begin + length]);

function coverSetProperty(variant?: CoverSetBrokenVariant) {
  return fc.property(
    fc.array(spanArbitrary, { maxLength: 40 }),
    fc.array(spanArbitrary, { maxLength: 20 }),
    (adds, others) => {
      const set = coverSetOf<Entry>(variant);
      let model: Entry[] = [];
      adds.forEach(([begin, end], id) => {
        const item = entry(begin, end, id);
        const step = modelAdd(model, item);
        model = step.model;
        expect(set.add(item)).toBe(step.added);
        expect(set.toArray().map((kept) => kept.id)).toEqual(model.map((kept) => kept.id));
      });
      // No fragment covers another; Begin and End increase strictly.
      const kept = set.toArray();
      for (let index = 1; index < kept.length; index++) {
        expect((kept[index - 1] as Entry).fragment.begin).toBeLessThan((kept[index] as Entry).fragment.begin);
        expect((kept[index - 1] as Entry).fragment.end).toBeLessThan((kept[index] as Entry).fragment.end);
      }
      for (let offset = 0; offset <= 55; offset++)
        expect(set.longestOverlapping(offset)).toEqual(modelLongest(model, offset));
      expect(set.beginOffset()).toBe(model[0]?.fragment.begin ?? 0);
      expect(set.endOffset()).toBe(model[model.length - 1]?.fragment.end ?? 0);
      const other = CoverSet.of<CoverSetEntry>(others.map(([begin, end]) => entry(begin, end)));
      const otherModel = other.toArray() as Entry[];
      const difference = CoverSet.difference(set, other);
      expect(difference.toArray().map((item) => item.id)).toEqual(
        model
          .filter((item) => !modelCovered(otherModel, [item.fragment.begin, item.fragment.end]))
          .map((item) => item.id),
      );
    },
  );
}

describe("gazette broker: CoverSet", () => {
  it("matches the brute-force model (add, order, LongestOverlappingFragment, CoverSetDifference)", () => {
    fc.assert(coverSetProperty(), propertyParameters("gazette-cover-set-model", 400));
  });

  it("fails on a cover set that keeps covered fragments", () => {
    const details = fc.check(coverSetProperty("keeps-covered"), {
      ...propertyParameters("gazette-cover-set-model", 400),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(details.failed).toBe(true);
  });

  it("replays Gazette's examples (cover_set_test.go)", () => {
    const build = (list: Span[]) => {
      const set = new CoverSet<Entry>();
      const results = list.map(([begin, end]) => set.add(entry(begin, end)));
      return { set, results };
    };
    expect(
      spans(
        build([
          [100, 200],
          [200, 300],
          [300, 400],
          [400, 500],
          [150, 500],
        ]).set,
      ),
    ).toEqual([
      [100, 200],
      [150, 500],
    ]);
    expect(
      spans(
        build([
          [100, 200],
          [200, 300],
          [300, 400],
          [400, 500],
          [150, 450],
        ]).set,
      ),
    ).toEqual([
      [100, 200],
      [150, 450],
      [400, 500],
    ]);
    expect(
      spans(
        build([
          [100, 200],
          [300, 400],
          [201, 299],
        ]).set,
      ),
    ).toEqual([
      [100, 200],
      [201, 299],
      [300, 400],
    ]);
    expect(
      spans(
        build([
          [100, 200],
          [200, 300],
          [300, 400],
          [99, 200],
        ]).set,
      ),
    ).toEqual([
      [99, 200],
      [200, 300],
      [300, 400],
    ]);
    const noAction = build([
      [100, 200],
      [200, 300],
      [300, 400],
      [101, 200],
      [100, 199],
      [100, 200],
      [201, 300],
      [200, 299],
      [200, 300],
    ]);
    expect(noAction.results).toEqual([true, true, true, false, false, true, false, false, true]);
    expect(spans(noAction.set)).toEqual([
      [100, 200],
      [200, 300],
      [300, 400],
    ]);
    const overlapping = build([
      [100, 200],
      [149, 201],
      [200, 300],
      [299, 351],
      [300, 400],
      [500, 600],
    ]).set;
    const cases: Array<[number, boolean, number]> = [
      [0, false, 0],
      [100, true, 0],
      [148, true, 0],
      [149, true, 1],
      [199, true, 1],
      [200, true, 2],
      [298, true, 2],
      [299, true, 3],
      [300, true, 4],
      [399, true, 4],
      [400, false, 5],
      [499, false, 5],
      [500, true, 5],
      [599, true, 5],
      [600, false, 6],
    ];
    for (const [offset, found, index] of cases)
      expect(overlapping.longestOverlapping(offset)).toEqual({ index, found });
    const b = build([
      [100, 200],
      [150, 225],
      [225, 250],
      [250, 300],
      [301, 400],
    ]).set;
    const a = build([
      [99, 105],
      [100, 110],
      [110, 120],
      [130, 210],
      [150, 225],
      [151, 300],
      [152, 301],
      [300, 350],
      [301, 360],
      [360, 401],
      [400, 450],
    ]).set;
    expect(spans(a)).toHaveLength(11);
    expect(spans(CoverSet.difference(a, b as CoverSet<CoverSetEntry>))).toEqual([
      [99, 105],
      [152, 301],
      [300, 350],
      [360, 401],
      [400, 450],
    ]);
  });
});
