/**
 * Test fixture, never on the shipping path: a deliberately broken checker that
 * ignores real-time order. It forgets when each operation returned (every
 * return becomes +Infinity), so any operation may be linearized before or after
 * any other, as if all of them overlapped. The tests use it to prove that the
 * suite would catch a checker with this bug.
 */
import { checkLinearizability } from "../../../../src/sim/check/linearizability.ts";
import type { CheckOptions, LinearizabilityResult } from "../../../../src/sim/check/linearizability.ts";
import type { OperationInput } from "../../../../src/sim/check/history.ts";
import type { Model } from "../../../../src/sim/check/model.ts";
import type { Operation } from "../../../../src/sim/check/operation.ts";

/** `checkLinearizability`, with the bug: real-time order between operations is ignored. */
export function checkIgnoringRealTime<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): LinearizabilityResult<Input, Output> {
  const concurrent = operations.map((operation) => ({ ...operation, return: Number.POSITIVE_INFINITY }));
  return checkLinearizability(model, concurrent, options);
}
