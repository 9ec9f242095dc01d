/**
 * Invariant: under the swarm's faults (partitions, clogs, pauses, clock skew,
 * crashes of a minority, EIO and torn writes on a minority of disks), a RaftNode
 * cluster never has two leaders in a term, never applies two different commands at
 * one index, never loses an acknowledged command, and acknowledges commands again
 * once every fault has healed; and a run replays bit for bit from its seed. Method: the runner's two phases over a
 * scenario
 * built in _support/node-scenario.ts, on a range of seeds (each failure names its
 * seed).
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "../../src/sim/runner.ts";
import { withVariant } from "../../scenarios/raft-kv/variants.ts";
import { nodeScenario } from "./_support/node-scenario.ts";

const SEEDS = Array.from({ length: 12 }, (_, position) => position + 1);

describe("RaftNode cluster under the swarm's faults", () => {
  for (const seed of SEEDS) {
    it(`keeps its invariants and makes progress after healing (seed ${seed})`, async () => {
      const result = await runScenario(
        nodeScenario({ node: { snapshotThresholdEntries: 32, trailingLogEntries: 8 } }),
        { seed },
      );
      expect(result.violations, JSON.stringify({ seed, plan: result.faultPlan, stats: result.stats.workload })).toEqual(
        [],
      );
      expect(result.stats.workload.acknowledged).toBeGreaterThan(0);
    });
  }

  it("fails on the node variant ack-before-fsync: the kits' Raft safety observers see an acknowledgement the disk did not hold (seed 1)", async () => {
    const node = withVariant({ snapshotThresholdEntries: 32, trailingLogEntries: 8 }, "ack-before-fsync");
    const result = await runScenario(nodeScenario({ node }), { seed: 1 });
    expect(result.violations.map((violation) => violation.invariant)).toContain("raft.acknowledged-entries-held");
  });

  it("replays bit for bit: the same seed gives the same fingerprint (seed 3)", async () => {
    const scenario = () => nodeScenario({ node: { snapshotThresholdEntries: 32, trailingLogEntries: 8 } });
    const first = await runScenario(scenario(), { seed: 3, buggify: true });
    const second = await runScenario(scenario(), { seed: 3, buggify: true });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.stats.events).toBe(first.stats.events);
  });
});
