/**
 * The gazette-retention scenario on real brokers (4 brokers, etcd, a fragment
 * store, 6 s retention): readers that fall behind get ErrOffsetJump to exactly
 * the next available offset and then the right records, never a jump over
 * content still held or acknowledged content not deleted; retention deletes
 * only fragments older than the journal's retention.
 *
 * Seed 36 once found a defect: a read below the first fragment skipped to it at
 * once, and a broker that joined the route after some content was written (its
 * index's first fragment was its own spool) skipped acknowledged content that
 * another replica was still persisting. The index now skips only to a first
 * fragment persisted for the first-fragment age (fragment/index.ts); broken
 * variant "jump-before-first-at-once" restores the old rule (caught at seed 21).
 */
import { describe, expect, it } from "vitest";
import { gazetteRetention } from "../../../scenarios/gazette-retention.ts";
import { describeScenarioRun, runAs } from "../../_support/describe-run.ts";

describe("gazette-retention", () => {
  for (const seed of [1, 36]) {
    it(`jumps readers exactly over what retention deleted, and retention keeps young fragments (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runAs(gazetteRetention, run);
      expect(result.violations, describeScenarioRun(gazetteRetention, run, result)).toEqual([]);
      expect(result.stats.progressAtMs).toBeDefined();
      expect(Number(result.stats.workload.jumps)).toBeGreaterThan(0);
      expect(Number(result.stats.workload.removed)).toBeGreaterThan(0);
      expect(result.stats.probes["gazette.broker.offset-jump-before-first"]).toBeGreaterThan(0);
    }, 60_000);
  }

  const caught: ReadonlyArray<{ variant: string; seed: number; invariant: string }> = [
    { variant: "retention-ignores-age", seed: 1, invariant: "gazette.retention-age" },
    { variant: "no-jump-before-first", seed: 1, invariant: "liveness.no-progress-after-heal" },
    { variant: "jump-before-first-at-once", seed: 21, invariant: "gazette.offset-jump-exact" },
    // The reader's offset runs ahead of the bytes it returned at the silent skip itself (before: offsets-agree, later).
    { variant: "silent-offset-jump", seed: 1, invariant: "gazette.reader-offsets" },
  ];
  for (const { variant, seed, invariant } of caught) {
    it(`broken variant ${variant} (seed ${seed}) fails ${invariant}`, async () => {
      const result = await runAs(gazetteRetention, { seed, variant });
      expect(result.violations.map((violation) => violation.invariant)).toContain(invariant);
    }, 60_000);
  }
});
