/**
 * dqlite-zombies (scenarios/dqlite/leadership-loss.ts): batches of rows, some
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
import { dqliteZombies } from "../../../scenarios/dqlite/leadership-loss.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { firstCatch } from "../../_support/catch-variant.ts";
import { describeRun as describeAnyRun } from "./_support/runs.ts";

const describeRun = (seed: number, variant: string | undefined, result: RunResult): string =>
  describeAnyRun("dqlite-zombies", seed, variant, result, 300);

const ZOMBIE_PROBES = [
  "dqlite.fsm.surrogate-created",
  "dqlite.fsm.stale-zombie-purged",
  "dqlite.fsm.zombie-undone",
  "dqlite.leader.dangling-follower-undone",
];

describe("dqlite-zombies", () => {
  const hit = new Set<string>();
  let abandoned = 0;
  // Seeds chosen so that between them they take every zombie path (the schedules moved with the SQLite
  // write path's timings; 7 and 14 took them before).
  for (const seed of [1, 21, 31]) {
    it(`no invariant trips and no transaction is left behind under random leadership changes (seed ${seed})`, async () => {
      const result = await runScenario(dqliteZombies, { seed });
      expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
      expect(Number(result.stats.workload.terms)).toBeGreaterThan(1);
      for (const probe of ZOMBIE_PROBES) if ((result.stats.probes[probe] ?? 0) > 0) hit.add(probe);
      abandoned += Number(result.stats.workload["abandoned:rolled-back"] ?? 0);
    }, 60_000);
  }

  // Found by a fresh-seed sweep (seed 100174): a client's ROLLBACK reached the old leader after Raft stepped
  // down but before its leadership observer aborted the sessions; the server dropped the session without rolling
  // SQLite's transaction back, and the final integrity_check on that node flushed the capture's held frames
  // ("disk I/O error"). Focused property: properties/dqlite/node/rollback-after-leadership-loss.test.ts. Since
  // the SQLite write path changed its timings, seed 100174 no longer reaches that moment (it still passes);
  // seed 45 does (the Frames hook refuses once leadership is gone; seed 31 did until the Raft heartbeat-response
  // append moved its schedule: 1 of seeds 1..60 reaches it now).
  for (const { seed, reaches } of [
    { seed: 100174, reaches: false },
    { seed: 45, reaches: true },
  ]) {
    it(`rolls back a session whose ROLLBACK reached the old leader after it stepped down (seed ${seed})`, async () => {
      const result = await runScenario(dqliteZombies, { seed });
      expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
      if (reaches) expect(result.stats.probes["dqlite.leader.frames-refused-not-leader"] ?? 0).toBeGreaterThan(0);
    }, 60_000);
  }

  it("the seeds above took every zombie path between them, and rolled abandoned batches back", () => {
    expect([...hit].sort()).toEqual([...ZOMBIE_PROBES].sort());
    expect(abandoned).toBeGreaterThan(0);
  });

  // Each variant is searched for on seeds 1..40, as a sweep would find it: the
  // schedules move with the workload and the swarm, the verdict must not.
  const fsmInvariant = (result: RunResult) =>
    result.violations[0]?.kind === "safety" && result.violations[0]?.invariant === "dqlite.fsm-invariant";
  for (const { variant, buggify } of [
    { variant: "undo-keeps-zombies" },
    { variant: "no-stale-zombie-purge" },
    { variant: "skip-dangling-undo" },
    { variant: "undo-is-noop", buggify: true },
  ]) {
    it(`catches ${variant} with an FSM invariant on a seed within 1..40${buggify === true ? " (buggify)" : ""}`, async () => {
      const { caught, seen } = await firstCatch(dqliteZombies, variant, { first: 1, last: 40 }, fsmInvariant, {
        buggify: buggify === true,
      });
      expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
      // The same seed passes without the variant: only the broken case differs.
      const clean = await runScenario(dqliteZombies, { seed: caught?.seed ?? 0, buggify: buggify === true });
      expect(clean.violations, describeRun(caught?.seed ?? 0, undefined, clean)).toEqual([]);
    }, 240_000);
  }
});
