/**
 * bmdb-provisioning (scenarios/bmdb/provisioning.ts) on fixed seeds:
 * - under the swarm's partitions, isolations, clogs, pauses and crashes of servers
 *   and agents, work is mutually exclusive, the history and the backoffs are
 *   consistent, the replicas identical, and every machine gets provisioned;
 * - with two agents paused past their sessions' deadlines (a fixed plan), the
 *   others take their machines and the paused ones stop: mutual exclusion holds.
 *   It fails when a session trusts itself past its lease ("no-lease", and
 *   "unchecked-session": no lease and no session check);
 * - the backoff check fails when retrieval ignores backoffs, and liveness fails
 *   when expired sessions are never collected (their work is never released).
 * Failures print the replay command.
 */
import { describe, expect, it } from "vitest";
import { bmdbProvisioning } from "../../../scenarios/bmdb/provisioning.ts";
import { FAULT_PLAN_VERSION, type FaultPlan } from "../../../src/sim/faults/plan.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { firstCatch } from "../../_support/catch-variant.ts";
import { describeRun as describeScenarioRun } from "../../_support/describe-run.ts";

const describeRun = (
  seed: number,
  variant: string | undefined,
  result: Parameters<typeof describeScenarioRun>[3],
  plan = "",
) => describeScenarioRun("bmdb-provisioning", seed, variant, result, 400, plan);

/**
 * a1 paused for 3 s and a2 for 2 s, longer than a 2 s session interval (PAUSE_PAST_DEADLINE_KNOBS), while the others go
 * on.
 */
const PAUSE_PAST_DEADLINE: FaultPlan = {
  version: FAULT_PLAN_VERSION,
  faults: [
    { atMs: 3_000, kind: "pause", host: "a1", durationMs: 3_000 },
    { atMs: 3_500, kind: "pause", host: "a2", durationMs: 2_000 },
  ],
};
/** The session interval PAUSE_PAST_DEADLINE is timed for (the other knobs are the seed's). */
const PAUSE_PAST_DEADLINE_KNOBS = { sessionIntervalSeconds: 2 } as const;
const PLAN = " --knob sessionIntervalSeconds=2 --faults <the PAUSE_PAST_DEADLINE plan>";

describe("bmdb-provisioning", () => {
  for (const seed of [1, 2, 3]) {
    it(`provisions every machine with exclusive work, consistent history and backoffs (seed ${seed})`, async () => {
      const result = await runScenario(bmdbProvisioning, { seed });
      expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
      expect(result.faultPlan.faults.length).toBeGreaterThan(0);
      expect(result.stats.workload.verified).toBe(6);
      expect(Number(result.stats.workload["work:finished"])).toBe(12);
    }, 60_000);
  }

  // Seed 38 left m5 unprovisioned at the heal with its InstallOS in a 4 s backoff after three failures; the agents
  // went on failing work on purpose, four times in a row in the 20 s liveness bound (0.3^4). Those failures are the
  // workload's faults, and stop with the others now.
  it("provisions every machine once every fault, the workload's own failures included, stopped (seed 38)", async () => {
    const result = await runScenario(bmdbProvisioning, { seed: 38 });
    expect(result.violations, describeRun(38, undefined, result)).toEqual([]);
    expect(result.stats.workload.verified).toBe(6);
  }, 60_000);

  for (const seed of [1, 3]) {
    it(`agents paused past their deadlines stop, and others take over (seed ${seed})`, async () => {
      const result = await runScenario(bmdbProvisioning, {
        seed,
        faults: PAUSE_PAST_DEADLINE,
        knobs: PAUSE_PAST_DEADLINE_KNOBS,
      });
      expect(result.violations, describeRun(seed, undefined, result, PLAN)).toEqual([]);
    }, 60_000);
  }

  // The first seed whose schedule lets a paused agent's stale session act under the plan: it moves with every
  // change of the write path's timings (no-lease was caught at seed 1, then 3), so the tests search for it.
  for (const variant of ["no-lease", "unchecked-session"]) {
    it(
      `mutual exclusion fails on ${variant} with agents paused past their deadlines (first catch in seeds 1..12), and that seed passes without it`,
      async () => {
        const options = { faults: PAUSE_PAST_DEADLINE, knobs: PAUSE_PAST_DEADLINE_KNOBS };
        const fails = (result: RunResult) => result.violations[0]?.invariant === "bmdb.mutual-exclusion";
        const { caught, seen } = await firstCatch(bmdbProvisioning, variant, { first: 1, last: 12 }, fails, options);
        expect(caught, `${variant} not caught: ${seen.join("; ")}`).toBeDefined();
        const seed = caught?.seed ?? 0;
        const unmodified = await runScenario(bmdbProvisioning, { seed, ...options });
        expect(unmodified.violations, describeRun(seed, undefined, unmodified, PLAN)).toEqual([]);
      },
      12 * 60_000,
    );
  }

  it("the backoff check fails when retrieval ignores backoffs (seed 1)", async () => {
    const variant = "retrieval-ignores-backoff";
    const result = await runScenario(bmdbProvisioning, { seed: 1, variant });
    expect(result.violations[0]?.invariant, describeRun(1, variant, result)).toBe("bmdb.backoff");
  }, 60_000);

  it("liveness fails when expired sessions are never collected (within seeds 1..40)", async () => {
    const stalled = (result: RunResult) =>
      result.violations.map((violation) => violation.invariant).join() === "liveness.no-progress-after-heal";
    const { caught, seen } = await firstCatch(
      bmdbProvisioning,
      "no-session-collection",
      { first: 1, last: 40 },
      stalled,
    );
    expect(caught, `no-session-collection not caught: ${seen.join("; ")}`).toBeDefined();
  }, 120_000);
});
