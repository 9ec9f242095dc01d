/**
 * SQLite's write-ahead log format (https://www.sqlite.org/fileformat2.html#walformat),
 * pure: no I/O.
 *
 * A WAL is a 32-byte header followed by frames, each a 24-byte frame header and one
 * page. Every header field is big-endian; the checksums read the data as 32-bit words
 * in the byte order the magic names (0x377f0682: little-endian, what wa-sqlite writes
 * on wasm; 0x377f0683: big-endian). Each frame's checksum continues the previous one
 * (the header's for the first frame), over the first 8 bytes of its frame header and
 * its page, so a frame is valid only if everything before it is.
 *
 * `parseWal` follows SQLite's recovery (walIndexRecover): frames are taken in order
 * while their salts match the header's, their page number is not zero and their
 * checksums chain; everything up to the last valid commit frame is the committed
 * WAL, whatever follows is ignored. A torn or corrupt WAL is therefore not an error.
 * A header SQLite could never have written (bad magic, version or page size) is
 * `ErrWalMalformed`; a header whose checksum does not match makes SQLite ignore the
 * whole WAL, and so does `parseWal` (no header, no frames).
 */
import { assert } from "../../../sim/assert.ts";

/** Magic of a WAL whose checksums read little-endian words (what SQLite writes on a little-endian machine). */
export const WAL_MAGIC_LITTLE_ENDIAN = 0x377f0682;
/** Magic of a WAL whose checksums read big-endian words. */
export const WAL_MAGIC_BIG_ENDIAN = 0x377f0683;
/** The only WAL format version there is (SQLite 3.7.0). */
export const WAL_FORMAT_VERSION = 3007000;
export const WAL_HEADER_SIZE = 32;
export const WAL_FRAME_HEADER_SIZE = 24;
export const MINIMUM_PAGE_SIZE = 512;
export const MAXIMUM_PAGE_SIZE = 65536;

/** A running WAL checksum: the pair (s0, s1) of unsigned 32-bit words. */
export type WalChecksum = readonly [number, number];

/** A bad WAL header: something SQLite itself would never have written. */
export class ErrWalMalformed extends Error {
  override readonly name = "ErrWalMalformed";
}

/** The fields of a WAL header. `checksum` is the header's own (over its first 24 bytes). */
export interface WalHeader {
  /** True for magic 0x377f0683 (checksums over big-endian words). */
  readonly bigEndianChecksum: boolean;
  readonly pageSize: number;
  readonly checkpointSequence: number;
  readonly salt1: number;
  readonly salt2: number;
  readonly checksum: WalChecksum;
}

/** What frame encoding needs: the header's byte order and salts, and the checksum of everything before. */
export interface WalChain {
  readonly bigEndianChecksum: boolean;
  readonly salt1: number;
  readonly salt2: number;
  readonly checksum: WalChecksum;
}

/** A decoded 24-byte frame header. */
export interface WalFrameHeader {
  readonly pageNumber: number;
  /** Database size in pages after the commit, for a commit frame; 0 otherwise. */
  readonly commitSizePages: number;
  readonly salt1: number;
  readonly salt2: number;
  readonly checksum: WalChecksum;
}

/** One valid frame found by `parseWal`. */
export interface WalFrameInfo {
  /** 0-based position of the frame in the WAL. */
  readonly index: number;
  readonly pageNumber: number;
  /** Nonzero on a commit frame: the database size in pages after the commit. */
  readonly commitSizePages: number;
  /** Byte offset of the frame header; the page follows at `offset + WAL_FRAME_HEADER_SIZE`. */
  readonly offset: number;
}

/** A WAL as SQLite's recovery sees it. */
export interface ParsedWal {
  /** Absent when the WAL is shorter than a header or its header checksum is wrong (SQLite ignores it all). */
  readonly header: WalHeader | undefined;
  /** The committed frames, in WAL order. */
  readonly frames: readonly WalFrameInfo[];
  readonly committedFrameCount: number;
  /** The last commit frame's database size in pages; 0 without a commit. */
  readonly databaseSizePages: number;
  /** The running checksum after the last commit frame (the header's without one; [0, 0] without a header). */
  readonly checksum: WalChecksum;
  /** Valid frames after the last commit frame (an unfinished transaction). */
  readonly framesAfterCommit: number;
}

