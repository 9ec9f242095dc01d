/**
 * Invariant: a server whose disk can no longer be read is removed through the
 * leader, wiped, started empty and added back (counted once as
 * `wiped-and-rejoined`), and the run still ends with every replica holding the same
 * map and a linearizable history.
 * Shown failing on the broken operator it guards against: WipeWithoutRemoval
 * (wiped and restarted under its old identity without a removal) lets a laggard win
 * an election with the empty server's vote, caught by raft.leader-completeness.
 * Method: raft-kv-wipe-rejoin on fixed seeds (its own episode), and
 * raft-kv-linearizable with an explicit fault plan whose disk faults fail every read
 * of one server's disk after a crash, for 3 and 5 servers.
 */
import { describe, expect, it } from "vitest";
import { raftKvLinearizable } from "../../scenarios/raft-kv-linearizable.ts";
import { raftKvWipeRejoin, raftKvWipeRejoinWith } from "../../scenarios/raft-kv-wipe-rejoin.ts";
import type { FaultPlan } from "../../src/sim/faults/plan.ts";
import { runScenario, type RunResult } from "../../src/sim/runner.ts";
import { describeRun } from "../_support/describe-run.ts";
import { WipeWithoutRemoval } from "./_fixtures/wipe-without-removal.ts";

/** Seeds the broken operator is searched in (the first catch ends the search). */
const BROKEN_SEEDS = { first: 1, last: 10 };

/** The safety invariants by which a lost committed write is caught. */
const LOST_WRITE_INVARIANTS = /^(raft\.(leader-completeness|state-machine-safety|log-matching|election-safety)|raft-kv\.(linearizable|replicas-converge))$/;

describe("raft-kv-wipe-rejoin", () => {
  for (const seed of [1, 2, 3]) {
    it(`wipes and rejoins the server whose disk cannot be read, losing nothing (seed ${seed})`, async () => {
      const result = await runScenario(raftKvWipeRejoin, { seed });
      expect(result.violations, describeRun(raftKvWipeRejoin.name, seed, undefined, result)).toEqual([]);
      expect(result.stats.workload["wiped-and-rejoined"]).toBe(1);
      expect(Number(result.stats.workload["start:ErrSnapshotCorrupted"])).toBeGreaterThanOrEqual(3);
    });
  }

  it(`catches an operator that wipes without removing first (within seeds ${BROKEN_SEEDS.first}..${BROKEN_SEEDS.last})`, async () => {
    const broken = raftKvWipeRejoinWith((context, cluster) => new WipeWithoutRemoval(context, cluster));
    const seen: string[] = [];
    let caught: RunResult | undefined;
    for (let seed = BROKEN_SEEDS.first; seed <= BROKEN_SEEDS.last && caught === undefined; seed++) {
      const result = await runScenario(broken, { seed });
      const first = result.violations[0];
      if (first?.kind === "safety" && LOST_WRITE_INVARIANTS.test(first.invariant)) caught = result;
      else seen.push(`seed ${seed}: ${first === undefined ? "ok" : `${first.kind} ${first.invariant}`}`);
    }
    expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
  }, 120_000);
});

/** Every read of `host`'s disk fails from `atMs` on (for the whole safety phase), and `host` crashes then, to restart 100 ms later. */
function unreadableDiskPlan(host: string, atMs: number, safetyMs: number): FaultPlan {
  return {
    version: 1,
    faults: [
      { atMs, kind: "crash", host },
      { atMs, kind: "disk-faults", host, rates: { readErrorProbability: 1 }, durationMs: safetyMs - atMs },
      { atMs: atMs + 100, kind: "restart", host },
    ],
  };
}

describe("raft-kv-linearizable with a disk made unreadable by the fault plan", () => {
  for (const [seed, servers] of [[1, 3], [2, 5]] as const) {
    it(`wipes and rejoins n2, and the history stays linearizable (seed ${seed}, ${servers} servers)`, async () => {
      const faults = unreadableDiskPlan("n2", 2_000, raftKvLinearizable.safetyMs);
      const result = await runScenario(raftKvLinearizable, { seed, faults, params: { servers } });
      expect(result.violations, describeRun(raftKvLinearizable.name, seed, undefined, result, 400, ` --faults plan.json, plan: ${JSON.stringify(faults)}`)).toEqual([]);
      expect(result.stats.workload["wiped-and-rejoined"]).toBe(1);
    });
  }
});
