/**
 * A compare-and-set register: read, write, and cas (compare-and-set), starting
 * with no value (`null`). This is the model of the Jepsen etcd histories.
 *
 * Outputs: a read returns the value read (`null` for no value yet); a write
 * returns nothing meaningful (its output is ignored); a cas returns whether it
 * swapped. A cas that returned false constrains the state (it did not hold the
 * expected value) and changes nothing.
 */
import { hashNumber, hashString } from "../hash.ts";
import type { OperationInput } from "../history.ts";
import { partitionByKey, type Model, type StepResult } from "../model.ts";

/** A value the register can hold. */
export type RegisterValue = number | string;

/** The register's state: its value, or null before any write. */
export type RegisterState = RegisterValue | null;

/** A read (value nil), a write of a value, or a cas of `[expected, next]`. */
export type RegisterInput =
  | { readonly f: "read"; readonly value: null }
  | { readonly f: "write"; readonly value: RegisterValue }
  | { readonly f: "cas"; readonly value: readonly [expected: RegisterValue, next: RegisterValue] };

/** A read's value, or null for "no value"; a cas's success; anything for a write. */
export type RegisterOutput = RegisterState | boolean;

const nullHash = 0x6e756c6c;

/** The compare-and-set register model (initial value null). */
export const casRegisterModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  name: "cas-register",
  init: () => null,
  step: stepRegister,
  equal: (first, second) => first === second,
  hash: hashRegisterState,
  describeOperation: describeRegisterOperation,
  describeState: (state) => describeValue(state),
};

const rejected = { ok: false } as const;

function stepRegister(
  state: RegisterState,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): StepResult<RegisterState> {
  switch (input.f) {
    case "read":
      return output === undefined || output === state ? { ok: true, newState: state } : rejected;
    case "write":
      return { ok: true, newState: input.value };
    case "cas": {
      const swaps = state === input.value[0];
      if (output !== undefined && output !== swaps) return rejected;
      return { ok: true, newState: swaps ? input.value[1] : state };
    }
  }
}

/** The unsigned 32-bit hash of a register state. */
export function hashRegisterState(state: RegisterState): number {
  if (state === null) return nullHash;
  return typeof state === "number" ? hashNumber(state) : hashString(state);
}

/** `read -> 1`, `write 2`, `cas [1 2] -> false`; `?` or `(unknown)` marks an unknown outcome. */
function describeRegisterOperation(input: RegisterInput, output: RegisterOutput | undefined): string {
  const result = output === undefined ? "?" : describeValue(output);
  switch (input.f) {
    case "read":
      return `read -> ${result}`;
    case "write":
      return output === undefined
        ? `write ${describeValue(input.value)} (unknown)`
        : `write ${describeValue(input.value)}`;
    case "cas":
      return `cas [${describeValue(input.value[0])} ${describeValue(input.value[1])}] -> ${result}`;
  }
}

function describeValue(value: RegisterOutput): string {
  if (value === null) return "nil";
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Independent cas registers, one per key: a history is split per key and each key is checked as casRegisterModel,
 * with `registerInput` saying what each operation is to its register. `step` replaces the register's step where a
 * system's registers differ (one whose absent key is a state of its own).
 */
export function keyedCasRegisterModel<Input extends OperationInput & { readonly key: string }, Output>(options: {
  readonly name: string;
  readonly init: () => RegisterState;
  readonly registerInput: (input: Input) => RegisterInput;
  readonly step?: Model<RegisterState, Input, Output>["step"];
}): Model<RegisterState, Input, Output> {
  const { registerInput } = options;
  return {
    name: options.name,
    init: options.init,
    step:
      options.step ??
      ((state, input, output) =>
        casRegisterModel.step(state, registerInput(input), output as RegisterOutput | undefined)),
    equal: casRegisterModel.equal,
    hash: casRegisterModel.hash,
    partition: partitionByKey,
    describeOperation: (input, output) =>
      `${input.key}: ${casRegisterModel.describeOperation(registerInput(input), output as RegisterOutput | undefined)}`,
    describeState: casRegisterModel.describeState,
  };
}
