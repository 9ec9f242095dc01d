/**
 * What the checker reports when a history is not linearizable: the failing
 * partition's operations, the longest prefix it could linearize, and the
 * operations that could not come next (Porcupine shows the same three).
 */
import type { OperationInput } from "./history.ts";
import type { Model } from "./model.ts";
import type { Operation } from "./operation.ts";
import { isReturnEntry } from "./_internals/entry-list.ts";
import type { EntryList } from "./_internals/entry-list.ts";
import type { LongestPrefix } from "./_internals/wgl-search.ts";

/** Why one operation could not be linearized right after the longest prefix. */
export interface BlockedOperation<Input extends OperationInput, Output> {
  readonly operation: Operation<Input, Output>;
  /** E.g. `read -> 3 is not possible in state 1`. */
  readonly reason: string;
  /**
   * True when the model accepts it after the prefix, yet no linearization continues from there; false when its output
   * is impossible there.
   */
  readonly possible: boolean;
}

/** Why a history is not linearizable, in the failing partition. */
export interface Counterexample<Input extends OperationInput, Output> {
  /** The partition that failed (e.g. the key), or undefined when the model does not partition. */
  readonly key: string | undefined;
  /** Every operation of the failing partition, in call order. */
  readonly operations: readonly Operation<Input, Output>[];
  /** The longest linearizable prefix found: operations in their linearization order. */
  readonly longestPrefix: readonly Operation<Input, Output>[];
  /** The model state after the longest prefix, described. */
  readonly stateAfterPrefix: string;
  /**
   * The operations that could come next in real-time order (invoked before the
   * earliest return among the rest) and that the model rejects in that state.
   * Never empty.
   */
  readonly blocked: readonly BlockedOperation<Input, Output>[];
  /** A readable summary of all of the above. */
  readonly message: string;
}

/** Builds the counterexample of a failed search (the list is back in its initial order). */
export function buildCounterexample<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  key: string | undefined,
  operations: readonly Operation<Input, Output>[],
  longest: LongestPrefix<State>,
  list: EntryList,
): Counterexample<Input, Output> {
  const inPrefix = new Set(longest.slots);
  const longestPrefix = longest.slots.map((slot) => operations[slot] as Operation<Input, Output>);
  const blocked: BlockedOperation<Input, Output>[] = [];
  for (let entry = list.first(); entry !== list.tail; entry = list.next[entry] as number) {
    const slot = list.slotOf[entry] as number;
    if (inPrefix.has(slot)) continue;
    if (list.match[entry] === isReturnEntry) break;
    const operation = operations[slot] as Operation<Input, Output>;
    blocked.push(blockedOperation(model, longest.state, operation));
  }
  const stateAfterPrefix = model.describeState(longest.state);
  const counterexample = { key, operations, longestPrefix, stateAfterPrefix, blocked };
  return { ...counterexample, message: formatCounterexample(model, counterexample) };
}

function blockedOperation<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  state: State,
  operation: Operation<Input, Output>,
): BlockedOperation<Input, Output> {
  const result = model.step(state, operation.input, operation.output);
  const possible = Array.isArray(result) ? result.length > 0 : "ok" in result && result.ok;
  const described = model.describeOperation(operation.input, operation.output);
  const where = `in state ${model.describeState(state)}`;
  const reason = possible
    ? `${described} is possible ${where}, but no linearization continues from there`
    : `${described} is not possible ${where}`;
  return { operation, reason, possible };
}

/** Virtual times to the microsecond: finer digits are noise to a reader. */
function timeText(time: number): string {
  return time === Number.POSITIVE_INFINITY ? "open" : String(Math.round(time * 1000) / 1000);
}

/** Multi-line text: the key, the prefix in order, the state, then each blocked operation and why. */
export function formatCounterexample<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  counterexample: Omit<Counterexample<Input, Output>, "message">,
): string {
  const describe = (operation: Operation<Input, Output>): string =>
    `#${operation.id} process ${String(operation.process)}: ${model.describeOperation(operation.input, operation.output)} ` +
    `[${timeText(operation.callTime)}, ${timeText(operation.returnTime)}]`;
  const lines = [
    `not linearizable (${model.name}${counterexample.key === undefined ? "" : `, key ${JSON.stringify(counterexample.key)}`})`,
    `longest linearizable prefix (${counterexample.longestPrefix.length} operations):`,
    ...counterexample.longestPrefix.map((operation) => `  ${describe(operation)}`),
    `state after it: ${counterexample.stateAfterPrefix}`,
    "cannot come next:",
    ...counterexample.blocked.map((blocked) => `  ${describe(blocked.operation)}: ${blocked.reason}`),
  ];
  return lines.join("\n");
}
