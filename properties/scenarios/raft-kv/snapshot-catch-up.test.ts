/**
 * Invariant (raft-snapshot-catch-up): a follower isolated past compaction catches
 * up by InstallSnapshot, and restarted from its snapshot and log it holds the same
 * state as the others.
 * Also shown failing, with a safety violation, on the broken variant it is about:
 * "ignore-install-snapshot-state" (a follower installing a snapshot keeps its own
 * FSM state).
 * Method: the scenario on fixed seeds (failures print the replay command); the
 * variant on the first seed of a range that catches it.
 */
import { describe, expect, it } from "vitest";
import { raftSnapshotCatchUp } from "../../../scenarios/raft-kv/snapshot-catch-up.ts";
import { describeRun, expectCaught, FATE_INVARIANTS, runKv } from "./_support/kv-runs.ts";

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
