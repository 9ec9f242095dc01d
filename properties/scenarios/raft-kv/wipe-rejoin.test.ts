/**
 * Invariant: a server whose disk can no longer be read is removed through the
 * leader, wiped, started empty and added back (counted once as
 * `wiped-and-rejoined`), and the run still ends with every replica holding the same
 * map and a linearizable history.
 * Shown failing on the broken operator it guards against: WipeWithoutRemoval
 * (wiped and restarted under its old identity without a removal) lets a laggard win
 * an election with the empty server's vote, caught by raft.leader-completeness.
 * The trigger: only UNREADABLE_STARTS_BEFORE_WIPE unreadable-storage failures in a
 * row hand a server over (a success or another failure starts the count again).
 * Method: raft-kv-wipe-rejoin on fixed seeds (its own episode), and
 * raft-kv-linearizable with an explicit fault plan whose disk faults fail every read
 * of one server's disk after a crash, for 3 and 5 servers.
 */
import { describe, expect, it } from "vitest";
import { raftKvLinearizable } from "../../../scenarios/raft-kv/linearizable.ts";
import { raftKvWipeRejoin, raftKvWipeRejoinWith } from "../../../scenarios/raft-kv/wipe-rejoin.ts";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import { runScenario, type RunResult, type ScenarioContext } from "../../../src/sim/runner.ts";
import { DiskError } from "../../../src/sim/env.ts";
import { World } from "../../../src/sim/world.ts";
import { ErrLogCorrupted, ErrSnapshotCorrupted } from "../../../src/impl/raft/index.ts";
import { UNREADABLE_STARTS_BEFORE_WIPE, WipeAndRejoin } from "../../../scenarios/harness/wipe-and-rejoin.ts";
import { describeRun } from "../../_support/describe-run.ts";
import { WipeWithoutRemoval } from "./_fixtures/wipe-without-removal.ts";

/** Seeds the broken operator is searched in (the first catch ends the search). */
const BROKEN_SEEDS = { first: 1, last: 10 };

/** The safety invariants by which a lost committed write is caught. */
const LOST_WRITE_INVARIANTS =
  /^(raft\.(leader-completeness|state-machine-safety|log-matching|election-safety)|raft-kv\.(linearizable|replicas-converge))$/;

describe("the operator's trigger", () => {
  const operatorOn = (world: World) =>
    new WipeAndRejoin({ world } as unknown as ScenarioContext, { live: new Map(), failures: {} });
  const unreadable = new ErrLogCorrupted("/raft/log", 0, "payload checksum mismatch");

  it(`hands a server over after ${UNREADABLE_STARTS_BEFORE_WIPE} unreadable-storage failures in a row, and traces it`, () => {
    const world = new World({ seed: 1 });
    const operator = operatorOn(world);
    for (let start = 1; start < UNREADABLE_STARTS_BEFORE_WIPE; start++) operator.startFailed("n1", unreadable);
    expect(operator.handedOver("n1")).toBe(false);
    operator.startFailed("n1", new ErrSnapshotCorrupted("/raft/stable", "EIO"));
    expect(operator.handedOver("n1")).toBe(true);
    expect(operator.handedOver("n2")).toBe(false);
    expect(operator.joinsByAddition("n1")).toBe(false);
  });

  it("counts only failures in a row: a start that succeeds, or fails otherwise (a transient EIO), starts the count again", () => {
    const world = new World({ seed: 1 });
    const operator = operatorOn(world);
    for (const interruption of [
      () => operator.started("n1"),
      () => operator.startFailed("n1", new DiskError("EIO", "read", "/raft/log")),
    ]) {
      for (let start = 1; start < UNREADABLE_STARTS_BEFORE_WIPE; start++) operator.startFailed("n1", unreadable);
      interruption();
    }
    for (let start = 1; start < UNREADABLE_STARTS_BEFORE_WIPE; start++) operator.startFailed("n1", unreadable);
    expect(operator.handedOver("n1")).toBe(false);
  });
});

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

/**
 * Every read of `host`'s disk fails from `atMs` on (for the whole safety phase), and `host` crashes then, to restart
 * 100 ms later.
 */
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
  for (const [seed, servers] of [
    [1, 3],
    [2, 5],
  ] as const) {
    it(`wipes and rejoins n2, and the history stays linearizable (seed ${seed}, ${servers} servers)`, async () => {
      const faults = unreadableDiskPlan("n2", 2_000, raftKvLinearizable.safetyMs);
      const result = await runScenario(raftKvLinearizable, { seed, faults, params: { servers } });
      expect(
        result.violations,
        describeRun(
          raftKvLinearizable.name,
          seed,
          undefined,
          result,
          400,
          ` --faults plan.json, plan: ${JSON.stringify(faults)}`,
        ),
      ).toEqual([]);
      expect(result.stats.workload["wiped-and-rejoined"]).toBe(1);
    });
  }
});
