/**
 * The object wire mode's copy (src/sim/net/rpc/frame-copy.ts) stands for encoding
 * exactly: for any frame, the copy equals what the receiver would decode from the
 * frame's real encoding, its size is the encoding's length in bytes, and it shares
 * no object with the sender's frame. Judged against the codec itself (frame.ts),
 * and shown failing on a copy that shares the payload and on one that sizes
 * strings by UTF-16 units.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copyFrame, type CopiedFrame } from "../../src/sim/net/rpc/frame-copy.ts";
import { decodeFrame, encodeFrame, type Frame } from "../../src/sim/net/rpc/frame.ts";
import { NotWireValueError, wireValueProblem } from "../../src/sim/net/rpc/wire-value.ts";
import type { WireValue } from "../../src/sim/env.ts";
import { propertyParameters, seedFromName } from "../_support/fast-check.ts";
import { sharingCopyFrame, utf16SizedCopyFrame } from "./_fixtures/broken-frame-copies.ts";
import { frameArbitrary } from "./_support/rpc-arbitraries.ts";

/** Frames whose payloads may hold -0 and `undefined` properties, which a msgpack round trip drops or changes. */
const frames = fc.oneof(
  frameArbitrary,
  fc.record({
    type: fc.constant("response" as const),
    id: fc.integer({ min: 1, max: 1000 }),
    payload: fc.record({
      zero: fc.constant(-0),
      absent: fc.constant(undefined),
      text: fc.string({ unit: "grapheme" }),
    }),
  }) as fc.Arbitrary<Frame>,
);

/** Every object and byte array reachable from `value`. */
function objectsOf(value: unknown, into = new Set<object>()): Set<object> {
  if (value === null || typeof value !== "object") return into;
  into.add(value);
  if (!(value instanceof Uint8Array)) for (const item of Object.values(value)) objectsOf(item, into);
  return into;
}

function copyProperty(copy: (frame: Frame) => CopiedFrame) {
  return fc.property(frames, (frame) => {
    const encoded = encodeFrame(frame);
    const decoded = decodeFrame(encoded.subarray(4));
    const copied = copy(frame);
    expect(copied.frame).toEqual(decoded.frame);
    expect(copied.size).toBe(encoded.length);
    const shared = [...objectsOf(copied.frame)].filter((object) => objectsOf(frame).has(object));
    expect(shared).toEqual([]);
  });
}

describe("rpc object wire: the copy stands for the encoding", () => {
  const name = "rpc object wire: a copied frame equals its decoded encoding, has its size, and shares nothing";
  it(name, () => {
    fc.assert(copyProperty(copyFrame), propertyParameters(name, 300));
  });

  it("fails on a copy that shares the sender's payload, and on one that sizes strings by UTF-16 units", () => {
    for (const broken of [sharingCopyFrame, utf16SizedCopyFrame]) {
      const details = fc.check(copyProperty(broken), {
        seed: seedFromName(`frame copy: ${broken.name}`),
        numRuns: 300,
      });
      expect(details.failed, broken.name).toBe(true);
    }
  });

  it("refuses a payload that is not a wire value with the problem wireValueProblem names", () => {
    let deep: unknown = "leaf";
    for (let level = 0; level < 101; level++) deep = [deep];
    const bad: unknown[] = [new Date(0), { nested: [1, () => 2] }, [undefined], Symbol("s"), deep, new Map(), 10n];
    for (const payload of bad) {
      const problem = wireValueProblem(payload);
      expect(problem, String(payload)).toBeDefined();
      expect(() => copyFrame({ type: "response", id: 1, payload: payload as WireValue })).toThrow(
        new NotWireValueError(problem as string),
      );
    }
  });

  it("refuses a frame whose encoding would pass the frame limit, as encoding does", () => {
    const payload = new Uint8Array(16 * 1024 * 1024);
    expect(() => copyFrame({ type: "response", id: 1, payload })).toThrow(RangeError);
    expect(() => encodeFrame({ type: "response", id: 1, payload })).toThrow(RangeError);
  });
});
