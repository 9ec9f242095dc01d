/**
 * Invariant (etcd-kv): range, put and txn compare-and-swap through EtcdClient on
 * three members form a linearizable history (per key, the Jepsen-verified checker),
 * with one leader per term, one command per log index, converged members, and a
 * watch that delivers exactly the committed revisions, under the swarm's faults and
 * under generated fault plans.
 * Broken variants: "local-reads" (the leader answers ranges from its own replica
 * without ReadIndex) is caught as etcd.linearizable by the crafted stale-read plan
 * (_support/plans.ts), which the correct server passes; "version-not-reset-on-delete"
 * (a key put again after a delete continues its old version) by etcd.key-version,
 * judged from the watch's events, on swarm seeds.
 * Method: the scenario on fixed seeds (each drawing its knobs) and on the crafted plan
 * in the configuration it is timed for; fast-check generated plans.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { etcdKv } from "../../../scenarios/etcd/kv.ts";
import { faultPlanArbitrary } from "../../../src/sim/faults/arbitrary.ts";
import { firstCatch } from "../../_support/catch-variant.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { CRAFTED_PLAN_KNOBS, STALE_READ_SAFETY_MS, staleReadPlan } from "./_support/plans.ts";
import { describeRun, runEtcd } from "./_support/runs.ts";

const SAFETY_MS = 1_500;
const plans = faultPlanArbitrary({
  hosts: ["n1", "n2", "n3"],
  durationMs: SAFETY_MS,
  kinds: ["partition", "isolate", "clog", "crash", "pause", "clock-skew", "link-quality"],
  maxEvents: 6,
});

describe("etcd-kv", () => {
  for (const seed of [1, 2, 3]) {
    it(`is linearizable, converges and watches exactly under the swarm's faults (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runEtcd(etcdKv, run);
      expect(result.violations, describeRun(etcdKv, run, result)).toEqual([]);
      expect(result.stats.progressAtMs).toBeDefined();
      expect(Number(result.stats.workload.ok)).toBeGreaterThan(0);
      expect(result.stats.probes["etcd.txn-failure-branch"]).toBeGreaterThan(0);
    });
  }

  it("etcd.linearizable: holds for generated fault plans", async () => {
    await fc.assert(
      fc.asyncProperty(plans, async (faults) => {
        const run = { seed: 1, faults, safetyMs: SAFETY_MS };
        const result = await runEtcd(etcdKv, run);
        if (!result.ok) throw new Error(describeRun(etcdKv, run, result));
      }),
      propertyParameters("etcd.linearizable-under-generated-plans", 4),
    );
  }, 60_000);

  it("etcd.key-version catches the version-not-reset-on-delete variant within swarm seeds 1..20", async () => {
    const { caught, seen } = await firstCatch(
      etcdKv,
      "version-not-reset-on-delete",
      { first: 1, last: 20 },
      (result) => result.violations[0]?.invariant === "etcd.key-version",
    );
    expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
    expect(caught?.result.violations[0]?.kind).toBe("safety");
  }, 60_000);

  it("passes the stale-read plan (a paused leader while a new one takes writes)", async () => {
    const run = { seed: 4, faults: staleReadPlan(), safetyMs: STALE_READ_SAFETY_MS, knobs: CRAFTED_PLAN_KNOBS };
    const result = await runEtcd(etcdKv, run);
    expect(result.violations, describeRun(etcdKv, run, result)).toEqual([]);
    expect(Number(result.stats.workload.terms)).toBeGreaterThan(1);
  });

  it("catches the local-reads variant with the stale-read plan (etcd.linearizable; seeds 4, 2, 5 caught it when written)", async () => {
    const outcomes: string[] = [];
    for (const seed of [4, 2, 5]) {
      const run = {
        seed,
        variant: "local-reads",
        faults: staleReadPlan(),
        safetyMs: STALE_READ_SAFETY_MS,
        knobs: CRAFTED_PLAN_KNOBS,
      };
      const result = await runEtcd(etcdKv, run);
      const first = result.violations[0];
      if (first?.invariant === "etcd.linearizable" && first.kind === "safety") return;
      outcomes.push(describeRun(etcdKv, run, result));
    }
    expect.fail(`the stale-read plan caught no stale read:\n${outcomes.join("\n")}`);
  });
});
