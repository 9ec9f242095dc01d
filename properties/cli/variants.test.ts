/**
 * Invariants of `dst variants`: each search reports the smallest seed of its range
 * on which the variant fails and the unmodified code passes, whatever the number of
 * workers and the order answers come in (a seed that fails both ways is passed
 * over), or "not caught" when there is none; the command exits 1 when a swept entry
 * is not caught within the range, 0 when every one is, and 2 on a name that selects
 * nothing; the `--out` file holds each swept entry's line from the moment its search
 * settles, and at the end every entry's line in catalogue order.
 * Method: the search state machine against a plain model, driven by fast-check with
 * random outcomes, worker counts and answer orders; the command on counter-quorum's
 * variant, caught on seed 3 (README), with 1 and 2 workers; the results file read back
 * after each settled entry, and the command's file against its JSON report.
 */
import fc from "fast-check";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { selectEntries } from "../../src/cli/commands/variants.ts";
import { UsageError } from "../../src/cli/input.ts";
import { main } from "../../src/cli/main.ts";
import type { SweptResult } from "../../src/cli/variants/drive.ts";
import { entryRecords, type VariantsReport } from "../../src/cli/variants/report.ts";
import { VariantsResultsFile } from "../../src/cli/variants/results-file.ts";
import { VariantSearches, type SearchOutcome, type SearchRun } from "../../src/cli/variants/search.ts";
import { VARIANT_CATALOGUE, type PropertyEntry, type SweptEntry } from "../../scenarios/variant-catalogue/index.ts";
import { propertyParameters } from "../_support/fast-check.ts";

interface SearchCase {
  readonly first: number;
  readonly last: number;
  /** Per search: the seeds the variant fails on, and those the unmodified code fails on. */
  readonly searches: ReadonlyArray<{
    readonly failing: ReadonlySet<number>;
    readonly baselineFailing: ReadonlySet<number>;
  }>;
  readonly workers: number;
  /** Which in-flight run answers next, as indexes drawn at each step. */
  readonly picks: readonly number[];
}

const seedSet = (first: number, last: number) =>
  fc.uniqueArray(fc.integer({ min: first, max: last }), { maxLength: 6 }).map((seeds) => new Set(seeds));

const searchCase: fc.Arbitrary<SearchCase> = fc
  .record({ first: fc.integer({ min: 0, max: 5 }), length: fc.integer({ min: 1, max: 12 }) })
  .chain(({ first, length }) => {
    const last = first + length - 1;
    return fc.record({
      first: fc.constant(first),
      last: fc.constant(last),
      searches: fc.array(fc.record({ failing: seedSet(first, last), baselineFailing: seedSet(first, last) }), {
        minLength: 1,
        maxLength: 3,
      }),
      workers: fc.integer({ min: 1, max: 4 }),
      picks: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
    });
  });

/** Drives the searches as a pool of `workers` would, answering in the drawn order; the outcomes by search. */
function drive(testCase: SearchCase): SearchOutcome[] {
  const searches = new VariantSearches(testCase.searches.length, testCase);
  const outcomes: SearchOutcome[] = [];
  const inFlight: SearchRun[] = [];
  let step = 0;
  for (;;) {
    while (inFlight.length < testCase.workers) {
      const run = searches.next();
      if (run === "done") return outcomes;
      if (run === "wait") break;
      inFlight.push(run);
    }
    expect(inFlight.length, "the searches wait with nothing in flight").toBeGreaterThan(0);
    const [run] = inFlight.splice((testCase.picks[step++ % testCase.picks.length] as number) % inFlight.length, 1) as [
      SearchRun,
    ];
    const search = testCase.searches[run.search] as SearchCase["searches"][number];
    const outcome = searches.answer(run, (run.baseline ? search.baselineFailing : search.failing).has(run.seed));
    if (outcome !== undefined) outcomes[run.search] = outcome;
  }
}

