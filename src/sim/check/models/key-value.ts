/**
 * A key-value store with get, put and append on string keys. Every key starts
 * as the empty string; append concatenates. Keys are independent, so the model
 * partitions a history per key and each key is checked as a string register.
 *
 * Outputs: a get returns the value read; put and append return nothing
 * meaningful (their outputs are ignored).
 */
import { hashString } from "../hash.ts";
import type { Model, Partition, StepResult } from "../model.ts";
import type { Operation } from "../operation.ts";

export type KeyValueInput =
  | { readonly f: "get"; readonly key: string; readonly value: null }
  | { readonly f: "put"; readonly key: string; readonly value: string }
  | { readonly f: "append"; readonly key: string; readonly value: string };

/** A get's value; null (ignored) for put and append. */
export type KeyValueOutput = string | null;

/** The state of one key (histories are checked per key). */
export type KeyValueState = string;

const rejected = { ok: false } as const;

/** The key-value model; partitions per key. */
export const keyValueModel: Model<KeyValueState, KeyValueInput, KeyValueOutput> = {
  name: "key-value",
  init: () => "",
  step: stepKeyValue,
  equal: (first, second) => first === second,
  hash: hashString,
  partition: partitionByKey,
  describeOperation: describeKeyValueOperation,
  describeState: (state) => JSON.stringify(state),
};

function stepKeyValue(state: KeyValueState, input: KeyValueInput, output: KeyValueOutput | undefined): StepResult<KeyValueState> {
  switch (input.f) {
    case "get":
      return output === undefined || output === state ? { ok: true, newState: state } : rejected;
    case "put":
      return { ok: true, newState: input.value };
    case "append":
      return { ok: true, newState: state + input.value };
  }
}

/** One partition per key, in order of each key's first operation. */
function partitionByKey(
  operations: readonly Operation<KeyValueInput, KeyValueOutput>[],
): Partition<KeyValueInput, KeyValueOutput>[] {
  const byKey = new Map<string, Operation<KeyValueInput, KeyValueOutput>[]>();
  for (const operation of operations) {
    const list = byKey.get(operation.input.key);
    if (list === undefined) byKey.set(operation.input.key, [operation]);
    else list.push(operation);
  }
  return [...byKey].map(([key, list]) => ({ key, operations: list }));
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
