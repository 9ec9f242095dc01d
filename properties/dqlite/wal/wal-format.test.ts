// The WAL format against its own model: round trips, and SQLite's recovery rules (torn tail, bad checksum, salt
// mismatch, uncommitted frames).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  databaseImage,
  decodeWalHeader,
  encodeWalFrame,
  encodeWalHeader,
  ErrWalMalformed,
  parseWal,
  WAL_FORMAT_VERSION,
  WAL_HEADER_SIZE,
  WAL_MAGIC_BIG_ENDIAN,
  WAL_MAGIC_LITTLE_ENDIAN,
  walChecksum,
  walFrameOffset,
  walFrameSize,
} from "../../../src/impl/dqlite/wal/wal-format.ts";
import type { ParsedWal, WalHeader } from "../../../src/impl/dqlite/wal/wal-format.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import {
  BROKEN_READERS,
  brokenDatabaseImage,
  brokenParseWal,
  decodeWalHeaderWithoutChecksum,
} from "./_fixtures/broken-wal-format.ts";
import { concatenate } from "../../_support/bytes.ts";
import { buildWal, expectedRecovery, flatFrames, patternPage } from "./_support/wal-builder.ts";
import type { TransactionSpec, WalSpec } from "./_support/wal-builder.ts";

const uint32 = fc.integer({ min: 0, max: 0xffffffff });

const headerFields = fc.record({
  bigEndianChecksum: fc.boolean(),
  pageSize: fc.constantFrom(512, 1024, 4096, 65536),
  checkpointSequence: uint32,
  salt1: uint32,
  salt2: uint32,
});

const transaction: fc.Arbitrary<TransactionSpec> = fc.record({
  frames: fc.array(fc.record({ pageNumber: fc.integer({ min: 1, max: 8 }), fill: fc.integer({ min: 0, max: 255 }) }), {
    minLength: 1,
    maxLength: 4,
  }),
  commitSizePages: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined, freq: 4 }),
});

const walSpec: fc.Arbitrary<WalSpec> = fc.record({
  pageSize: fc.constantFrom(512, 1024),
  bigEndianChecksum: fc.boolean(),
  checkpointSequence: uint32,
  salt1: uint32,
  salt2: uint32,
  transactions: fc.array(transaction, { maxLength: 6 }),
});

