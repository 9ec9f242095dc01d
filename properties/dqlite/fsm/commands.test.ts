/**
 * Invariants of the command codec: every valid command round-trips exactly, and any
 * bytes at all (random, a valid encoding damaged, or the codec's layout with wrong
 * values) decode to a valid command or throw ErrCommandMalformed, never anything
 * else. Each property is shown to fail on a broken codec (_fixtures).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/sim/assert.ts";
import {
  commandProblem,
  databaseNameProblem,
  decodeCommand,
  encodeCommand,
} from "../../../src/impl/dqlite/fsm/commands.ts";
import { ErrCommandMalformed } from "../../../src/impl/dqlite/fsm/errors.ts";
import type { Command } from "../../../src/impl/dqlite/types.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { decodeCommandUnchecked, encodeCommandTxid32 } from "./_fixtures/broken-command-codecs.ts";
import { rawCommand, rawFrames, type RawField } from "./_fixtures/command-bytes.ts";

const txid = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
    .map(([term, counter]) => term * 2 ** 32 + counter),
);
const name = fc
  .string({ minLength: 1, maxLength: 24, unit: "binary" })
  .filter((text) => databaseNameProblem(text) === undefined);

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
  .tuple(
    command,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "cut", "insert")), {
      minLength: 1,
      maxLength: 3,
    }),
  )
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

/** The codec's layout (a header with a tag, then fields of its wire types) with values of any kind. */
const wrongField: fc.Arbitrary<RawField> = fc.oneof(
  fc.integer({ min: 0, max: 70_000 }).map((u32) => ({ u32 })),
  fc.constantFrom(0, 1, 2, 512, 4096, 0xffffffff).map((u32) => ({ u32 })),
  fc
    .oneof(fc.integer({ min: 0, max: 10 }), fc.constantFrom(2 ** 53, 2 ** 60, 2 ** 64 - 2 ** 11))
    .map((u64) => ({ u64 })),
  fc.string({ maxLength: 9 }).map((text) => ({ text })),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => ({ bytes })),
);
const shaped = fc
  .tuple(
    fc.integer({ min: 0, max: 7 }),
    fc.array(wrongField, { maxLength: 8 }),
    fc.constantFrom(1, 1, 1, 0, 2),
    fc.constantFrom(0, 0, 0, 1),
  )
  .map(([tag, fields, format, reserved]) => rawCommand(tag, fields, { format, reserved }));

const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), damaged, shaped);

const roundTrip = (encoder: (command: Command) => Uint8Array) =>
  fc.property(command, (valid) => {
    const decoded = decodeCommand(encoder(valid));
    // Page data compared as bytes: a deep equality on 200 KiB arrays is slow.
    const withoutData = (value: Command) => (value.kind === "frames" ? { ...value, pageData: undefined } : value);
    expect(withoutData(decoded)).toEqual(withoutData(valid));
    if (valid.kind === "frames" && decoded.kind === "frames")
      expect(Buffer.from(decoded.pageData).equals(valid.pageData)).toBe(true);
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
    const outcome = fc.check(roundTrip(encodeCommandTxid32), {
      ...propertyParameters("dqlite-fsm.command-round-trip-catches-txid32", 300),
      reporter: undefined,
    });
    expect(outcome.failed).toBe(true);
  });

  it("totality catches a decoder without guard or validation", () => {
    const outcome = fc.check(decodesOrRefuses(decodeCommandUnchecked), {
      ...propertyParameters("dqlite-fsm.command-decode-total-catches-unchecked", 2000),
      reporter: undefined,
    });
    expect(outcome.failed).toBe(true);
  });

  const valid = {
    kind: "frames",
    txid: 5,
    filename: "a.db",
    pageSize: 512,
    pageNumbers: [1],
    pageData: new Uint8Array(512),
    truncate: 0,
    isCommit: false,
  } as const;
  const malformed: [string, Uint8Array][] = [
    ["page size not a power of two", rawFrames({ pageSize: 1000 })],
    ["page size too small", rawFrames({ pageSize: 256 })],
    ["page size too large", rawFrames({ pageSize: 131_072 })],
    ["page data shorter than the pages", rawFrames({ pageNumbers: [1, 2], pageData: new Uint8Array(512) })],
    ["a page count beyond the bytes", rawFrames({ pageCount: 0xffffffff })],
    ["no frames", rawFrames({ pageNumbers: [] })],
    ["page number 0", rawFrames({ pageNumbers: [0] })],
    ["page number past SQLite's last", rawFrames({ pageNumbers: [2 ** 32] })],
    ["a size on non-commit frames", rawFrames({ truncate: 1 })],
    ["a commit without a size", rawFrames({ isCommit: 1 })],
    ["isCommit not 0 or 1", rawFrames({ truncate: 1, isCommit: 2 })],
    ["transaction 0", rawCommand(4, [{ u64: 0 }])],
    ["transaction past 2^53", rawCommand(4, [{ u64: 2 ** 60 }])],
    ["a truncated transaction", rawCommand(4, [{ u32: 5 }])],
    ["empty name", rawCommand(1, [{ text: "" }])],
    ["name with a slash", rawCommand(1, [{ text: "a/b" }])],
    ["name of a WAL", rawCommand(6, [{ text: "a.db-wal" }])],
    ["name without its NUL", rawCommand(1, [{ bytes: new TextEncoder().encode("a.db") }])],
    ["name with non-zero padding", rawCommand(1, [{ bytes: new Uint8Array([0x61, 0, 0, 0, 0, 0, 0, 1]) }])],
    ["name not UTF-8", rawCommand(1, [{ bytes: new Uint8Array([0xc3, 0x28, 0, 0, 0, 0, 0, 0]) }])],
    ["unknown tag", rawCommand(9, [{ text: "a.db" }])],
    ["unknown format", rawCommand(1, [{ text: "a.db" }], { format: 2 })],
    ["non-zero reserved header byte", rawCommand(1, [{ text: "a.db" }], { reserved: 1 })],
    ["too many fields", rawCommand(5, [{ u64: 1 }, { u64: 2 }])],
    ["a header alone", rawCommand(5, [])],
  ];
  it.each(malformed)("refuses %s", (_, bytes) => {
    expect(() => decodeCommand(bytes)).toThrow(ErrCommandMalformed);
  });

  it("the raw layout of the fixtures is the codec's: valid raw commands decode", () => {
    expect(decodeCommand(rawFrames({}))).toEqual(valid);
    expect(decodeCommand(rawCommand(4, [{ u64: 2 ** 52 + 3 }]))).toEqual({ kind: "undo", txid: 2 ** 52 + 3 });
    expect(decodeCommand(rawCommand(2, [{ u64: 7 }, { text: "Zürich.db" }]))).toEqual({
      kind: "begin",
      txid: 7,
      name: "Zürich.db",
    });
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