/** True if `pageSize` is a page size SQLite accepts in a WAL header. */
export function isValidPageSize(pageSize: number): boolean {
  return (
    Number.isInteger(pageSize) &&
    pageSize >= MINIMUM_PAGE_SIZE &&
    pageSize <= MAXIMUM_PAGE_SIZE &&
    (pageSize & (pageSize - 1)) === 0
  );
}

/** Bytes of one frame (header and page). */
export function walFrameSize(pageSize: number): number {
  return WAL_FRAME_HEADER_SIZE + pageSize;
}

/** Byte offset of frame `frameIndex` (0-based); equally, the WAL's size with `frameIndex` frames. */
export function walFrameOffset(pageSize: number, frameIndex: number): number {
  return WAL_HEADER_SIZE + frameIndex * walFrameSize(pageSize);
}

/**
 * SQLite's WAL checksum (walChecksumBytes): continues `initial` over `bytes`, read as
 * 32-bit words in the given byte order, two words at a time. `bytes.length` must be a
 * multiple of 8.
 */
export function walChecksum(bytes: Uint8Array, bigEndian: boolean, initial: WalChecksum = [0, 0]): WalChecksum {
  assert(bytes.length % 8 === 0, `WAL checksum over ${bytes.length} bytes, not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = !bigEndian;
  let s0 = initial[0];
  let s1 = initial[1];
  for (let offset = 0; offset < bytes.length; offset += 8) {
    s0 = (s0 + view.getUint32(offset, littleEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(offset + 4, littleEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

/** A 32-byte WAL header with its checksum. */
export function encodeWalHeader(fields: Omit<WalHeader, "checksum">): Uint8Array {
  assert(isValidPageSize(fields.pageSize), `invalid WAL page size ${fields.pageSize}`);
  const bytes = new Uint8Array(WAL_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, fields.bigEndianChecksum ? WAL_MAGIC_BIG_ENDIAN : WAL_MAGIC_LITTLE_ENDIAN);
  view.setUint32(4, WAL_FORMAT_VERSION);
  view.setUint32(8, fields.pageSize);
  view.setUint32(12, fields.checkpointSequence >>> 0);
  view.setUint32(16, fields.salt1 >>> 0);
  view.setUint32(20, fields.salt2 >>> 0);
  const checksum = walChecksum(bytes.subarray(0, 24), fields.bigEndianChecksum);
  view.setUint32(24, checksum[0]);
  view.setUint32(28, checksum[1]);
  return bytes;
}

/**
 * Decodes a WAL header (the first 32 bytes of `bytes`). Throws ErrWalMalformed for a
 * bad magic, version or page size; `checksumValid` says whether the stored checksum
 * matches (SQLite ignores the WAL when it does not).
 */
export function decodeWalHeader(bytes: Uint8Array): { readonly header: WalHeader; readonly checksumValid: boolean } {
  if (bytes.length < WAL_HEADER_SIZE)
    throw new ErrWalMalformed(`WAL header needs ${WAL_HEADER_SIZE} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, WAL_HEADER_SIZE);
  const magic = view.getUint32(0);
  if (magic !== WAL_MAGIC_LITTLE_ENDIAN && magic !== WAL_MAGIC_BIG_ENDIAN) {
    throw new ErrWalMalformed(`bad WAL magic 0x${magic.toString(16)}`);
  }
  const version = view.getUint32(4);
  if (version !== WAL_FORMAT_VERSION) throw new ErrWalMalformed(`unsupported WAL format version ${version}`);
  const pageSize = view.getUint32(8);
  if (!isValidPageSize(pageSize)) throw new ErrWalMalformed(`bad WAL page size ${pageSize}`);
  const bigEndianChecksum = magic === WAL_MAGIC_BIG_ENDIAN;
  const checksum: WalChecksum = [view.getUint32(24), view.getUint32(28)];
  const computed = walChecksum(bytes.subarray(0, 24), bigEndianChecksum);
  const header: WalHeader = {
    bigEndianChecksum,
    pageSize,
    checkpointSequence: view.getUint32(12),
    salt1: view.getUint32(16),
    salt2: view.getUint32(20),
    checksum,
  };
  return { header, checksumValid: computed[0] === checksum[0] && computed[1] === checksum[1] };
}

