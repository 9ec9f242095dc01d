/**
 * Arbitraries of RPC frames and the WireValues they carry, shared by the wire
 * format's properties (rpc-frame.test.ts) and the object wire mode's copy
 * (rpc-frame-copy.test.ts).
 */
import fc from "fast-check";
import type { WireValue } from "../../../src/sim/env.ts";
import type { Frame } from "../../../src/sim/net/rpc/frame.ts";

export const wireValue: fc.Arbitrary<WireValue> = fc.letrec<{ value: WireValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }).filter((number) => !Object.is(number, -0)),
    fc.string(),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.string().filter((key) => key !== "__proto__"),
      tie("value"),
      { maxKeys: 4 },
    ),
  ),
})).value;

const callId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

export const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    type: fc.constant("request" as const),
    id: callId,
    method: fc.string({ minLength: 1, maxLength: 20 }),
    streaming: fc.constant(false),
    deadlineMs: fc.integer({ min: 1, max: 100_000 }),
    window: fc.constant(0),
    payload: wireValue,
  }),
  fc.record({
    type: fc.constant("request" as const),
    id: callId,
    method: fc.string({ minLength: 1, maxLength: 20 }),
    streaming: fc.constant(true),
    deadlineMs: fc.double({ min: 0.5, max: 100_000, noNaN: true }),
    window: fc.integer({ min: 1, max: 32 }),
    payload: wireValue,
  }),
  fc.record({ type: fc.constant("cancel" as const), id: callId }),
  fc.record({ type: fc.constant("credit" as const), id: callId, count: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ type: fc.constantFrom("response" as const, "message" as const), id: callId, payload: wireValue }),
  fc.record({ type: fc.constant("end" as const), id: callId }),
  fc.record({
    type: fc.constant("notification" as const),
    id: callId,
    method: fc.string({ minLength: 1, maxLength: 20 }),
    payload: wireValue,
  }),
  fc.record({
    type: fc.constant("notification" as const),
    id: callId,
    method: fc.string({ minLength: 1, maxLength: 20 }),
    payload: wireValue,
    datagram: fc.constant(true as const),
  }),
  fc.record({
    type: fc.constant("error" as const),
    id: callId,
    code: fc.constantFrom(
      "UNAVAILABLE" as const,
      "DEADLINE_EXCEEDED" as const,
      "APPLICATION" as const,
      "INTERNAL" as const,
    ),
    message: fc.string(),
    details: fc.option(wireValue, { nil: undefined }),
  }),
);