/** The model: the smallest seed that fails with the variant and passes without it. */
function expected(testCase: SearchCase, search: SearchCase["searches"][number]): SearchOutcome {
  for (let seed = testCase.first; seed <= testCase.last; seed++) {
    if (search.failing.has(seed) && !search.baselineFailing.has(seed))
      return { caught: true, seed, seedsSwept: seed - testCase.first + 1 };
  }
  return { caught: false, seedsSwept: testCase.last - testCase.first + 1 };
}

describe("the variant searches", () => {
  it("report the smallest seed the variant alone fails on, whatever the workers and the order of answers", () => {
    fc.assert(
      fc.property(searchCase, (testCase) => {
        expect(drive(testCase)).toEqual(testCase.searches.map((search) => expected(testCase, search)));
      }),
      propertyParameters("variant searches", 300),
    );
  });

  it("run no seed past a failing one before its unmodified run answered (one worker)", () => {
    const searches = new VariantSearches(1, { first: 1, last: 10 });
    expect(searches.next()).toEqual({ search: 0, seed: 1, baseline: false });
    searches.answer({ search: 0, seed: 1, baseline: false }, true);
    expect(searches.next()).toEqual({ search: 0, seed: 1, baseline: true });
    expect(searches.next()).toBe("wait");
    expect(searches.answer({ search: 0, seed: 1, baseline: true }, true)).toBeUndefined();
    expect(searches.next()).toEqual({ search: 0, seed: 2, baseline: false });
    expect(searches.states[0]?.unattributed).toEqual([1]);
  });
});

describe("dst variants", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dst-variants-"));
  const quiet = { out: () => undefined, err: () => undefined };

  it("finds counter-quorum's ack-before-fsync on seed 3 with 1 worker and with 2, and exits 0", async () => {
    const seeds: unknown[] = [];
    for (const workers of ["1", "2"]) {
      const out = join(scratch, `counter-${workers}.jsonl`);
      const printed: string[] = [];
      const code = await main(
        [
          "variants",
          "--only",
          "counter/ack-before-fsync",
          "--seeds",
          "1..6",
          "--workers",
          workers,
          "--no-progress",
          "--out",
          out,
        ],
        { out: (text) => printed.push(text), err: () => undefined },
      );
      expect(code, printed.join("\n")).toBe(0);
      expect(printed.join("\n")).toMatch(
        /\| ack-before-fsync \| counter \| counter-quorum \| 3 \| 3 \| [\d.]+ s \| safety counter\.acknowledged-write-lost \|/,
      );
      const [record] = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { seed: number; caught: boolean; seedsSwept: number });
      seeds.push({ seed: record?.seed, caught: record?.caught, seedsSwept: record?.seedsSwept });
    }
    expect(seeds).toEqual([
      { seed: 3, caught: true, seedsSwept: 3 },
      { seed: 3, caught: true, seedsSwept: 3 },
    ]);
  }, 120_000);

  it("exits 1 when a swept entry is not caught within the range", async () => {
    const printed: string[] = [];
    const code = await main(["variants", "--only", "counter", "--seeds", "1..2", "--workers", "1", "--no-progress"], {
      out: (text) => printed.push(text),
      err: () => undefined,
    });
    expect(code).toBe(1);
    expect(printed.join("\n")).toMatch(
      /\| ack-before-fsync \| counter \| counter-quorum \| \*\*not caught\*\* \| 2 \|/,
    );
  }, 60_000);

  it("lists the entries no sweep reaches with their reason and property, without running anything", async () => {
    const printed: string[] = [];
    expect(
      await main(["variants", "--only", "sim-disk", "--no-progress"], {
        out: (text) => printed.push(text),
        err: () => undefined,
      }),
    ).toBe(0);
    expect(printed.join("\n")).toMatch(/^0 swept .*; 6 caught by properties only/);
    expect(printed.join("\n")).toMatch(
      /\| sync-is-noop \| sim-disk \| a correct system can fail under it.* \| properties\/sim\/disk\.test\.ts \|/,
    );
  });

  it("refuses a name that selects no entry, and selects by variant, component or system", async () => {
    expect(await main(["variants", "--only", "no-such-variant", "--no-progress"], quiet)).toBe(2);
    expect(() => selectEntries(VARIANT_CATALOGUE, ["nope"])).toThrow(UsageError);
    expect(selectEntries(VARIANT_CATALOGUE, ["ack-before-fsync"]).map((entry) => entry.component)).toEqual([
      "counter",
      "raft-node",
    ]);
    expect(selectEntries(VARIANT_CATALOGUE, ["raft-node/ack-before-fsync"]).map((entry) => entry.component)).toEqual([
      "raft-node",
    ]);
    expect(new Set(selectEntries(VARIANT_CATALOGUE, ["dqlite"]).map((entry) => entry.component.split("-")[0]))).toEqual(
      new Set(["dqlite"]),
    );
  });
});

