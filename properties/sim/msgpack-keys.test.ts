/**
 * The deterministic msgpack key cache (src/sim/msgpack-keys.ts).
 *
 * Invariants, one sentence each:
 * - A Decoder given the cache decodes every value exactly as @msgpack's own `decode` does, whatever keys came before
 *   (many keys of one length, so full buckets evict), shown failing on a cache that compares only a key's first byte.
 * - Two caches fed the same keys in the same order hold the same records: eviction reads nothing ambient, so the
 *   determinism guard never sees a call from it.
 */
import { Decoder, decode, encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeterministicKeyDecoder, KEY_BYTES_MAX, RECORDS_PER_LENGTH_MAX } from "../../src/sim/msgpack-keys.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { FirstByteKeyDecoder } from "./_fixtures/key-decoders.ts";

/** Objects whose keys crowd few lengths: short keys over a small alphabet, so buckets fill and evict. */
const crowdedObjects = fc.array(
  fc.dictionary(fc.string({ unit: fc.constantFrom("a", "b", "c", "é"), minLength: 1, maxLength: 4 }), fc.integer(), {
    maxKeys: 12,
  }),
  { minLength: 1, maxLength: 40 },
);

function decodesAsMsgpack(makeCache: () => DeterministicKeyDecoder): (objects: Array<Record<string, number>>) => void {
  return (objects) => {
    const decoder = new Decoder({ keyDecoder: makeCache() });
    for (const object of objects) {
      const bytes = encode(object);
      expect(decoder.decode(bytes)).toEqual(decode(bytes));
    }
  };
}

describe("the deterministic msgpack key cache", () => {
  it("decodes every value as @msgpack's decode does, through full buckets", () => {
    fc.assert(
      fc.property(
        crowdedObjects,
        decodesAsMsgpack(() => new DeterministicKeyDecoder()),
      ),
      propertyParameters("msgpack-keys decodes as msgpack", 200),
    );
  });

  it("is caught failing on a cache that compares only a key's first byte", () => {
    expect(() =>
      fc.assert(
        fc.property(
          crowdedObjects,
          decodesAsMsgpack(() => new FirstByteKeyDecoder()),
        ),
        propertyParameters("msgpack-keys broken cache caught", 200),
      ),
    ).toThrow();
  });

  it("evicts in turn: a key pushed out of a full bucket decodes again, the same on two caches", () => {
    const keys = Array.from({ length: RECORDS_PER_LENGTH_MAX * 3 }, (_, index) => `k${String(index).padStart(3, "0")}`);
    const runs = [new DeterministicKeyDecoder(), new DeterministicKeyDecoder()].map((cache) => {
      const decoder = new Decoder({ keyDecoder: cache });
      return keys.map((key) => Object.keys(decoder.decode(encode({ [key]: 1 })) as object)[0]);
    });
    expect(runs[0]).toEqual(keys);
    expect(runs[1]).toEqual(runs[0]);
    expect(new DeterministicKeyDecoder().canBeCached(KEY_BYTES_MAX + 1)).toBe(false);
  });
});
