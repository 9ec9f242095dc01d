/**
 * Invariants of the Raft node's wire codec (src/impl/raft/node/wire-codec.ts), which every Raft message crosses in the
 * frames wire mode and every stored entry and snapshot crosses on disk:
 * - round trip: decodeMessage(encodeMessage(m)) is m, for every message type, entries (with configurations) and
 *   snapshot metadata included;
 * - a damaged message (a field missing, or of the wrong kind) is refused with MalformedValueError, never passed on
 *   to the core and never another error.
 * The round trip is shown failing on an encoder that drops a field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogEntry, Message, SnapshotMetadata } from "../../../src/impl/raft/index.ts";
import { decodeMessage, encodeMessage, MalformedValueError } from "../../../src/impl/raft/node/wire-codec.ts";
import type { WireValue } from "../../../src/sim/env.ts";
import { propertyParameters } from "../../_support/fast-check.ts";

const index = fc.nat({ max: 1_000_000 });
const server = fc.constantFrom("n1", "n2", "n3", "n4", "n5");
const voters = fc.uniqueArray(server, { minLength: 1, maxLength: 5 }).map((list) => ({ voters: list }));
const bytes = fc.uint8Array({ maxLength: 16 });

const entry: fc.Arbitrary<LogEntry> = fc.oneof(
  fc.record({ index, term: index, kind: fc.constantFrom("command", "noop", "barrier" as const), data: bytes }),
  fc.record({ index, term: index, kind: fc.constant("configuration" as const), data: bytes, configuration: voters }),
);
const snapshot: fc.Arbitrary<SnapshotMetadata> = fc.record({
  index,
  term: index,
  configuration: voters,
  configurationIndex: index,
});
const head = { from: server, to: server, term: index };

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    ...head,
    type: fc.constant("request-vote" as const),
    lastLogIndex: index,
    lastLogTerm: index,
    preVote: fc.boolean(),
    transfer: fc.boolean(),
  }),
  fc.record({
    ...head,
    type: fc.constant("request-vote-response" as const),
    granted: fc.boolean(),
    preVote: fc.boolean(),
  }),
  fc.record({
    ...head,
    type: fc.constant("append-entries" as const),
    prevLogIndex: index,
    prevLogTerm: index,
    entries: fc.array(entry, { maxLength: 4 }),
    leaderCommit: index,
    sequence: index,
  }),
  fc.record({
    ...head,
    type: fc.constant("append-entries-response" as const),
    success: fc.boolean(),
    matchIndex: index,
    rejectedIndex: index,
    hintIndex: index,
    hintTerm: index,
    sequence: index,
  }),
  fc.record({ ...head, type: fc.constant("heartbeat" as const), leaderCommit: index, sequence: index }),
  fc.record({ ...head, type: fc.constant("heartbeat-response" as const), sequence: index }),
  fc.record({ ...head, type: fc.constant("install-snapshot" as const), snapshot, sequence: index }),
  fc.record({ ...head, type: fc.constant("timeout-now" as const) }),
);

/** The round trip through `encode`: true when the decoded message equals the original. */
function roundTrips(encode: (message: Message) => WireValue) {
  return fc.property(message, (original) => {
    expect(decodeMessage(encode(original))).toEqual(original);
  });
}

/** Candidate damage for a field: missing, a negative or fractional number, and one value of each other kind. */
const wrongValue = fc.constantFrom<WireValue | undefined>(
  undefined,
  -1,
  1.5,
  "x",
  true,
  null,
  [],
  {},
  new Uint8Array(1),
);

/** The kind of a wire value, as the decoder tells them apart (a count is a non-negative safe integer). */
function kindOf(value: WireValue | undefined): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? "count" : "bad number";
  if (Array.isArray(value)) return "list";
  if (value instanceof Uint8Array) return "bytes";
  return typeof value;
}

describe("the Raft wire codec", () => {
  it("decodes what it encodes, for every message type", () => {
    fc.assert(roundTrips(encodeMessage), propertyParameters("raft wire codec: round trip", 500));
  });

  it("refuses a message with one field missing or of the wrong kind, with MalformedValueError", () => {
    fc.assert(
      fc.property(message, fc.nat(), wrongValue, (original, pick, wrong) => {
        const encoded = encodeMessage(original) as Record<string, WireValue | undefined>;
        const keys = Object.keys(encoded);
        const key = keys[pick % keys.length] as string;
        // A value of the field's own kind is not damage (a string for a name, an empty list for the entries).
        fc.pre(kindOf(wrong) !== kindOf(encoded[key]));
        const damaged = { ...encoded, [key]: wrong };
        expect(() => decodeMessage(damaged as WireValue)).toThrow(MalformedValueError);
      }),
      propertyParameters("raft wire codec: damaged field refused", 500),
    );
  });

  it("refuses what is not a message object at all", () => {
    for (const value of [undefined, null, 3, "append-entries", [], new Uint8Array(4)] as const) {
      expect(() => decodeMessage(value as WireValue | undefined)).toThrow(MalformedValueError);
    }
    expect(() => decodeMessage({ from: "n1", to: "n2", term: 1, type: "gossip" })).toThrow(MalformedValueError);
  });

  it("the round trip fails on an encoder that drops a field (the property can fail)", () => {
    const dropsSequence = (original: Message): WireValue => {
      const encoded = { ...(encodeMessage(original) as Record<string, WireValue>) };
      delete encoded.sequence;
      return encoded;
    };
    expect(fc.check(roundTrips(dropsSequence), { numRuns: 200, seed: 1 }).failed).toBe(true);
  });
});
