/**
 * Invariant (etcd-kv's watch): a watch that resumes across leader changes and
 * member crashes never skips or repeats a revision, and delivers exactly the
 * committed events of every revision, in revision order (compared with the final
 * store's history).
 * Broken variants of the client's resume: "resume-from-last" (resumes from the last
 * delivered revision: a revision repeats) and "resume-from-current" (resumes from
 * the current revision + 1: revisions are skipped, or repeated when the member it
 * lands on lags), each caught.
 * Method: the etcd-kv scenario with a plan that crashes each member in turn
 * (_support/plans.ts, in the configuration it is timed for), and on swarm seeds for the first variant.
 */
import { describe, expect, it } from "vitest";
import { etcdKv } from "../../../scenarios/etcd/kv.ts";
import { CRAFTED_PLAN_KNOBS, memberCrashPlan } from "./_support/plans.ts";
import { describeRun, runEtcd } from "./_support/runs.ts";

const WATCH_INVARIANTS = /^etcd\.watch-(in-order|exact)$/;

describe("etcd watch across member crashes", () => {
  for (const seed of [1, 2]) {
    it(`delivers every revision once, in order, while every member crashes in turn (seed ${seed})`, async () => {
      const run = { seed, faults: memberCrashPlan(), knobs: CRAFTED_PLAN_KNOBS };
      const result = await runEtcd(etcdKv, run);
      expect(result.violations, describeRun(etcdKv, run, result)).toEqual([]);
      expect(result.stats.probes["etcd.watch-resumed"]).toBeGreaterThan(0);
      expect(Number(result.stats.workload.terms)).toBeGreaterThan(1);
      expect(Number(result.stats.workload.revisions)).toBeGreaterThan(50);
    });
  }

  for (const variant of ["resume-from-last", "resume-from-current"]) {
    it(`catches the ${variant} variant`, async () => {
      const run = { seed: 1, variant, faults: memberCrashPlan(), knobs: CRAFTED_PLAN_KNOBS };
      const result = await runEtcd(etcdKv, run);
      expect(result.violations[0]?.invariant, describeRun(etcdKv, run, result)).toMatch(WATCH_INVARIANTS);
      expect(result.violations[0]?.kind).toBe("safety");
    });
  }

  it("catches resume-from-last under the swarm's faults too (seed 6)", async () => {
    const run = { seed: 6, variant: "resume-from-last" };
    const result = await runEtcd(etcdKv, run);
    expect(result.violations[0]?.invariant, describeRun(etcdKv, run, result)).toMatch(WATCH_INVARIANTS);
  });
});
