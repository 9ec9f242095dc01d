/**
 * Malformed-message fuzzing shared by the wire properties: arbitrary msgpack
 * values (with the strings and keys a message of interest uses, so that
 * near-misses are common), and `mutate`, which replaces the value at a path of
 * a well-formed message.
 */
import fc from "fast-check";
import type { WireValue } from "../../../src/sim/env.ts";

export function wireValueArbitrary(strings: readonly string[], keys: readonly string[]): fc.Arbitrary<WireValue> {
  return fc.letrec<{ value: WireValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -5, max: 1000 }),
      fc.double(),
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...strings),
      fc.uint8Array({ maxLength: 4 }),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...keys), tie("value"), { maxKeys: 4 }),
    ),
  })).value;
}

/** Replaces the value at a path of `message` (indexes taken modulo each level's size) with `replacement`. */
export function mutate(message: WireValue, path: readonly number[], replacement: WireValue): WireValue {
  if (path.length === 0 || message === null || typeof message !== "object" || message instanceof Uint8Array)
    return replacement;
  const [step, ...rest] = path as [number, ...number[]];
  if (Array.isArray(message)) {
    const items = [...(message as WireValue[])];
    if (items.length === 0) return replacement;
    const index = step % items.length;
    items[index] = mutate(items[index] as WireValue, rest, replacement);
    return items;
  }
  const entries = Object.entries(message as Record<string, WireValue>).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return replacement;
  const [key, value] = entries[step % entries.length] as [string, WireValue];
  return { ...(message as Record<string, WireValue>), [key]: mutate(value, rest, replacement) };
}
