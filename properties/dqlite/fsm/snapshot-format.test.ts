/**
 * Invariants of the snapshot format: any snapshot (several databases included)
 * decodes to itself; any damage (a byte changed, cut short, bytes appended) is
 * refused with ErrSnapshotMalformed; any bytes at all decode or are refused with
 * ErrSnapshotMalformed, never another error. Each property is shown to fail on
 * go-dqlite's own format and restore (_fixtures/seed-snapshot-codec.ts), whose
 * per-database bufio.Reader reads into the next database's bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NODE_HASHES } from "../../../src/sim/hashes.ts";
import { databaseNameProblem } from "../../../src/impl/dqlite/fsm/commands.ts";
import { ErrSnapshotMalformed } from "../../../src/impl/dqlite/fsm/errors.ts";
import { decodeSnapshot, encodeSnapshot, type FsmSnapshotData } from "../../../src/impl/dqlite/fsm/snapshot-format.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { decodeSeedSnapshot, encodeSeedSnapshot } from "./_fixtures/seed-snapshot-codec.ts";

interface Codec {
  encode(snapshot: FsmSnapshotData): Uint8Array;
  decode(bytes: Uint8Array): FsmSnapshotData;
}

const crc32 = NODE_HASHES.crc32;
const ours: Codec = { encode: (data) => encodeSnapshot(data, crc32), decode: (bytes) => decodeSnapshot(bytes, crc32) };
const seeds: Codec = { encode: encodeSeedSnapshot, decode: decodeSeedSnapshot };

const name = fc.string({ minLength: 1, maxLength: 12 }).filter((text) => databaseNameProblem(text) === undefined);
const snapshot: fc.Arbitrary<FsmSnapshotData> = fc.record({
  index: fc.maxSafeNat(),
  databases: fc.uniqueArray(
    fc.record({ name, database: fc.uint8Array({ maxLength: 300 }), wal: fc.uint8Array({ maxLength: 300 }) }),
    { maxLength: 4, selector: (database) => database.name },
  ),
});

type Damage =
  | { kind: "set"; at: number; xor: number }
  | { kind: "cut"; at: number }
  | { kind: "append"; bytes: Uint8Array };
const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function damaged(bytes: Uint8Array, change: Damage): Uint8Array {
  const copy = bytes.slice();
  if (change.kind === "append") return new Uint8Array([...copy, ...change.bytes]);
  const at = change.at % copy.length;
  if (change.kind === "cut") return copy.slice(0, at);
  copy[at] = (copy[at] as number) ^ change.xor;
  return copy;
}

function refusedAsMalformed(decode: () => unknown): boolean {
  try {
    decode();
  } catch (error) {
    if (error instanceof ErrSnapshotMalformed) return true;
    throw error;
  }
  return false;
}

const roundTrip = (codec: Codec) =>
  fc.property(snapshot, (data) => {
    expect(codec.decode(codec.encode(data))).toEqual(data);
  });

const damageRefused = (codec: Codec) =>
  fc.property(snapshot, damage, (data, change) => {
    expect(refusedAsMalformed(() => codec.decode(damaged(codec.encode(data), change)))).toBe(true);
  });

const total = (codec: Codec) =>
  fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    refusedAsMalformed(() => codec.decode(bytes));
  });

/** Replaces the trailing checksum, so that structural checks are reached. */
function withChecksum(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(copy.length - 4, crc32(copy.subarray(0, copy.length - 4)), true);
  return copy;
}

describe("snapshot format", () => {
  it("dqlite-fsm.snapshot-round-trip: every snapshot decodes to itself", () => {
    fc.assert(roundTrip(ours), propertyParameters("dqlite-fsm.snapshot-round-trip", 300));
  });

  it("dqlite-fsm.snapshot-damage-refused: a changed, cut or extended snapshot is refused as malformed", () => {
    fc.assert(damageRefused(ours), propertyParameters("dqlite-fsm.snapshot-damage-refused", 500));
  });

  it("dqlite-fsm.snapshot-decode-total: any bytes decode or are refused as malformed", () => {
    fc.assert(total(ours), propertyParameters("dqlite-fsm.snapshot-decode-total", 500));
  });

  const catchesSeed = <Ts extends unknown[]>(label: string, property: fc.IProperty<Ts>) =>
    it(`the ${label} property catches go-dqlite's format and its read-ahead restore`, () => {
      const outcome = fc.check(property, {
        ...propertyParameters(`dqlite-fsm.snapshot-${label}-catches-seed`, 300),
        reporter: undefined,
      });
      expect(outcome.failed).toBe(true);
    });
  catchesSeed("round-trip", roundTrip(seeds));
  catchesSeed("damage", damageRefused(seeds));
  catchesSeed("totality", total(seeds));

  it("go-dqlite's restore loses the second database (the bug this format avoids)", () => {
    const data = {
      index: 9,
      databases: [
        { name: "a", database: new Uint8Array([1, 2]), wal: new Uint8Array() },
        { name: "b", database: new Uint8Array([3]), wal: new Uint8Array([4]) },
      ],
    };
    expect(() => decodeSeedSnapshot(encodeSeedSnapshot(data))).toThrow("failed to read database size: unexpected EOF");
    expect(decodeSnapshot(encodeSnapshot(data, crc32), crc32)).toEqual(data);
  });

  const valid = encodeSnapshot(
    { index: 3, databases: [{ name: "a", database: new Uint8Array([1]), wal: new Uint8Array([2]) }] },
    crc32,
  );
  const edited = (edit: (bytes: Uint8Array, view: DataView) => void, fixChecksum = true): Uint8Array => {
    const bytes = valid.slice();
    edit(bytes, new DataView(bytes.buffer));
    return fixChecksum ? withChecksum(bytes) : bytes;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(), /shorter than a header/],
    ["bad magic", edited((bytes) => void (bytes[0] = 0)), /bad magic/],
    ["unknown version", edited((_, view) => view.setUint32(4, 2, true)), /unknown version 2/],
    ["bad checksum", edited((bytes) => void (bytes[30] = 9), false), /checksum mismatch/],
    ["index past 2^53", edited((_, view) => view.setUint32(12, 0xffffffff, true)), /index/],
    ["too many databases", edited((_, view) => view.setUint32(16, 1000, true)), /1000 databases cannot fit/],
    ["database count short by one", edited((_, view) => view.setUint32(16, 0, true)), /bytes after the last database/],
    ["a name length past the end", edited((_, view) => view.setUint32(20, 99, true)), /past the end/],
    ["a database length past the end", edited((_, view) => view.setUint32(25, 99, true)), /past the end/],
    ["a name that is not UTF-8", edited((bytes) => void (bytes[24] = 0xff)), /not UTF-8/],
    ["an invalid name", edited((bytes) => void (bytes[24] = 0x2f)), /not a file name/],
  ];
  it.each(cases)("refuses %s", (_, bytes, message) => {
    expect(() => decodeSnapshot(bytes, crc32)).toThrow(ErrSnapshotMalformed);
    expect(() => decodeSnapshot(bytes, crc32)).toThrow(message);
  });

  it("refuses a database named twice", () => {
    const one = { name: "a", database: new Uint8Array([1]), wal: new Uint8Array() };
    const twice = encodeSnapshot({ index: 1, databases: [one, { ...one, name: "b" }] }, crc32);
    const nameB = twice.indexOf(0x62);
    twice[nameB] = 0x61;
    expect(() => decodeSnapshot(withChecksum(twice), crc32)).toThrow(/appears twice/);
  });
});