describe("the --out file of dst variants", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dst-variants-out-"));
  const linesOf = (path: string) =>
    readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as object);
  const swept = VARIANT_CATALOGUE.filter((entry): entry is SweptEntry => entry.kind === "swept");
  const property = VARIANT_CATALOGUE.filter((entry): entry is PropertyEntry => entry.kind === "property");
  const resultOf = (entry: SweptEntry, seed: number): SweptResult => ({
    entry,
    outcome: { caught: true, seed, seedsSwept: seed },
    failure: { kind: "safety", invariant: "some.invariant", details: "details" },
    unattributed: [],
    runs: seed + 1,
    wallMs: 10 * seed,
  });

  it("holds each settled entry as soon as it settles, then every entry in catalogue order", () => {
    const path = join(scratch, "settled.jsonl");
    writeFileSync(path, "an older file's line\n");
    const file = new VariantsResultsFile(path);
    const [first, second] = [resultOf(swept[0] as SweptEntry, 3), resultOf(swept[1] as SweptEntry, 5)];
    file.begin();
    expect(readFileSync(path, "utf8")).toBe("");
    // Settled out of catalogue order (several workers): each line is there before the next entry settles.
    file.settled(second);
    expect(linesOf(path).map((record) => (record as { variant: string }).variant)).toEqual([second.entry.variant]);
    file.settled(first);
    expect(linesOf(path).map((record) => (record as { variant: string }).variant)).toEqual([
      second.entry.variant,
      first.entry.variant,
    ]);
    const report: VariantsReport = {
      seeds: { first: 1, last: 200 },
      workers: 2,
      wallMs: 100,
      swept: [first, second],
      property: property.slice(0, 2),
      pending: [],
    };
    file.finish(report);
    expect(linesOf(path)).toEqual(JSON.parse(JSON.stringify(entryRecords(report))));
  });

  it("refuses a directory before any run, and the command's file equals its JSON report's entries", async () => {
    expect(() => new VariantsResultsFile(scratch)).toThrow(UsageError);
    expect(await main(["variants", "--only", "counter", "--out", scratch, "--no-progress"], quiet())).toBe(2);
    const path = join(scratch, "command.jsonl");
    const printed: string[] = [];
    const code = await main(
      [
        "variants",
        "--only",
        "backedpipe/off-by-one-replay,sim-disk",
        "--seeds",
        "1..3",
        "--workers",
        "1",
        "--json",
        "--no-progress",
        "--out",
        path,
      ],
      { out: (text) => printed.push(text), err: () => undefined },
    );
    expect(code, printed.join("\n")).toBe(0);
    const report = JSON.parse(printed.join("\n")) as { entries: object[] };
    expect(linesOf(path)).toEqual(report.entries);
    expect(report.entries.length).toBe(7);
  }, 60_000);

  function quiet() {
    return { out: () => undefined, err: () => undefined };
  }
});
