/**
 * The sequential model the raft-kv scenarios check histories against: a map of
 * independent compare-and-set registers, one per key (get, put, cas), each absent
 * (null) at first. The history is partitioned per key and each key is checked as
 * the cas-register model of src/sim/check.
 */
import {
  casRegisterModel,
  keyedCasRegisterModel,
  type Model,
  type RegisterInput,
  type RegisterOutput,
  type RegisterState,
} from "../../src/sim/check/index.ts";

/** A get, a put of a value, or a cas of `[expected, next]` (expected null: absent), each on one key. */
export type RaftKvInput =
  | { readonly f: "get"; readonly key: string; readonly value: null }
  | { readonly f: "put"; readonly key: string; readonly value: string }
  | { readonly f: "cas"; readonly key: string; readonly value: readonly [expected: string | null, next: string] };

/** A get's value (null: absent); null for a put; whether a cas swapped. */
export type RaftKvOutput = string | null | boolean;

const ABSENT = "\u0000absent";

function registerInput(input: RaftKvInput): RegisterInput {
  switch (input.f) {
    case "get":
      return { f: "read", value: null };
    case "put":
      return { f: "write", value: input.value };
    case "cas":
      // The register model compares with ===; "absent" must be a value it can hold: the null state.
      return { f: "cas", value: [input.value[0] ?? ABSENT, input.value[1]] };
  }
}

/** Per-key cas registers (see the file's comment). */
export const raftKvModel: Model<RegisterState, RaftKvInput, RaftKvOutput> = keyedCasRegisterModel({
  name: "raft-kv",
  init: () => null,
  registerInput,
  step: (state, input, output) => {
    // An absent key is the register's null state; a cas expecting absence compares against ABSENT.
    const register = state === null && input.f === "cas" && input.value[0] === null ? ABSENT : state;
    const result = casRegisterModel.step(register, registerInput(input), output as RegisterOutput | undefined);
    if (!Array.isArray(result) && "newState" in result && result.newState === ABSENT)
      return { ok: true, newState: null };
    return result;
  },
});