/** The chain state right after a header: its byte order, salts and checksum. */
export function chainAfterHeader(header: WalHeader): WalChain {
  return {
    bigEndianChecksum: header.bigEndianChecksum,
    salt1: header.salt1,
    salt2: header.salt2,
    checksum: header.checksum,
  };
}

/** Decodes the first 24 bytes of `bytes` as a frame header (no validation). */
export function decodeWalFrameHeader(bytes: Uint8Array): WalFrameHeader {
  assert(
    bytes.length >= WAL_FRAME_HEADER_SIZE,
    `frame header needs ${WAL_FRAME_HEADER_SIZE} bytes, got ${bytes.length}`,
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, WAL_FRAME_HEADER_SIZE);
  return {
    pageNumber: view.getUint32(0),
    commitSizePages: view.getUint32(4),
    salt1: view.getUint32(8),
    salt2: view.getUint32(12),
    checksum: [view.getUint32(16), view.getUint32(20)],
  };
}

/**
 * One frame (header and page) continuing `chain`; returns its bytes and the checksum
 * the next frame continues from. `commitSizePages` is 0 except on a commit frame.
 */
export function encodeWalFrame(
  chain: WalChain,
  pageNumber: number,
  commitSizePages: number,
  page: Uint8Array,
): { readonly bytes: Uint8Array; readonly checksum: WalChecksum } {
  const bytes = new Uint8Array(WAL_FRAME_HEADER_SIZE + page.length);
  const checksum = writeWalFrame(bytes, 0, chain, chain.checksum, pageNumber, commitSizePages, page);
  return { bytes, checksum };
}

/**
 * Writes one frame continuing `checksum` (with `chain`'s byte order and salts) into
 * `target` at `offset`, and returns the checksum the next frame continues from.
 */
function writeWalFrame(
  target: Uint8Array,
  offset: number,
  chain: WalChain,
  checksum: WalChecksum,
  pageNumber: number,
  commitSizePages: number,
  page: Uint8Array,
): WalChecksum {
  assert(
    Number.isInteger(pageNumber) && pageNumber >= 1 && pageNumber <= 0xffffffff,
    `invalid page number ${pageNumber}`,
  );
  assert(Number.isInteger(commitSizePages) && commitSizePages >= 0, `invalid commit size ${commitSizePages}`);
  assert(isValidPageSize(page.length), `invalid page of ${page.length} bytes`);
  const frame = target.subarray(offset, offset + WAL_FRAME_HEADER_SIZE + page.length);
  const view = new DataView(frame.buffer, frame.byteOffset, WAL_FRAME_HEADER_SIZE);
  view.setUint32(0, pageNumber);
  view.setUint32(4, commitSizePages);
  view.setUint32(8, chain.salt1 >>> 0);
  view.setUint32(12, chain.salt2 >>> 0);
  frame.set(page, WAL_FRAME_HEADER_SIZE);
  const afterHeader = walChecksum(frame.subarray(0, 8), chain.bigEndianChecksum, checksum);
  const next = walChecksum(page, chain.bigEndianChecksum, afterHeader);
  view.setUint32(16, next[0]);
  view.setUint32(20, next[1]);
  return next;
}

/**
 * Consecutive frames for pages `pageNumbers` (their data back to back in `pageData`),
 * continuing `chain`; the last frame carries `commitSizePages` (0: no commit).
 * Returns the bytes and the checksum after the last frame. `headroomBytes` bytes are
 * left free before the first frame (for a WAL header the caller writes there).
 */
