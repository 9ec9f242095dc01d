/**
 * The shape check of values that cross the wire (`WireValue`), used on both sides:
 * before encoding (a value that is not a WireValue is a programmer error of the
 * sender) and after decoding (msgpack can carry things that are not WireValues,
 * such as timestamps and extension types: from a peer they make a frame MALFORMED).
 */
import type { WireValue } from "../../env.ts";
import { RPC_VALUE_DEPTH_MAX } from "./limits.ts";

/**
 * Returns undefined when `value` is a WireValue nested at most `RPC_VALUE_DEPTH_MAX`
 * deep, else a description of the first offending part (for error messages).
 * Object properties that are `undefined` are allowed (they are not encoded).
 */
export function wireValueProblem(value: unknown, depth = 0): string | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case "boolean":
    case "number":
    case "string":
      return undefined;
    case "object":
      break;
    default:
      return `a ${typeof value} is not a wire value`;
  }
  if (value instanceof Uint8Array) return undefined;
  if (depth >= RPC_VALUE_DEPTH_MAX) return `nested deeper than ${RPC_VALUE_DEPTH_MAX}`;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      const problem = wireValueProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    return `an instance of ${describeConstructor(value)} is not a wire value`;
  }
  for (const item of Object.values(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    const problem = wireValueProblem(item, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * A payload that is not a WireValue, found while preparing a frame; `problem` says what is wrong (as
 * `wireValueProblem`).
 */
export class NotWireValueError extends TypeError {
  override readonly name = "NotWireValueError";
  constructor(readonly problem: string) {
    super(`not a wire value: ${problem}`);
  }
}

/** Throws NotWireValueError unless `value` is a WireValue. */
export function checkWireValue(value: unknown): void {
  const problem = wireValueProblem(value);
  if (problem !== undefined) throw new NotWireValueError(problem);
}

/** True when `value` is a WireValue (see `wireValueProblem`). */
export function isWireValue(value: unknown): value is WireValue {
  return wireValueProblem(value) === undefined;
}

export function describeConstructor(value: object): string {
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "an unknown class";
}
