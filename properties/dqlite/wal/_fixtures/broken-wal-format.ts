/**
 * Deliberately broken WAL readers, each one of the mistakes a WAL reader can make,
 * to show the format properties catch it. Never used outside tests.
 */
import {
  decodeWalFrameHeader,
  decodeWalHeader,
  WAL_FRAME_HEADER_SIZE,
  WAL_HEADER_SIZE,
  walChecksum,
  walFrameSize,
} from "../../../../src/impl/dqlite/wal/wal-format.ts";
import type { ParsedWal, WalFrameInfo } from "../../../../src/impl/dqlite/wal/wal-format.ts";

export type BrokenReader =
  /** Takes a frame whose checksum does not match (checks only salts and page number). */
  | "no-checksum-check"
  /** Takes a frame whose salts differ from the header's. */
  | "no-salt-check"
  /** Counts the valid frames after the last commit as committed. */
  | "uncommitted-tail-kept"
  /** Applies frames in reverse order (the earliest version of a page wins). */
  | "first-version-wins"
  /** Keeps the database file's length instead of the last commit's size. */
  | "image-not-sized";

export const BROKEN_READERS: readonly BrokenReader[] = [
  "no-checksum-check",
  "no-salt-check",
  "uncommitted-tail-kept",
  "first-version-wins",
  "image-not-sized",
];

/** parseWal with the given mistake. */
export function brokenParseWal(bytes: Uint8Array, mistake: BrokenReader): ParsedWal {
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
    const saltsMatch = decoded.salt1 === header.salt1 && decoded.salt2 === header.salt2;
    if ((!saltsMatch && mistake !== "no-salt-check") || decoded.pageNumber === 0) break;
    const afterHeader = walChecksum(frame.subarray(0, 8), header.bigEndianChecksum, running);
    const checksum = walChecksum(frame.subarray(WAL_FRAME_HEADER_SIZE), header.bigEndianChecksum, afterHeader);
    const checksumMatches = checksum[0] === decoded.checksum[0] && checksum[1] === decoded.checksum[1];
    if (!checksumMatches && mistake !== "no-checksum-check") break;
    running = decoded.checksum;
    valid.push({
      index: valid.length,
      pageNumber: decoded.pageNumber,
      commitSizePages: decoded.commitSizePages,
      offset,
    });
    if (decoded.commitSizePages !== 0 || mistake === "uncommitted-tail-kept") {
      committed = {
        count: valid.length,
        databaseSizePages: decoded.commitSizePages || committed.databaseSizePages,
        checksum,
      };
    }
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

/** databaseImage with the given mistake. */
export function brokenDatabaseImage(
  databaseBytes: Uint8Array,
  walBytes: Uint8Array,
  mistake: BrokenReader,
): Uint8Array {
  const parsed = brokenParseWal(walBytes, mistake);
  if (parsed.header === undefined || parsed.committedFrameCount === 0) return databaseBytes.slice();
  const pageSize = parsed.header.pageSize;
  const sized = parsed.databaseSizePages * pageSize;
  const image = new Uint8Array(mistake === "image-not-sized" ? Math.max(sized, databaseBytes.length) : sized);
  image.set(databaseBytes.subarray(0, Math.min(databaseBytes.length, image.length)));
  const frames = mistake === "first-version-wins" ? [...parsed.frames].reverse() : parsed.frames;
  for (const frame of frames) {
    if (frame.pageNumber > parsed.databaseSizePages) continue;
    const start = frame.offset + WAL_FRAME_HEADER_SIZE;
    image.set(walBytes.subarray(start, start + pageSize), (frame.pageNumber - 1) * pageSize);
  }
  return image;
}

/** decodeWalHeader that never checks the header's checksum. */
export function decodeWalHeaderWithoutChecksum(bytes: Uint8Array): ReturnType<typeof decodeWalHeader> {
  return { header: decodeWalHeader(bytes).header, checksumValid: true };
}
