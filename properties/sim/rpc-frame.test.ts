/**
 * The RPC wire format (src/sim/net/rpc/frame.ts, frame-reader.ts): every frame
 * survives encoding and any split of the byte stream unchanged, and no sequence of
 * bytes from a peer makes the decoder throw: it yields frames or says "malformed".
 */
import { encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WireValue } from "../../src/sim/env.ts";
import { decodeFrame, encodeFrame, type Frame } from "../../src/sim/net/rpc/frame.ts";
import { FrameReader } from "../../src/sim/net/rpc/frame-reader.ts";
import { RPC_FRAME_BYTES_MAX, RPC_VALUE_DEPTH_MAX } from "../../src/sim/net/rpc.ts";
import { wireValueProblem } from "../../src/sim/net/rpc/wire-value.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { frameArbitrary } from "./_support/rpc-arbitraries.ts";
import { concatenate } from "../_support/bytes.ts";

/** Feeds `bytes` to a reader in chunks cut at `cuts`, collecting what it yields. */
function readAll(bytes: Uint8Array, cuts: readonly number[]): Array<Frame | string> {
  const reader = new FrameReader();
  const results: Array<Frame | string> = [];
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((left, right) => left - right);
  let start = 0;
  for (const end of [...points, bytes.length]) {
    reader.push(bytes.subarray(start, end));
    start = end;
    for (let decoded = reader.next(); decoded !== undefined; decoded = reader.next()) {
      results.push(decoded.frame ?? decoded.malformed);
      if (decoded.malformed !== undefined) return results;
    }
  }
  return results;
}

/** A frame whose body is `value` encoded as msgpack. */
function rawFrame(value: unknown): Uint8Array {
  const body = encode(value);
  const bytes = new Uint8Array(4 + body.length);
  new DataView(bytes.buffer).setUint32(0, body.length, false);
  bytes.set(body, 4);
  return bytes;
}

describe("rpc frames", () => {
  const roundTrip = "rpc frames: any frames, split anywhere, read back unchanged and in order";
  it(roundTrip, () => {
    fc.assert(
      fc.property(fc.array(frameArbitrary, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, cuts) => {
        const bytes = concatenate(frames.map((frame) => encodeFrame(frame)));
        const expected = frames.map((frame) =>
          frame.type === "error" && frame.details === undefined ? { ...frame, details: undefined } : frame,
        );
        expect(readAll(bytes, cuts)).toEqual(expected);
      }),
      propertyParameters(roundTrip, 300),
    );
  });

  const noThrow = "rpc frames: arbitrary bytes from a peer never make the reader throw";
  it(noThrow, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const results = readAll(bytes, cuts);
        for (const result of results.slice(0, -1)) expect(typeof result).toBe("object");
      }),
      propertyParameters(noThrow, 1000),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => {
        const decoded = decodeFrame(body);
        expect(decoded.frame !== undefined || typeof decoded.malformed === "string").toBe(true);
      }),
      propertyParameters(`${noThrow} (bodies)`, 1000),
    );
  });

  it("reports a length prefix above the limit as malformed without waiting for the bytes", () => {
    const reader = new FrameReader();
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, RPC_FRAME_BYTES_MAX + 1, false);
    reader.push(header);
    expect(reader.next()).toEqual({ malformed: expect.stringMatching(/exceeds the limit/) as unknown });
  });

  it("refuses to encode a frame above the limit", () => {
    const payload = new Uint8Array(RPC_FRAME_BYTES_MAX);
    expect(() => encodeFrame({ type: "response", id: 1, payload })).toThrow(RangeError);
  });

  it.each([
    ["a map instead of an array", { type: 4, id: 1 }],
    ["a too short array", [4]],
    ["an unknown tag", [99, 1]],
    ["call id 0", [4, 0, null]],
    ["a fractional call id", [4, 1.5, null]],
    ["an empty method", [1, 1, "", false, 100, 0, null]],
    ["a stream request with no window", [1, 1, "m", true, 100, 0, null]],
    ["a unary request with a window", [1, 1, "m", false, 100, 4, null]],
    ["a negative deadline", [1, 1, "m", false, -5, 0, null]],
    ["zero credit", [3, 1, 0]],
    ["credit beyond the window", [3, 1, 33]],
    ["an unknown error code", [7, 1, "NOPE", "x"]],
    ["an extra field", [6, 1, null]],
    ["a timestamp payload (not a wire value)", [4, 1, new Date(0)]],
    ["a timestamp deep in a payload", [5, 1, { list: [1, { when: new Date(0) }] }]],
  ])("reports %s as malformed", (_name, value) => {
    const results = readAll(rawFrame(value), []);
    expect(results).toHaveLength(1);
    expect(typeof results[0]).toBe("string");
  });

  it("carries payloads nested up to the limit, and reports deeper ones as malformed", () => {
    const nest = (levels: number): WireValue => {
      let nested: WireValue = "leaf";
      for (let level = 0; level < levels; level++) nested = [nested];
      return nested;
    };
    const deepest = nest(RPC_VALUE_DEPTH_MAX);
    expect(readAll(encodeFrame({ type: "response", id: 1, payload: deepest }), [])).toEqual([
      { type: "response", id: 1, payload: deepest },
    ]);
    expect(wireValueProblem(nest(RPC_VALUE_DEPTH_MAX + 1))).toMatch(/nested deeper/);
    // Hand-built: 2000 nested one-element arrays (0x91), far deeper than msgpack's encoder goes.
    const body = new Uint8Array([0x93, 0x04, 0x01, ...new Array<number>(2000).fill(0x91), 0xc0]);
    expect(decodeFrame(body).malformed).toMatch(/nested deeper/);
  });
});
