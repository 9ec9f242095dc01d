/**
 * The gazette-journals scenario on real brokers (5 brokers, etcd, a fragment
 * store): appends are whole, offsets agree between readers and acknowledgements,
 * acknowledged appends are read where they were acknowledged, each writer's order
 * is kept, and every reader reaches the end of its journal after the heal.
 *
 * Status (issue 7, in progress): seeds 1, 3, 4 and 5 pass. Two defects found
 * by the scenario are pinned below as KNOWN DEFECTS, so that their fix flips
 * these tests (then turn them into ordinary passing seeds):
 * - seed 6: gazette.offsets-agree. A peer commits an append (readers on it see
 *   the bytes) whose primary fails before every peer acknowledged; the peer then
 *   loses its lease and leaves the route, and the next pipeline, not seeing its
 *   greater offset, commits another append at the same offset. Peers expose
 *   content before the journal has adopted it.
 * - seed 2: liveness. A reader stays at an offset that only a lost spool held
 *   (a gap below the write head, which the index skips only after 6 hours).
 */
import { describe, expect, it } from "vitest";
import { gazetteJournals } from "../../../scenarios/gazette-journals.ts";
import { describeScenarioRun, runAs } from "../../_support/describe-run.ts";

describe("gazette-journals", () => {
  for (const seed of [1, 3, 4, 5]) {
    it(`keeps appends whole, offsets agreeing, acknowledged appends readable and writer order (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runAs(gazetteJournals, run);
      expect(result.violations, describeScenarioRun(gazetteJournals, run, result)).toEqual([]);
      expect(result.stats.progressAtMs).toBeDefined();
      expect(Number(result.stats.workload.acknowledged)).toBeGreaterThan(20);
    }, 60_000);
  }

  it("KNOWN DEFECT (seed 6): a peer's commit of a failed append is read, then the offset is reused", async () => {
    const result = await runAs(gazetteJournals, { seed: 6 });
    expect(result.violations.map((violation) => violation.invariant)).toContain("gazette.offsets-agree");
  }, 60_000);

  it("KNOWN DEFECT (seed 2): a reader stays at a gap that only a lost spool held", async () => {
    const result = await runAs(gazetteJournals, { seed: 2 });
    expect(result.violations.map((violation) => violation.invariant)).toEqual(["liveness.no-progress-after-heal"]);
  }, 60_000);
});
