/**
 * Invariants of the command codec: every valid command round-trips exactly, and any
 * bytes at all (random, a valid encoding damaged, or msgpack of the right shape with
 * wrong values) decode to a valid command or throw ErrCommandMalformed, never
 * anything else. Each property is shown to fail on a broken codec (_fixtures).
 */
import { encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/impl/common/assert.ts";
import { commandProblem, databaseNameProblem, decodeCommand, encodeCommand } from "../../../src/impl/dqlite/fsm/commands.ts";
import { ErrCommandMalformed } from "../../../src/impl/dqlite/fsm/errors.ts";
import type { Command } from "../../../src/impl/dqlite/types.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { decodeCommandUnchecked, encodeCommandTxid32 } from "./_fixtures/broken-command-codecs.ts";

const txid = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([term, counter]) => term * 2 ** 32 + counter),
);
const name = fc.string({ minLength: 1, maxLength: 24, unit: "binary" }).filter((text) => databaseNameProblem(text) === undefined);

const framesCommand: fc.Arbitrary<Command> = fc
  .record({
    txid,
    filename: name,
    pageSize: fc.constantFrom(512, 1024, 4096, 65_536),
    pageNumbers: fc.array(fc.integer({ min: 1, max: 0xfffffffe }), { minLength: 1, maxLength: 3 }),
    truncate: fc.integer({ min: 1, max: 0xfffffffe }),
    isCommit: fc.boolean(),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ fill, truncate, isCommit, ...fields }) => ({
    kind: "frames" as const,
    ...fields,
    pageData: new Uint8Array(fields.pageNumbers.length * fields.pageSize).fill(fill),
    truncate: isCommit ? truncate : 0,
    isCommit,
  }));

const command: fc.Arbitrary<Command> = fc.oneof(
  name.map((text) => ({ kind: "open" as const, name: text })),
  fc.record({ kind: fc.constant("begin" as const), txid, name }),
  framesCommand,
  fc.record({ kind: fc.constantFrom("undo" as const, "end" as const), txid }),
  name.map((text) => ({ kind: "checkpoint" as const, name: text })),
);

/** A valid encoding with bytes overwritten, cut, or inserted. */
const damaged = fc
  .tuple(command, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "cut", "insert")), { minLength: 1, maxLength: 3 }))
  .map(([valid, edits]) => {
    let bytes = encodeCommand(valid);
    for (const [position, byte, edit] of edits) {
      const at = bytes.length === 0 ? 0 : position % bytes.length;
      if (edit === "set") bytes[at] = byte;
      else if (edit === "cut") bytes = bytes.slice(0, at);
      else bytes = new Uint8Array([...bytes.subarray(0, at), byte, ...bytes.subarray(at)]);
    }
    return bytes;
  });

/** msgpack arrays that start with a command tag and go on with values of any wire type. */
const wrongValue = fc.oneof(
  fc.integer({ min: -3, max: 70_000 }), fc.double(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null),
  fc.uint8Array({ maxLength: 8 }), fc.array(fc.integer({ min: -2, max: 10 }), { maxLength: 3 }), fc.constant(2 ** 64),
);
const shaped = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.array(wrongValue, { maxLength: 8 })).map(([tag, rest]) => encode([tag, ...rest]));

const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), damaged, shaped);

const roundTrip = (encoder: (command: Command) => Uint8Array) =>
  fc.property(command, (valid) => {
    const decoded = decodeCommand(encoder(valid));
    // Page data compared as bytes: a deep equality on 200 KiB arrays is slow.
    const withoutData = (value: Command) => (value.kind === "frames" ? { ...value, pageData: undefined } : value);
    expect(withoutData(decoded)).toEqual(withoutData(valid));
    if (valid.kind === "frames" && decoded.kind === "frames") expect(Buffer.from(decoded.pageData).equals(valid.pageData)).toBe(true);
  });

const decodesOrRefuses = (decoder: (bytes: Uint8Array) => Command) =>
  fc.property(anyBytes, (bytes) => {
    let decoded: Command;
    try {
      decoded = decoder(bytes);
    } catch (error) {
      if (error instanceof ErrCommandMalformed) return;
      throw error;
    }
    expect(commandProblem(decoded)).toBeUndefined();
  });

