/**
 * Invariants, one sentence each:
 * - raft-leadership-loss: a write whose leader is cut off ends with an unknown
 *   outcome (ErrLeadershipLost) and is then applied by every replica or by none,
 *   and the history stays linearizable;
 * - raft-snapshot-catch-up: a follower isolated past compaction catches up by
 *   InstallSnapshot, and restarted from its snapshot and log it holds the same
 *   state as the others.
 * Method: each scenario on fixed seeds (failures print the replay command).
 */
import { describe, expect, it } from "vitest";
import { raftLeadershipLoss } from "../../scenarios/raft-leadership-loss.ts";
import { raftSnapshotCatchUp } from "../../scenarios/raft-snapshot-catch-up.ts";
import { describeRun, runKv } from "./_fixtures/kv-runs.ts";

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
});
