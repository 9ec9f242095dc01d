/**
 * Test fixture: a nondeterministic model (its step returns a list of possible
 * next states), to exercise the checker's handling of alternatives. A register
 * whose writes may be lost: after `write v` the value is v, or unchanged.
 * Reads and cas behave as in the cas register.
 */
import { casRegisterModel } from "../../../../src/sim/check/models/cas-register.ts";
import type { RegisterInput, RegisterOutput, RegisterState } from "../../../../src/sim/check/models/cas-register.ts";
import type { Model, StepResult } from "../../../../src/sim/check/model.ts";

export const lossyRegisterModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  ...casRegisterModel,
  name: "lossy-register",
  step: (state, input, output): StepResult<RegisterState> => {
    if (input.f === "write") return state === input.value ? [state] : [input.value, state];
    const result = casRegisterModel.step(state, input, output);
    return Array.isArray(result) || !("newState" in result) ? [] : [result.newState];
  },
};
