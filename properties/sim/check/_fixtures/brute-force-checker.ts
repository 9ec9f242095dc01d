/**
 * Test fixture: the definition of linearizability, checked by brute force on
 * small histories. It tries every order of the operations that respects real
 * time (an operation that returned before another was invoked comes first) and
 * replays it on the model; there is no cache and no cleverness, so it is slow
 * and obviously right. Operations with an unknown outcome are included like the
 * others (the model accepts any output for them; linearizing one last is the
 * same as never).
 */
import type { OperationInput } from "../../../../src/sim/check/history.ts";
import type { Model, StepResult } from "../../../../src/sim/check/model.ts";
import type { Operation } from "../../../../src/sim/check/operation.ts";

/** True iff some real-time-respecting order of `operations` is a legal sequential run of `model`. */
export function bruteForceLinearizable<State, Input extends OperationInput, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
): boolean {
  const placed = operations.map(() => false);
  const search = (state: State, count: number): boolean => {
    if (count === operations.length) return true;
    return operations.some((operation, index) => {
      if (placed[index] === true || !isMinimal(operations, placed, index)) return false;
      placed[index] = true;
      const found = nextStates(model.step(state, operation.input, operation.output)).some((next) =>
        search(next, count + 1),
      );
      placed[index] = false;
      return found;
    });
  };
  return search(model.init(), 0);
}

/** No operation still unplaced returned before this one was invoked. */
function isMinimal<Input extends OperationInput, Output>(
  operations: readonly Operation<Input, Output>[],
  placed: readonly boolean[],
  index: number,
): boolean {
  const call = (operations[index] as Operation<Input, Output>).call;
  return operations.every(
    (other, otherIndex) => placed[otherIndex] === true || otherIndex === index || !(other.return < call),
  );
}

function nextStates<State>(result: StepResult<State>): readonly State[] {
  if (Array.isArray(result)) return result;
  const deterministic = result as { ok: boolean; newState?: State };
  return deterministic.ok ? [deterministic.newState as State] : [];
}
