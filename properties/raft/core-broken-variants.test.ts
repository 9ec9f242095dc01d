/**
 * Each invariant of core-safety.test.ts is shown to catch a bug: on a deliberately
 * broken variant of the core (scenarios/raft-kv/variants.ts, BROKEN_VARIANTS) or of
 * its driver (acknowledging before the fsync), the same property, checking only
 * that invariant, fails (`fc.check(...).failed === true`). A core assertion that
 * fires first does not count: the property fails only through the invariant.
 *
 * Some bugs need an exact interleaving that random schedules reach too rarely to
 * be a good test (Figure 8, a vote counted from an earlier term); for those, a
 * scripted scenario family (_support/scripted-scenarios.ts) varies the seed and
 * the timeouts, and must pass on the real core and fail on the broken one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BrokenVariant } from "../../scenarios/raft-kv/variants.ts";
import { seedFromName } from "../_support/fast-check.ts";
import { INVARIANTS, type InvariantName } from "./_support/invariants.ts";
import { runSchedule, scheduleArbitrary, type RunOptions } from "./_support/schedules.ts";
import { ackBeforeFsync, figureEight, staleVote, type ScriptOptions } from "./_support/scripted-scenarios.ts";

interface VariantCase {
  readonly invariant: InvariantName;
  readonly variant: BrokenVariant | "ack-before-persist";
  readonly numRuns: number;
}

/** Runs allowed before a variant must have failed; the first failure ends the search (no shrinking). */
const CASES: readonly VariantCase[] = [
  { invariant: "election-safety", variant: "vote-twice-in-term", numRuns: 100 },
  { invariant: "leader-append-only", variant: "leader-appends-after-commit-index", numRuns: 100 },
  { invariant: "log-matching", variant: "skip-previous-term-check", numRuns: 300 },
  { invariant: "leader-completeness", variant: "grant-vote-without-log-check", numRuns: 300 },
  { invariant: "state-machine-safety", variant: "heartbeat-commit-uncapped", numRuns: 300 },
  { invariant: "leader-completeness", variant: "ack-before-persist", numRuns: 600 },
  { invariant: "acknowledged-entries-held", variant: "ack-before-persist", numRuns: 100 },
  { invariant: "liveness", variant: "no-next-index-backtracking", numRuns: 100 },
];

function optionsFor(testCase: VariantCase): RunOptions {
  const invariants = new Set<InvariantName>([testCase.invariant]);
  return testCase.variant === "ack-before-persist"
    ? { invariants, ackBeforePersist: true }
    : { invariants, brokenVariant: testCase.variant };
}

describe("each invariant catches a broken core under random schedules", () => {
  for (const testCase of CASES) {
    it(`${testCase.invariant} fails on ${testCase.variant}`, () => {
      const name = `raft core variant ${testCase.variant} breaks ${testCase.invariant}`;
      const options = optionsFor(testCase);
      const result = fc.check(
        fc.property(
          scheduleArbitrary({ nodeCounts: [3, 5] }),
          (schedule) => runSchedule(schedule, options).violation === undefined,
        ),
        { seed: seedFromName(name), numRuns: testCase.numRuns, endOnFailure: true },
      );
      expect(result.failed, `no counterexample in ${testCase.numRuns} runs (seed ${result.seed})`).toBe(true);
    });
  }
});

type Script = (options: ScriptOptions) => void;

const SCRIPTS: ReadonlyArray<{
  name: string;
  script: Script;
  invariant: InvariantName;
  broken: Partial<ScriptOptions>;
}> = [
  {
    name: "Figure 8",
    script: figureEight,
    invariant: "leader-completeness",
    broken: { brokenVariant: "commit-previous-term-by-counting" },
  },
  {
    name: "a vote from an earlier term",
    script: staleVote,
    invariant: "election-safety",
    broken: { brokenVariant: "count-stale-term-votes" },
  },
  {
    name: "an acknowledgement before the fsync",
    script: ackBeforeFsync,
    invariant: "leader-completeness",
    broken: { ackBeforePersist: true },
  },
];

const scriptSettings = fc.record({
  seed: fc.nat({ max: 1_000_000 }),
  electionTimeoutTicks: fc.constantFrom(2, 3, 5, 10),
});

describe("scripted interleavings: the real core passes, the broken one fails", () => {
  for (const { name, script, invariant, broken } of SCRIPTS) {
    it(`${name}: every invariant holds on the real core`, () => {
      fc.assert(
        fc.property(scriptSettings, (settings) => script({ ...settings, invariants: new Set(INVARIANTS) })),
        { seed: seedFromName(`raft script ${name}`), numRuns: 30 },
      );
    });
    it(`${name}: ${invariant} fails on ${broken.brokenVariant ?? "ack-before-persist"}`, () => {
      const result = fc.check(
        fc.property(scriptSettings, (settings) => script({ ...settings, ...broken, invariants: new Set([invariant]) })),
        { seed: seedFromName(`raft script ${name} broken`), numRuns: 30 },
      );
      expect(result.failed).toBe(true);
      expect(result.numRuns, "the scripted bug shows on every seed").toBe(1);
    });
  }
});
