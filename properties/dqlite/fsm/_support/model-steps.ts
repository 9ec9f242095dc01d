/**
 * fast-check arbitraries of plausible command logs for the cluster model: transactions
 * of a few batches on a few pages, often interrupted by a leadership loss whose entry
 * commits anyway or is lost, elections, and snapshots moved between nodes.
 */
import fc from "fast-check";
import type { Interruption, Step, TransactionStep } from "./cluster-model.ts";

export interface StepsShape {
  readonly nodes: number;
  readonly databases: number;
  readonly maxSteps: number;
}

const pages = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 3 });

function interruption(nodes: number): fc.Arbitrary<Interruption> {
  return fc.record({
    at: fc.integer({ min: 0, max: 3 }),
    fate: fc.constantFrom("committed" as const, "lost" as const),
    newLeader: fc.integer({ min: 0, max: nodes - 1 }),
  });
}

function transaction(shape: StepsShape): fc.Arbitrary<TransactionStep> {
  return fc.record({
    kind: fc.constant("transaction" as const),
    database: fc.integer({ min: 0, max: shape.databases - 1 }),
    batches: fc.array(pages, { maxLength: 3 }),
    commitPages: pages,
    rollback: fc.boolean(),
    interruption: fc.option(interruption(shape.nodes), { freq: 2, nil: null }),
    checkpoint: fc.boolean(),
  });
}

/** Sequences of steps for a cluster of `shape.nodes` nodes and `shape.databases` databases. */
export function stepsArbitrary(shape: StepsShape): fc.Arbitrary<Step[]> {
  const node = fc.integer({ min: 0, max: shape.nodes - 1 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: transaction(shape) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("elect" as const), leader: node }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("snapshot-restore" as const), source: node, target: node }) },
  );
  return fc.array(step, { maxLength: shape.maxSteps, size: "max" });
}
