/**
 * Invariant: under targeted fault plans (bursts that crash a majority of the KV
 * servers within a millisecond of each other and restart them one group at a time,
 * plus partitions), the KV store on Raft (scenarios/raft-kv/linearizable.ts, on
 * slow fsyncs so that a write is not yet durable for a few ms) keeps election
 * safety, state-machine safety and linearizability; and the same property fails,
 * with a safety violation, on the broken variant that acknowledges before fsync.
 * Method: fast-check generates the plans (kv-fault-bursts.ts) and runs the scenario
 * on each; the variant check runs fc.check and expects a failure.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { raftKvLinearizable } from "../../../scenarios/raft-kv/linearizable.ts";
import { createSimDisks } from "../../../src/sim/disk/system.ts";
import type { RunResult, Scenario } from "../../../src/sim/runner.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { burstPlanArbitrary } from "./_support/kv-fault-bursts.ts";
import { describeRun, runKv } from "./_support/kv-runs.ts";

const SAFETY_MS = 1_500;
const HOSTS = ["n1", "n2", "n3"];

/** The scenario on disks whose fsync takes 5 to 40 ms (10 on average), so a crash often lands before it. */
const slowFsync: Scenario = {
  ...raftKvLinearizable,
  createDisks: () => createSimDisks({ latency: { sync: { kind: "exponential", minMs: 5, meanMs: 10, maxMs: 40 } } }),
};

const plans = burstPlanArbitrary({ hosts: HOSTS, durationMs: SAFETY_MS, maxBursts: 3, maxPartitions: 2 });

/** The first safety violation of the runs that failed, by variant. */
const caught = new Map<string, RunResult>();

const property = (variant?: string) =>
  fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), plans, async (seed, faults) => {
    const run = { seed, faults, safetyMs: SAFETY_MS, ...(variant !== undefined ? { variant } : {}) };
    const result = await runKv(slowFsync, run);
    if (!result.ok) {
      if (variant !== undefined && !caught.has(variant)) caught.set(variant, result);
      throw new Error(describeRun(slowFsync, run, result));
    }
  });

describe("raft-kv-linearizable under majority crash bursts", () => {
  it("raft-kv.safe-under-crash-bursts: holds on the correct code", async () => {
    await fc.assert(property(), propertyParameters("raft-kv.safe-under-crash-bursts", 10));
  }, 60_000);

  it("the property catches the ack-before-fsync variant with a safety violation", async () => {
    const outcome = await fc.check(property("ack-before-fsync"), {
      ...propertyParameters("raft-kv.catches-ack-before-fsync", 80),
      endOnFailure: true,
      reporter: undefined,
    });
    expect(outcome.failed, `no failure in ${outcome.numRuns} runs`).toBe(true);
    const violation = caught.get("ack-before-fsync")?.violations[0];
    expect(violation?.kind).toBe("safety");
    expect(violation?.invariant).toMatch(
      /^(raft-kv\.linearizable|raft\.state-machine-safety|raft\.election-safety|raft\.acknowledged-entries-held|raft-kv\.replicas-converge)$/,
    );
  }, 60_000);
});
