/**
 * Invariant (etcd-kv): a member whose disk can no longer be read is removed through
 * the leader, wiped, started empty and added back by the operator the etcd cluster
 * shares with raft-kv (scenarios/harness/wipe-and-rejoin.ts), counted once as
 * `wiped-and-rejoined`, and the history stays linearizable with converged members.
 * The broken operator (wiped without removal) is shown caught on raft-kv, whose
 * cluster runs the same operator (properties/scenarios/raft-kv/wipe-rejoin.test.ts).
 * Method: the scenario on fixed seeds with an explicit plan in which every read of
 * n2's disk fails after a crash.
 */
import { describe, expect, it } from "vitest";
import { etcdKv } from "../../../scenarios/etcd/kv.ts";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import { describeRun, runEtcd } from "./_support/runs.ts";

const UNREADABLE_N2: FaultPlan = {
  version: 1,
  faults: [
    { atMs: 600, kind: "crash", host: "n2" },
    { atMs: 600, kind: "disk-faults", host: "n2", rates: { readErrorProbability: 1 }, durationMs: 1_400 },
    { atMs: 700, kind: "restart", host: "n2" },
  ],
};

describe("etcd-kv with a member's disk made unreadable", () => {
  for (const seed of [1, 2]) {
    it(`wipes and rejoins the member, and stays linearizable (seed ${seed})`, async () => {
      const run = { seed, faults: UNREADABLE_N2 };
      const result = await runEtcd(etcdKv, run);
      expect(result.violations, describeRun(etcdKv, run, result)).toEqual([]);
      expect(result.stats.workload["wiped-and-rejoined"]).toBe(1);
      expect(Number(result.stats.workload["start:ErrSnapshotCorrupted"])).toBeGreaterThanOrEqual(3);
    });
  }
});
