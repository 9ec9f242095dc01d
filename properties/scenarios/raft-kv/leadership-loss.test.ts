/**
 * Invariant (raft-leadership-loss): a write whose leader is cut off ends with an
 * unknown outcome (ErrLeadershipLost) and is then applied by every replica or by
 * none, and the history stays linearizable.
 * Also shown failing, with a safety violation, on the broken variant it is about:
 * "apply-on-step-down" (a deposed leader applies its own uncommitted entries).
 * Method: the scenario on fixed seeds (failures print the replay command); the
 * variant on the first seed of a range that catches it.
 */
import { describe, expect, it } from "vitest";
import { raftLeadershipLoss } from "../../../scenarios/raft-kv/leadership-loss.ts";
import { runScenario } from "../../../src/sim/runner.ts";
import { describeRun, expectCaught, FATE_INVARIANTS, runKv } from "./_support/kv-runs.ts";

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
