/**
 * dqlite-zombies (scenarios/dqlite-leadership-loss.ts): batches of rows, some
 * spilling non-commit frames, under random leadership changes (the swarm's
 * partitions, isolations, clogs, pauses and crashes of servers), on fixed seeds:
 * - no FSM invariant trips (no unexpected transaction or state), no transaction of
 *   any kind is left registered once everything caught up, the replicas end
 *   byte-identical with integrity_check ok, every acknowledged batch is present and
 *   none twice or in part;
 * - the seeds exercise the zombie paths (surrogates, purges, undos: FSM probes) and
 *   the abandoned batches (rolled back after their frames spilled to the followers);
 * - each case of the zombie handling is needed: its broken variant trips an invariant;
 *   so is the Undo on the followers' WAL (database files' "undo-is-noop", with buggify:
 *   a checkpoint right after a rollback meets the frames it left).
 * Failures print the replay command.
 */
import { describe, expect, it } from "vitest";
import { dqliteZombies } from "../../../scenarios/dqlite-leadership-loss.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { describeRun as describeAnyRun } from "./_support/runs.ts";

const describeRun = (seed: number, variant: string | undefined, result: RunResult): string => describeAnyRun("dqlite-zombies", seed, variant, result, 300);

const ZOMBIE_PROBES = ["dqlite.fsm.surrogate-created", "dqlite.fsm.stale-zombie-purged", "dqlite.fsm.zombie-undone", "dqlite.leader.dangling-follower-undone"];

describe("dqlite-zombies", () => {
  const hit = new Set<string>();
  let abandoned = 0;
  for (const seed of [1, 3, 18]) {
    it(`no invariant trips and no transaction is left behind under random leadership changes (seed ${seed})`, async () => {
      const result = await runScenario(dqliteZombies, { seed });
      expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
      expect(Number(result.stats.workload.terms)).toBeGreaterThan(1);
      for (const probe of ZOMBIE_PROBES) if ((result.stats.probes[probe] ?? 0) > 0) hit.add(probe);
      abandoned += Number(result.stats.workload["abandoned:rolled-back"] ?? 0);
    }, 60_000);
  }

  it("the seeds above took every zombie path between them, and rolled abandoned batches back", () => {
    expect([...hit].sort()).toEqual([...ZOMBIE_PROBES].sort());
    expect(abandoned).toBeGreaterThan(0);
  });

  for (const { variant, seed, buggify } of [
    { variant: "undo-keeps-zombies", seed: 4 },
    { variant: "no-stale-zombie-purge", seed: 18 },
    { variant: "skip-dangling-undo", seed: 4 },
    { variant: "undo-is-noop", seed: 13, buggify: true },
  ]) {
    it(`catches ${variant} (seed ${seed}${buggify === true ? ", buggify" : ""})`, async () => {
      const result = await runScenario(dqliteZombies, { seed, variant, buggify: buggify === true });
      expect(result.violations[0]?.kind, describeRun(seed, variant, result)).toBe("safety");
      expect(result.violations[0]?.invariant, describeRun(seed, variant, result)).toBe("dqlite.fsm-invariant");
    }, 60_000);
  }
});
