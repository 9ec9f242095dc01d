/**
 * The linearizability checker: Wing-Gong-Lowe search with Lowe's state cache,
 * as in Porcupine, run partition by partition when the model partitions
 * (a history is linearizable iff each partition is).
 *
 * Every run is bounded: a maximum number of search steps (always), and
 * optionally a timeout measured on a clock the caller injects. Running out gives
 * the verdict "unknown", never a hang and never a guess.
 */
import { assert } from "../assert.ts";
import { buildCounterexample } from "./counterexample.ts";
import type { Counterexample } from "./counterexample.ts";
import type { OperationInput } from "./history.ts";
import type { Model, Partition } from "./model.ts";
import type { Operation } from "./operation.ts";
import { StepBudget } from "./_internals/step-budget.ts";
import type { ExhaustedLimit } from "./_internals/step-budget.ts";
import { WglSearch } from "./_internals/wgl-search.ts";

/** Steps each unfinished partition gets in the first round; each round doubles it. */
const firstSliceSteps = 4096;

/**
 * Default maximum of search steps for one check (all partitions together). The
 * hardest reference history needs about 1.4 million. Each step adds at most one
 * pair to the state cache (tens of bytes), so this also bounds memory.
 */
export const defaultMaxSteps = 10_000_000;

/** Limits of one check. */
export interface CheckOptions {
  /** Maximum search steps over all partitions (default `defaultMaxSteps`). One step is one visit of a list entry. */
  maxSteps?: number;
  /** Gives up after this many milliseconds of `clock`. Requires `clock`. */
  timeoutMs?: number;
  /** The clock for `timeoutMs`, in milliseconds (injected: src/sim/check never reads real time). */
  clock?: () => number;
}

/** The answer of a check; "unknown" only when a limit ran out. */
export type Verdict = "linearizable" | "not-linearizable" | "unknown";

/** The result of `checkLinearizability`. */
export interface LinearizabilityResult<Input extends OperationInput, Output> {
  /** "unknown" means a limit ran out before an answer (see `exhausted`). */
  readonly verdict: Verdict;
  /** Partitions of the history (1 when the model does not partition). */
  readonly partitionCount: number;
  /** Partitions whose search finished (linearizable, or the failing one). */
  readonly partitionsChecked: number;
  /** Search steps taken over all partitions. */
  readonly steps: number;
  /** Present exactly when the verdict is "not-linearizable". */
  readonly counterexample?: Counterexample<Input, Output>;
  /** Present exactly when the verdict is "unknown": which limit ran out, in which partition. */
  readonly exhausted?: { readonly limit: ExhaustedLimit; readonly key: string | undefined };
}

/**
 * Decides whether `operations` (see `historyToOperations`) are linearizable
 * with respect to `model`.
 *
 * Partitions are searched in rounds: each unfinished partition gets a slice of
 * steps, and the slice doubles every round. So a partition that is quick to
 * refute ends the check even when another partition is hard (a history is not
 * linearizable as soon as one partition is not), at most doubling the work when
 * all are linearizable. Everything is counted in steps: deterministic.
 */
export function checkLinearizability<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): LinearizabilityResult<Input, Output> {
  assertUniqueIds(operations);
  const budget = new StepBudget(options.maxSteps ?? defaultMaxSteps, options.timeoutMs, options.clock);
  const partitions = partitionsOf(model, operations);
  let decided = 0;
  const summary = (verdict: Verdict) => ({
    verdict,
    partitionCount: partitions.length,
    partitionsChecked: decided,
    steps: budget.steps,
  });
  let unfinished = partitions.map((partition) => ({ partition, search: new WglSearch(model, partition.operations) }));
  for (let sliceSteps = firstSliceSteps; unfinished.length > 0; sliceSteps *= 2) {
    const paused: typeof unfinished = [];
    for (const { partition, search } of unfinished) {
      const outcome = search.run(budget, sliceSteps);
      switch (outcome.kind) {
        case "paused":
          paused.push({ partition, search });
          break;
        case "linearizable":
          decided++;
          break;
        case "not-linearizable": {
          decided++;
          const counterexample = buildCounterexample(
            model,
            partition.key,
            partition.operations,
            outcome.longest,
            outcome.list,
          );
          return { ...summary("not-linearizable"), counterexample };
        }
        case "exhausted":
          return { ...summary("unknown"), exhausted: { limit: budget.exhausted ?? "max-steps", key: partition.key } };
      }
    }
    unfinished = paused;
  }
  return summary("linearizable");
}

interface KeyedPartition<Input extends OperationInput, Output> {
  readonly key: string | undefined;
  readonly operations: readonly Operation<Input, Output>[];
}

function partitionsOf<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
): readonly KeyedPartition<Input, Output>[] {
  if (model.partition === undefined) return [{ key: undefined, operations }];
  const partitions: readonly Partition<Input, Output>[] = model.partition(operations);
  const total = partitions.reduce((sum, partition) => sum + partition.operations.length, 0);
  assert(
    total === operations.length,
    () => `${model.name}.partition put ${total} operations in partitions, expected ${operations.length}`,
  );
  return partitions;
}

function assertUniqueIds(operations: readonly Operation<OperationInput, unknown>[]): void {
  const ids = new Set<number>();
  for (const operation of operations) {
    assert(!ids.has(operation.id), () => `operation id ${operation.id} appears twice`);
    ids.add(operation.id);
  }
}