export function encodeWalFrames(
  chain: WalChain,
  pageSize: number,
  pageNumbers: readonly number[],
  pageData: Uint8Array,
  commitSizePages: number,
  headroomBytes = 0,
): { readonly bytes: Uint8Array; readonly checksum: WalChecksum } {
  assert(
    pageData.length === pageNumbers.length * pageSize,
    `${pageData.length} bytes of page data for ${pageNumbers.length} pages`,
  );
  const frameSize = walFrameSize(pageSize);
  const bytes = new Uint8Array(headroomBytes + pageNumbers.length * frameSize);
  let checksum = chain.checksum;
  for (let index = 0; index < pageNumbers.length; index++) {
    const isLast = index === pageNumbers.length - 1;
    const page = pageData.subarray(index * pageSize, (index + 1) * pageSize);
    const offset = headroomBytes + index * frameSize;
    checksum = writeWalFrame(
      bytes,
      offset,
      chain,
      checksum,
      pageNumbers[index] as number,
      isLast ? commitSizePages : 0,
      page,
    );
  }
  return { bytes, checksum };
}

/** The WAL as SQLite's recovery reads it (see the module comment). */
export function parseWal(bytes: Uint8Array): ParsedWal {
  const nothing: ParsedWal = {
    header: undefined,
    frames: [],
    committedFrameCount: 0,
    databaseSizePages: 0,
    checksum: [0, 0],
    framesAfterCommit: 0,
  };
  if (bytes.length < WAL_HEADER_SIZE) return nothing;
  const { header, checksumValid } = decodeWalHeader(bytes);
  if (!checksumValid) return nothing;
  const frameSize = walFrameSize(header.pageSize);
  const valid: WalFrameInfo[] = [];
  let running = header.checksum;
  let committed = { count: 0, databaseSizePages: 0, checksum: header.checksum };
  for (let offset = WAL_HEADER_SIZE; offset + frameSize <= bytes.length; offset += frameSize) {
    const frame = bytes.subarray(offset, offset + frameSize);
    const decoded = decodeWalFrameHeader(frame);
    if (decoded.salt1 !== header.salt1 || decoded.salt2 !== header.salt2 || decoded.pageNumber === 0) break;
    const afterHeader = walChecksum(frame.subarray(0, 8), header.bigEndianChecksum, running);
    const checksum = walChecksum(frame.subarray(WAL_FRAME_HEADER_SIZE), header.bigEndianChecksum, afterHeader);
    if (checksum[0] !== decoded.checksum[0] || checksum[1] !== decoded.checksum[1]) break;
    running = checksum;
    valid.push({
      index: valid.length,
      pageNumber: decoded.pageNumber,
      commitSizePages: decoded.commitSizePages,
      offset,
    });
    if (decoded.commitSizePages !== 0)
      committed = { count: valid.length, databaseSizePages: decoded.commitSizePages, checksum };
  }
  return {
    header,
    frames: valid.slice(0, committed.count),
    committedFrameCount: committed.count,
    databaseSizePages: committed.databaseSizePages,
    checksum: committed.checksum,
    framesAfterCommit: valid.length - committed.count,
  };
}

/**
 * The logical database: `databaseBytes` with the WAL's committed frames applied in
 * order (a later frame of a page wins), sized to the last commit frame's database
 * size. Without a committed frame, a copy of `databaseBytes`.
 */
export function databaseImage(databaseBytes: Uint8Array, walBytes: Uint8Array): Uint8Array {
  const parsed = parseWal(walBytes);
  if (parsed.header === undefined || parsed.committedFrameCount === 0) return databaseBytes.slice();
  const pageSize = parsed.header.pageSize;
  const image = new Uint8Array(parsed.databaseSizePages * pageSize);
  image.set(databaseBytes.subarray(0, Math.min(databaseBytes.length, image.length)));
  for (const frame of parsed.frames) {
    // Pages past the final size were truncated away by a later commit.
    if (frame.pageNumber > parsed.databaseSizePages) continue;
    const start = frame.offset + WAL_FRAME_HEADER_SIZE;
    image.set(walBytes.subarray(start, start + pageSize), (frame.pageNumber - 1) * pageSize);
  }
  return image;
}
