/**
 * The gazette-journals scenario on real brokers (5 brokers, etcd, a fragment
 * store): appends are whole, offsets agree between readers and acknowledgements,
 * acknowledged appends are read where they were acknowledged, each writer's order
 * is kept, and every reader reaches the end of its journal after the heal.
 *
 * Seeds 2 and 6 once found two defects (a peer serving a commit whose primary
 * failed before every peer acknowledged it, after which the journal reused the
 * offset; and readers stuck at content only a lost replica held): peers now
 * keep a commit pending until the journal adopts it (replica.ts). Broken
 * variant "expose-unadopted" (Gazette's order: peers serve commits as they
 * arrive) brings such failures back: a peer commits an append its primary
 * never did, the primary's next sync rolls every replica past it, and a reader
 * stops for good at those offsets, which only that peer holds (first at seed
 * 65; since the writers also abort appends, at seed 9), or, as on seed 2 before
 * the fix, a reader reads the exposed commit at an offset the journal then gives
 * to another append (gazette.offsets-agree). It needs leases lost: since a
 * client's retry skips the etcd member whose call failed in transit, no seed of
 * 1..99 with the seeds' own knobs catches it, so the test searches seeds 1..12
 * in the configuration it was found in (JOURNALS_BEFORE_KNOBS: 2 s leases; first
 * catch at seed 6, a stuck reader) for the first catch of either kind, and
 * requires that seed to pass unmodified.
 *
 * Beyond what replication covers (all five brokers crash at once, an explicit
 * plan): brokers refuse appends with INDEX_HAS_GREATER_OFFSET, the writers do
 * the operator's reset-head and go on, and the scenario reports the loss (the
 * acknowledged records only the lost spools held have their offsets reused).
 */
import { describe, expect, it } from "vitest";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import { gazetteJournals } from "../../../scenarios/gazette/journals.ts";
import type { RunResult } from "../../../src/sim/runner.ts";
import { describeScenarioRun, runAs } from "../../_support/describe-run.ts";
import { firstCatch } from "../../_support/catch-variant.ts";
import { JOURNALS_BEFORE_KNOBS } from "./_support/scenario-knobs.ts";

describe("gazette-journals", () => {
  for (const seed of [1, 2, 3, 6, 65]) {
    it(`keeps appends whole, offsets agreeing, acknowledged appends readable and writer order (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runAs(gazetteJournals, run);
      expect(result.violations, describeScenarioRun(gazetteJournals, run, result)).toEqual([]);
      expect(result.stats.progressAtMs).toBeDefined();
      expect(Number(result.stats.workload.acknowledged)).toBeGreaterThan(20);
    }, 60_000);
  }

  it("broken variant expose-unadopted (first catch in seeds 1..12, in the configuration it needs): a reader stops at, or reads, offsets only the peer that exposed its commit held", async () => {
    const stuck = (result: RunResult) =>
      result.violations.length > 0 &&
      result.violations.every((violation) => violation.invariant === "liveness.no-progress-after-heal");
    const reused = (result: RunResult) =>
      result.violations[0]?.kind === "safety" && result.violations[0].invariant === "gazette.offsets-agree";
    const knobs = JOURNALS_BEFORE_KNOBS;
    const { caught, seen } = await firstCatch(
      gazetteJournals,
      "expose-unadopted",
      { first: 1, last: 12 },
      (result) => stuck(result) || reused(result),
      { knobs },
    );
    expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
    const seed = caught?.seed ?? 0;
    // Stuck readers stopped where the primary's sync rolled every replica past the exposed commit.
    if (caught !== undefined && stuck(caught.result))
      expect(caught.result.stats.probes["gazette.broker.sync-roll-forward"], `seed ${seed}`).toBeGreaterThan(0);
    const unmodified = await runAs(gazetteJournals, { seed, knobs });
    expect(unmodified.violations, describeScenarioRun(gazetteJournals, { seed, knobs }, unmodified)).toEqual([]);
  }, 900_000);

  it("every replica lost at once: INDEX_HAS_GREATER_OFFSET, the operator's reset-head, and the loss reported", async () => {
    const brokers = ["broker-1", "broker-2", "broker-3", "broker-4", "broker-5"];
    const faults: FaultPlan = {
      version: 1,
      faults: [
        ...brokers.map((host) => ({ atMs: 4_000, kind: "crash" as const, host })),
        ...brokers.map((host) => ({ atMs: 5_000, kind: "restart" as const, host })),
      ],
    };
    // The plan crashes all five brokers, timed for 2 s leases.
    const result = await runAs(gazetteJournals, { seed: 1, faults, knobs: JOURNALS_BEFORE_KNOBS });
    expect(Number(result.stats.workload.resetHeads)).toBeGreaterThan(0);
    expect(result.stats.probes["gazette.scenario.reset-head"]).toBeGreaterThan(0);
    const invariants = result.violations.map((violation) => violation.invariant);
    expect(
      invariants.filter(
        (invariant) => invariant === "gazette.offsets-agree" || invariant === "gazette.acknowledged-readable",
      ),
    ).not.toEqual([]);
  }, 60_000);
});
