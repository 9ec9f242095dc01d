/**
 * A sequential specification for the linearizability checker: what one
 * operation does to the state when operations run one at a time.
 */
import type { OperationInput } from "./history.ts";
import type { Operation } from "./operation.ts";

/**
 * The result of one sequential step. Either a deterministic answer (`ok` says
 * whether `output` is a legal result of `input` in that state; `newState` is the
 * state after), or, for a nondeterministic model, the list of every possible
 * next state under which `output` is legal (empty: illegal).
 */
export type StepResult<State> =
  | { readonly ok: true; readonly newState: State }
  | { readonly ok: false }
  | readonly State[];

/** A set of operations that can be checked on its own (e.g. those on one key). */
export interface Partition<Input extends OperationInput, Output> {
  /** Names the partition in results (e.g. the key). */
  readonly key: string;
  readonly operations: readonly Operation<Input, Output>[];
}

/**
 * A sequential specification. Operations are checked against it one at a time;
 * `equal` and `hash` let the checker cache the states it has explored.
 */
export interface Model<State, Input extends OperationInput, Output> {
  /** Names the model in messages. */
  readonly name: string;
  /** The state before any operation. */
  init(): State;
  /**
   * Applies `input` to `state`. `output` is what the operation returned, or
   * undefined when its outcome is unknown: then the step must accept any output
   * (and report the state the operation would leave). Must not mutate `state`.
   */
  step(state: State, input: Input, output: Output | undefined): StepResult<State>;
  /** State equality for the cache. */
  equal(first: State, second: State): boolean;
  /** An unsigned 32-bit hash; equal states must hash equally. */
  hash(state: State): number;
  /**
   * Optional: splits a history into independent parts (P-compositionality, e.g.
   * per key). The history is linearizable iff every part is. Every operation must
   * land in exactly one part.
   */
  partition?(operations: readonly Operation<Input, Output>[]): readonly Partition<Input, Output>[];
  /** One operation, for messages, e.g. `cas [1 2] -> true`. `output` undefined means unknown. */
  describeOperation(input: Input, output: Output | undefined): string;
  /** One state, for messages. */
  describeState(state: State): string;
}

/** One partition per key, in order of each key's first operation: for models whose keys are independent. */
export function partitionByKey<Input extends OperationInput & { readonly key: string }, Output>(
  operations: readonly Operation<Input, Output>[],
): Partition<Input, Output>[] {
  const byKey = new Map<string, Operation<Input, Output>[]>();
  for (const operation of operations) {
    const list = byKey.get(operation.input.key);
    if (list === undefined) byKey.set(operation.input.key, [operation]);
    else list.push(operation);
  }
  return [...byKey].map(([key, list]) => ({ key, operations: list }));
}
