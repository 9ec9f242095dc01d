/**
 * A key-value store with get, put and append on string keys. Every key starts
 * as the empty string; append concatenates. Keys are independent, so the model
 * partitions a history per key and each key is checked as a string register.
 *
 * Outputs: a get returns the value read; put and append return nothing
 * meaningful (their outputs are ignored).
 */
import { continueStringHash, hashString } from "../hash.ts";
import { partitionByKey, type Model, type StepResult } from "../model.ts";

/** A get (value nil), a put, or an append, each on one key. */
export type KeyValueInput =
  | { readonly f: "get"; readonly key: string; readonly value: null }
  | { readonly f: "put"; readonly key: string; readonly value: string }
  | { readonly f: "append"; readonly key: string; readonly value: string };

/** A get's value; null (ignored) for put and append. */
export type KeyValueOutput = string | null;

/**
 * The state of one key (histories are checked per key): its value, and the
 * value's `hashString`, kept up to date incrementally so that an append costs
 * the length of the appended text, not of the whole value.
 */
export interface KeyValueState {
  readonly text: string;
  readonly hash: number;
}

const emptyState: KeyValueState = { text: "", hash: hashString("") };

const rejected = { ok: false } as const;

/** The key-value model; partitions per key. */
export const keyValueModel: Model<KeyValueState, KeyValueInput, KeyValueOutput> = {
  name: "key-value",
  init: () => emptyState,
  step: stepKeyValue,
  equal: (first, second) => first === second || (first.hash === second.hash && first.text === second.text),
  hash: (state) => state.hash,
  partition: partitionByKey,
  describeOperation: describeKeyValueOperation,
  describeState: (state) => JSON.stringify(state.text),
};

function stepKeyValue(
  state: KeyValueState,
  input: KeyValueInput,
  output: KeyValueOutput | undefined,
): StepResult<KeyValueState> {
  switch (input.f) {
    case "get":
      return output === undefined || output === state.text ? { ok: true, newState: state } : rejected;
    case "put":
      return { ok: true, newState: { text: input.value, hash: hashString(input.value) } };
    case "append":
      return {
        ok: true,
        newState: { text: state.text + input.value, hash: continueStringHash(state.hash, input.value) },
      };
  }
}

function describeKeyValueOperation(input: KeyValueInput, output: KeyValueOutput | undefined): string {
  const key = JSON.stringify(input.key);
  switch (input.f) {
    case "get":
      return `get ${key} -> ${output === undefined ? "?" : JSON.stringify(output)}`;
    case "put":
    case "append":
      return `${input.f} ${key} ${JSON.stringify(input.value)}${output === undefined ? " (unknown)" : ""}`;
  }
}
