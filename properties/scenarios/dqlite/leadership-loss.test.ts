/**
 * The leadership-loss matrix (scenarios/dqlite/leadership-loss.ts): the leader is
 * deposed at each hook point (commit frames; first and second non-commit frames;
 * commit after non-commit frames), with the Frames command on a quorum or on the
 * leader alone, and the same or another leader elected next. For each of the 16 cells:
 * - the replicas end byte-identical with integrity_check ok, no FSM invariant is
 *   violated, every acknowledged batch is present and no batch is present twice or
 *   in part, and the cell was really realized (the cut at its hook, the quorum
 *   condition, the expected leader);
 * - the path of the seed the cell is about is the one taken (resurrection,
 *   surrogate, stale-zombie purge, or zombie undo: the FSM's probes).
 * Each part of the zombie machinery is shown necessary: its broken variant fails
 * the cell that needs it.
 * Failures print the replay command.
 */
import { describe, expect, it } from "vitest";
import {
  cellOfSeed,
  describeCell,
  leadershipLossScenario,
  LEADERSHIP_LOSS_CELLS,
} from "../../../scenarios/dqlite/leadership-loss.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { describeRun as describeAnyRun } from "./_support/runs.ts";

const describeRun = (seed: number, variant: string | undefined, result: RunResult): string =>
  describeAnyRun("dqlite-leadership-loss", seed, variant, result, 300);

/** The FSM path each cell must take (seed 001's zombie cases). */
function expectedPath(seed: number): string {
  const { hook, quorum, next } = cellOfSeed(seed);
  const lostOnOther = !quorum && next === "other";
  switch (hook) {
    case "commit":
      return lostOnOther ? "dqlite.fsm.stale-zombie-purged" : "dqlite.fsm.zombie-resurrected";
    case "first-non-commit":
      return lostOnOther ? "dqlite.fsm.stale-zombie-purged" : "dqlite.fsm.surrogate-created";
    case "second-non-commit":
      return lostOnOther ? "dqlite.fsm.zombie-undone" : "dqlite.fsm.surrogate-created";
    case "commit-after-non-commit":
      return lostOnOther ? "dqlite.fsm.zombie-undone" : "dqlite.fsm.zombie-resurrected";
  }
}

describe("dqlite leadership-loss matrix", () => {
  it("has 16 cells, one per seed modulo 16", () => {
    expect(new Set(LEADERSHIP_LOSS_CELLS.map(describeCell)).size).toBe(16);
    expect(describeCell(cellOfSeed(16))).toBe(describeCell(cellOfSeed(0)));
  });

  for (let seed = 0; seed < LEADERSHIP_LOSS_CELLS.length; seed++) {
    const cell = describeCell(cellOfSeed(seed));
    it(`${cell}: replicas identical and sound, the client's view consistent (seed ${seed})`, async () => {
      const result = await runScenario(leadershipLossScenario(), { seed });
      expect(result.violations, describeRun(seed, undefined, result)).toEqual([]);
      expect(result.stats.workload.cell).toBe(cell);
      expect(result.stats.workload.cut).toBe("healed");
      expect(
        result.stats.probes[expectedPath(seed)],
        `${expectedPath(seed)} not hit: ${describeRun(seed, undefined, result)}`,
      ).toBeGreaterThan(0);
    }, 60_000);
  }

  // Each variant breaks one case of the seed's zombie handling; the cell that needs it catches it.
  const caught: Array<{ variant: string; seed: number; invariant: RegExp }> = [
    {
      variant: "ack-before-raft-commit",
      seed: 3,
      invariant: /^(dqlite-leadership-loss\.|dqlite\.fsm-invariant$|process\.unhandled-rejection$)/,
    },
    { variant: "skip-dangling-undo", seed: 5, invariant: /^dqlite\.fsm-invariant$/ },
    { variant: "no-stale-zombie-purge", seed: 7, invariant: /^dqlite\.fsm-invariant$/ },
    { variant: "undo-keeps-zombies", seed: 11, invariant: /^dqlite\.fsm-invariant$/ },
    {
      variant: "resurrect-without-frames",
      seed: 13,
      invariant: /^(dqlite-leadership-loss\.|scenario\.final-check-failed$)/,
    },
    { variant: "follower-kept-after-commit", seed: 0, invariant: /^dqlite\.fsm-invariant$/ },
  ];
  for (const { variant, seed, invariant } of caught) {
    it(`catches ${variant} in cell ${describeCell(cellOfSeed(seed))} (seed ${seed})`, async () => {
      const result = await runScenario(leadershipLossScenario(), { seed, variant });
      const violation = result.violations[0];
      expect(violation, `no violation: ${describeRun(seed, variant, result)}`).toBeDefined();
      expect(violation?.kind, describeRun(seed, variant, result)).toBe("safety");
      expect(violation?.invariant, describeRun(seed, variant, result)).toMatch(invariant);
    }, 60_000);
  }
});
