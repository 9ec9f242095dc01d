/**
 * Invariants, one sentence each:
 * - raft-leadership-loss: a write whose leader is cut off ends with an unknown
 *   outcome (ErrLeadershipLost) and is then applied by every replica or by none,
 *   and the history stays linearizable;
 * - raft-snapshot-catch-up: a follower isolated past compaction catches up by
 *   InstallSnapshot, and restarted from its snapshot and log it holds the same
 *   state as the others.
 * Each property is also shown failing, with a safety violation, on the broken
 * variant it is about: "apply-on-step-down" (a deposed leader applies its own
 * uncommitted entries) and "ignore-install-snapshot-state" (a follower installing a
 * snapshot keeps its own FSM state).
 * Method: each scenario on fixed seeds (failures print the replay command); a
 * variant on the first seed of a range that catches it.
 */
import { describe, expect, it } from "vitest";
import { raftLeadershipLoss } from "../../../scenarios/raft-kv/leadership-loss.ts";
import { raftSnapshotCatchUp } from "../../../scenarios/raft-kv/snapshot-catch-up.ts";
import { runScenario, type RunResult, type Scenario } from "../../../src/sim/runner.ts";
import { firstCatch } from "../../_support/catch-variant.ts";
import { describeRun, runKv } from "./_fixtures/kv-runs.ts";

/** Seeds a variant is searched in: a sweep of this many finds it (the first catch ends the search). */
const VARIANT_SEEDS = { first: 1, last: 40 };

/**
 * Expects `variant` of `scenario` to fail, on some seed of VARIANT_SEEDS, first with a safety violation of one of
 * `invariants`.
 */
async function expectCaught(scenario: Scenario, variant: string, invariants: RegExp): Promise<void> {
  const expected = (result: RunResult) =>
    result.violations[0]?.kind === "safety" && invariants.test(result.violations[0].invariant);
  const { caught, seen } = await firstCatch(scenario, variant, VARIANT_SEEDS, expected);
  expect(caught, `${variant} not caught: ${seen.join("; ")}`).toBeDefined();
}

/** The invariants by which a replica that applied what it should not is caught. */
const FATE_INVARIANTS =
  /^(raft-kv\.unknown-write-fate|raft-kv\.replicas-converge|raft-kv\.linearizable|raft\.state-machine-safety)$/;

describe("raft-leadership-loss", () => {
  for (const seed of [1, 2, 3]) {
    it(`the lost write's fate is the same everywhere (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runKv(raftLeadershipLoss, run);
      expect(result.violations, describeRun(raftLeadershipLoss, run, result)).toEqual([]);
      expect(result.stats.probes["raft.leadership-lost-with-pending"]).toBeGreaterThan(0);
      expect(Number(result.stats.workload.info)).toBeGreaterThan(0);
    });
  }

  it("a follower whose state came from a snapshot holds the writes behind it (seed 43, buggify)", async () => {
    // buggify's snapshot-at-odd-moment took a snapshot the scenario's threshold never would; n3
    // installed it and never applied write c1/1/33 one by one, which the fate check counted as absent.
    const result = await runScenario(raftLeadershipLoss, { seed: 43, buggify: true });
    expect(result.violations, "npx dst run raft-leadership-loss --seed 43 --buggify").toEqual([]);
    expect(result.stats.probes["raft.snapshot-installed"] ?? 0).toBeGreaterThan(0);
  });

  it("catches the apply-on-step-down variant with a safety violation (within seeds 1..40)", async () => {
    await expectCaught(raftLeadershipLoss, "apply-on-step-down", FATE_INVARIANTS);
  }, 120_000);
});

describe("raft-snapshot-catch-up", () => {
  for (const seed of [1, 2, 3]) {
    it(`catches up by InstallSnapshot and restarts to the same state (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runKv(raftSnapshotCatchUp, run);
      expect(result.violations, describeRun(raftSnapshotCatchUp, run, result)).toEqual([]);
      expect(result.stats.probes["raft.snapshot-installed"]).toBeGreaterThan(0);
    });
  }

  it("catches the ignore-install-snapshot-state variant with a safety violation (within seeds 1..40)", async () => {
    await expectCaught(raftSnapshotCatchUp, "ignore-install-snapshot-state", FATE_INVARIANTS);
  }, 120_000);
});