/** What happens to the WAL before it is read: nothing, a cut (torn write), or one corrupted byte. */
type Damage =
  | { readonly kind: "none" }
  | { readonly kind: "cut"; readonly frameChoice: number; readonly byteChoice: number }
  | { readonly kind: "flip"; readonly frameChoice: number; readonly byteChoice: number; readonly xor: number };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.constant<Damage>({ kind: "none" }),
  fc.record({ kind: fc.constant("cut" as const), frameChoice: fc.nat(), byteChoice: fc.nat() }),
  fc.record({
    kind: fc.constant("flip" as const),
    frameChoice: fc.nat(),
    byteChoice: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
);

/** A copy of `bytes` with the byte at `position` inverted. */
function flipped(bytes: Uint8Array, position: number): Uint8Array {
  const copy = bytes.slice();
  copy[position] = (copy[position] ?? 0) ^ 0xff;
  return copy;
}

/** Applies the damage; returns the bytes and the first frame that is no longer valid. */
function damaged(
  spec: WalSpec,
  bytes: Uint8Array,
  hurt: Damage,
): { readonly bytes: Uint8Array; readonly firstInvalid: number } {
  const frameCount = flatFrames(spec).length;
  if (hurt.kind === "none" || frameCount === 0) return { bytes, firstInvalid: frameCount };
  const frame = hurt.frameChoice % frameCount;
  const byte = hurt.byteChoice % walFrameSize(spec.pageSize);
  const position = walFrameOffset(spec.pageSize, frame) + byte;
  if (hurt.kind === "cut") return { bytes: bytes.slice(0, position), firstInvalid: frame };
  const copy = bytes.slice();
  copy[position] = (copy[position] ?? 0) ^ hurt.xor;
  // A changed page number of 0 or a changed commit field is caught by the checksum too.
  return { bytes: copy, firstInvalid: frame };
}

type Reader = {
  readonly parse: (wal: Uint8Array) => ParsedWal;
  readonly image: (database: Uint8Array, wal: Uint8Array) => Uint8Array;
};

const realReader: Reader = { parse: parseWal, image: databaseImage };

/** Recovery keeps exactly the frames up to the last commit before the first invalid frame, and the image they make. */
function recoveryProperty(reader: Reader) {
  return fc.property(walSpec, damage, fc.integer({ min: 0, max: 8 }), (spec, hurt, databasePages) => {
    const database = concatenate(
      Array.from({ length: databasePages }, (_, index) => patternPage(spec.pageSize, 200 + index)),
    );
    const { bytes, firstInvalid } = damaged(spec, buildWal(spec).bytes, hurt);
    const expected = expectedRecovery(spec, database, firstInvalid);
    const parsed = reader.parse(bytes);
    expect(parsed.header?.salt1).toBe(spec.salt1);
    expect(parsed.committedFrameCount).toBe(expected.committedFrameCount);
    expect(parsed.framesAfterCommit).toBe(expected.framesAfterCommit);
    expect(parsed.frames.map((frame) => frame.pageNumber)).toEqual(
      flatFrames(spec)
        .slice(0, expected.committedFrameCount)
        .map((frame) => frame.pageNumber),
    );
    expect(Buffer.from(reader.image(database, bytes)).equals(Buffer.from(expected.image))).toBe(true);
  });
}

type HeaderDecoder = (bytes: Uint8Array) => { readonly header: WalHeader; readonly checksumValid: boolean };

/** A header decodes to what was encoded, and any one corrupted byte is noticed (malformed, or a checksum mismatch). */
function headerProperty(decode: HeaderDecoder) {
  return fc.property(
    headerFields,
    fc.integer({ min: 0, max: WAL_HEADER_SIZE - 1 }),
    fc.integer({ min: 1, max: 255 }),
    (fields, position, xor) => {
      const bytes = encodeWalHeader(fields);
      const { header, checksumValid } = decode(bytes);
      expect(checksumValid).toBe(true);
      expect({ ...header, checksum: undefined }).toEqual({ ...fields, checksum: undefined });
      const corrupted = bytes.slice();
      corrupted[position] = (corrupted[position] ?? 0) ^ xor;
      let noticed: boolean;
      try {
        noticed = !decode(corrupted).checksumValid;
      } catch (error) {
        noticed = error instanceof ErrWalMalformed;
      }
      expect(noticed).toBe(true);
    },
  );
}

describe("WAL format: properties", () => {
  it("header round trip, and every corrupted header byte is noticed", () => {
    fc.assert(headerProperty(decodeWalHeader), propertyParameters("wal header round trip", 300));
  });

  it("the header property fails on a decoder that does not check the header checksum", () => {
    const details = fc.check(
      headerProperty(decodeWalHeaderWithoutChecksum),
      propertyParameters("wal header round trip (broken)", 300),
    );
    expect(details.failed).toBe(true);
  });

  it("recovery keeps the frames up to the last valid commit, whatever the damage", () => {
    fc.assert(recoveryProperty(realReader), propertyParameters("wal recovery", 300));
  });

  it.each(BROKEN_READERS)("the recovery property fails on a reader with the mistake %s", (mistake) => {
    const broken: Reader = {
      parse: (wal) => brokenParseWal(wal, mistake),
      image: (database, wal) => brokenDatabaseImage(database, wal, mistake),
    };
    const details = fc.check(recoveryProperty(broken), propertyParameters(`wal recovery (broken: ${mistake})`, 300));
    expect(details.failed).toBe(true);
  });
});

describe("WAL format: recovery examples", () => {
  const base: WalSpec = {
    pageSize: 512,
    bigEndianChecksum: false,
    checkpointSequence: 3,
    salt1: 0x11111111,
    salt2: 0x22222222,
    transactions: [],
  };
  const twoCommits: WalSpec = {
    ...base,
    transactions: [
      {
        frames: [
          { pageNumber: 1, fill: 1 },
          { pageNumber: 2, fill: 2 },
        ],
        commitSizePages: 2,
      },
      {
        frames: [
          { pageNumber: 2, fill: 3 },
          { pageNumber: 3, fill: 4 },
        ],
        commitSizePages: 3,
      },
    ],
  };

  it("reads the header fields and every committed frame", () => {
    const parsed = parseWal(buildWal(twoCommits).bytes);
    expect(parsed.header).toMatchObject({
      pageSize: 512,
      checkpointSequence: 3,
      salt1: 0x11111111,
      salt2: 0x22222222,
      bigEndianChecksum: false,
    });
    expect(parsed.committedFrameCount).toBe(4);
    expect(parsed.databaseSizePages).toBe(3);
    expect(parsed.frames.map((frame) => [frame.pageNumber, frame.commitSizePages, frame.offset])).toEqual([
      [1, 0, 32],
      [2, 2, 32 + 536],
      [2, 0, 32 + 2 * 536],
      [3, 3, 32 + 3 * 536],
    ]);
    expect(parsed.checksum).toEqual(buildWal(twoCommits).checksums[3]);
  });

  it("a torn last frame drops its whole transaction", () => {
    const bytes = buildWal(twoCommits).bytes;
    const parsed = parseWal(bytes.subarray(0, bytes.length - 1));
    expect(parsed.committedFrameCount).toBe(2);
    expect(parsed.framesAfterCommit).toBe(1);
    expect(parsed.databaseSizePages).toBe(2);
  });

  it("a bad checksum in the middle ends the WAL there, even if later frames look fine", () => {
    // The page of the first transaction's commit frame.
    const parsed = parseWal(flipped(buildWal(twoCommits).bytes, walFrameOffset(512, 1) + 100));
    expect(parsed.committedFrameCount).toBe(0);
    expect(parsed.framesAfterCommit).toBe(1);
    expect(parsed.checksum).toEqual(parsed.header?.checksum);
  });

  it("frames after the last commit are counted but not committed", () => {
    const spec: WalSpec = {
      ...twoCommits,
      transactions: [...twoCommits.transactions, { frames: [{ pageNumber: 5, fill: 9 }], commitSizePages: undefined }],
    };
    const parsed = parseWal(buildWal(spec).bytes);
    expect(parsed.committedFrameCount).toBe(4);
    expect(parsed.framesAfterCommit).toBe(1);
    expect(parsed.checksum).toEqual(buildWal(spec).checksums[3]);
  });

  it("a frame with other salts (from an older WAL) ends the WAL", () => {
    const stale = buildWal({ ...twoCommits, salt1: 0x11111110 }).bytes;
    const current = buildWal({ ...twoCommits, transactions: twoCommits.transactions.slice(0, 1) }).bytes;
    const mixed = concatenate([current, stale.subarray(current.length)]);
    expect(parseWal(mixed).committedFrameCount).toBe(2);
    expect(parseWal(mixed).framesAfterCommit).toBe(0);
  });

  it("a frame with page number 0 ends the WAL", () => {
    const header = decodeWalHeader(encodeWalHeader(base)).header;
    const zero = encodeWalFrame({ ...header, checksum: header.checksum }, 1, 1, patternPage(512, 0)).bytes.slice();
    zero.fill(0, 0, 4);
    expect(parseWal(concatenate([encodeWalHeader(base), zero])).committedFrameCount).toBe(0);
  });

  it("an empty, torn or checksum-damaged header means an empty WAL", () => {
    const bytes = buildWal(twoCommits).bytes;
    expect(parseWal(new Uint8Array(0)).header).toBeUndefined();
    expect(parseWal(bytes.subarray(0, 31)).committedFrameCount).toBe(0);
    expect(parseWal(flipped(bytes, 31))).toMatchObject({ header: undefined, committedFrameCount: 0 });
    expect(parseWal(flipped(bytes, 17)).committedFrameCount).toBe(0);
  });

  it("a bad magic, version or page size is ErrWalMalformed", () => {
    const bytes = buildWal(twoCommits).bytes;
    const withWord = (offset: number, value: number): Uint8Array => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(offset, value);
      return copy;
    };
    expect(() => parseWal(withWord(0, 0x377f0684))).toThrow(ErrWalMalformed);
    expect(() => parseWal(withWord(4, WAL_FORMAT_VERSION + 1))).toThrow(ErrWalMalformed);
    for (const pageSize of [0, 256, 1000, 131072])
      expect(() => parseWal(withWord(8, pageSize))).toThrow(ErrWalMalformed);
  });

  it("the magic names the checksum byte order", () => {
    expect(new DataView(encodeWalHeader(base).buffer).getUint32(0)).toBe(WAL_MAGIC_LITTLE_ENDIAN);
    expect(new DataView(encodeWalHeader({ ...base, bigEndianChecksum: true }).buffer).getUint32(0)).toBe(
      WAL_MAGIC_BIG_ENDIAN,
    );
    const words = new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]);
    expect(walChecksum(words, false)).toEqual([1, 3]);
    expect(walChecksum(words, true)).toEqual([0x01000000, 0x03000000]);
    const big = buildWal({ ...twoCommits, bigEndianChecksum: true }).bytes;
    expect(parseWal(big).committedFrameCount).toBe(4);
  });

  it("the image applies later frames over earlier ones and takes the last commit's size", () => {
    const database = concatenate([
      patternPage(512, 100),
      patternPage(512, 101),
      patternPage(512, 102),
      patternPage(512, 103),
    ]);
    const image = databaseImage(database, buildWal(twoCommits).bytes);
    expect(image.length).toBe(3 * 512);
    expect([...image.subarray(0, 512)]).toEqual([...patternPage(512, 1)]);
    expect([...image.subarray(512, 1024)]).toEqual([...patternPage(512, 3)]);
    expect([...image.subarray(1024)]).toEqual([...patternPage(512, 4)]);
    const shrink: WalSpec = {
      ...twoCommits,
      transactions: [...twoCommits.transactions, { frames: [{ pageNumber: 1, fill: 7 }], commitSizePages: 1 }],
    };
    expect(databaseImage(database, buildWal(shrink).bytes).length).toBe(512);
    expect(databaseImage(database, new Uint8Array(0))).toEqual(database);
  });
});