describe("command codec", () => {
  it("dqlite-fsm.command-round-trip: every valid command decodes to itself", () => {
    fc.assert(roundTrip(encodeCommand), propertyParameters("dqlite-fsm.command-round-trip", 300));
  });

  it("dqlite-fsm.command-decode-total: any bytes decode to a valid command or throw ErrCommandMalformed", () => {
    fc.assert(decodesOrRefuses(decodeCommand), propertyParameters("dqlite-fsm.command-decode-total", 2000));
  });

  it("the round trip catches an encoder that keeps 32-bit transaction IDs", () => {
    const outcome = fc.check(roundTrip(encodeCommandTxid32), { ...propertyParameters("dqlite-fsm.command-round-trip-catches-txid32", 300), reporter: undefined });
    expect(outcome.failed).toBe(true);
  });

  it("totality catches a decoder without guard or validation", () => {
    const outcome = fc.check(decodesOrRefuses(decodeCommandUnchecked), { ...propertyParameters("dqlite-fsm.command-decode-total-catches-unchecked", 2000), reporter: undefined });
    expect(outcome.failed).toBe(true);
  });

  const valid = { kind: "frames", txid: 5, filename: "a.db", pageSize: 512, pageNumbers: [1], pageData: new Uint8Array(512), truncate: 0, isCommit: false } as const;
  const malformed: [string, unknown][] = [
    ["page size not a power of two", [3, 5, "a.db", 1000, [1], new Uint8Array(1000), 0, false]],
    ["page size too small", [3, 5, "a.db", 256, [1], new Uint8Array(256), 0, false]],
    ["page size too large", [3, 5, "a.db", 131_072, [1], new Uint8Array(131_072), 0, false]],
    ["page data shorter than the pages", [3, 5, "a.db", 512, [1, 2], new Uint8Array(512), 0, false]],
    ["no frames", [3, 5, "a.db", 512, [], new Uint8Array(), 0, false]],
    ["page number 0", [3, 5, "a.db", 512, [0], new Uint8Array(512), 0, false]],
    ["a size on non-commit frames", [3, 5, "a.db", 512, [1], new Uint8Array(512), 1, false]],
    ["a commit without a size", [3, 5, "a.db", 512, [1], new Uint8Array(512), 0, true]],
    ["isCommit not a boolean", [3, 5, "a.db", 512, [1], new Uint8Array(512), 1, 1]],
    ["transaction 0", [4, 0]],
    ["negative transaction", [4, -1]],
    ["fractional transaction", [4, 1.5]],
    ["transaction past 2^53", [4, 2 ** 60]],
    ["transaction as text", [4, "5"]],
    ["empty name", [1, ""]],
    ["name with a slash", [1, "a/b"]],
    ["name of a WAL", [6, "a.db-wal"]],
    ["unknown tag", [9, "a.db"]],
    ["too many fields", [5, 1, 2]],
    ["not an array", { kind: "open", name: "a.db" }],
  ];
  it.each(malformed)("refuses %s", (_, value) => {
    expect(() => decodeCommand(encode(value))).toThrow(ErrCommandMalformed);
  });

  it("refuses trailing bytes and empty input", () => {
    const bytes = encodeCommand(valid);
    expect(() => decodeCommand(new Uint8Array([...bytes, 0]))).toThrow(ErrCommandMalformed);
    expect(() => decodeCommand(new Uint8Array())).toThrow(ErrCommandMalformed);
  });

  it("refuses to encode an invalid command (programmer error)", () => {
    expect(() => encodeCommand({ ...valid, pageData: new Uint8Array(3) })).toThrow(AssertionError);
  });

  it("decoded page data is a copy, not a view of the log entry", () => {
    const bytes = encodeCommand({ ...valid, pageData: new Uint8Array(512).fill(7) });
    const decoded = decodeCommand(bytes);
    bytes.fill(0);
    expect(decoded.kind === "frames" && decoded.pageData[0]).toBe(7);
  });
});
