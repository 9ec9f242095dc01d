/**
 * WALs for the format tests, described as data: transactions of (page number, page)
 * frames, each committed or not, and what the reader should make of them.
 */
import {
  encodeWalFrames,
  encodeWalHeader,
  decodeWalHeader,
  chainAfterHeader,
} from "../../../../src/impl/dqlite/wal/wal-format.ts";
import type { WalChecksum } from "../../../../src/impl/dqlite/wal/wal-format.ts";
import { concatenate } from "../../../_support/bytes.ts";

export interface FrameSpec {
  readonly pageNumber: number;
  /** The page is filled from this byte (a recognisable pattern, readable when shrunk). */
  readonly fill: number;
}

export interface TransactionSpec {
  readonly frames: readonly FrameSpec[];
  /** Database size in pages after the commit; undefined: the transaction never commits. */
  readonly commitSizePages: number | undefined;
}

export interface WalSpec {
  readonly pageSize: number;
  readonly bigEndianChecksum: boolean;
  readonly salt1: number;
  readonly salt2: number;
  readonly checkpointSequence: number;
  readonly transactions: readonly TransactionSpec[];
}

/** A page whose bytes are `fill`, `fill + 1`, ... (mod 256), so two fills never give the same page. */
export function patternPage(pageSize: number, fill: number): Uint8Array {
  const page = new Uint8Array(pageSize);
  for (let index = 0; index < pageSize; index++) page[index] = (fill + index) & 0xff;
  return page;
}

/** The WAL's bytes, and the checksum after each frame. */
export function buildWal(spec: WalSpec): { readonly bytes: Uint8Array; readonly checksums: readonly WalChecksum[] } {
  const headerBytes = encodeWalHeader(spec);
  const { header } = decodeWalHeader(headerBytes);
  let chain = chainAfterHeader(header);
  const parts: Uint8Array[] = [headerBytes];
  const checksums: WalChecksum[] = [];
  for (const transaction of spec.transactions) {
    for (const [index, frame] of transaction.frames.entries()) {
      const isLast = index === transaction.frames.length - 1;
      const commit = isLast ? (transaction.commitSizePages ?? 0) : 0;
      const encoded = encodeWalFrames(
        chain,
        spec.pageSize,
        [frame.pageNumber],
        patternPage(spec.pageSize, frame.fill),
        commit,
      );
      parts.push(encoded.bytes);
      checksums.push(encoded.checksum);
      chain = { ...chain, checksum: encoded.checksum };
    }
  }
  return { bytes: concatenate(parts), checksums };
}

/** Frames flattened in WAL order, with the commit size each frame carries (0 if none). */
export function flatFrames(
  spec: WalSpec,
): { readonly pageNumber: number; readonly fill: number; readonly commitSizePages: number }[] {
  return spec.transactions.flatMap((transaction) =>
    transaction.frames.map((frame, index) => ({
      ...frame,
      commitSizePages: index === transaction.frames.length - 1 ? (transaction.commitSizePages ?? 0) : 0,
    })),
  );
}

/**
 * What recovery must keep when frames from `firstInvalid` on are invalid: the count
 * of frames up to the last commit before it, and the logical database then.
 */
export function expectedRecovery(
  spec: WalSpec,
  database: Uint8Array,
  firstInvalid: number,
): { readonly committedFrameCount: number; readonly framesAfterCommit: number; readonly image: Uint8Array } {
  const frames = flatFrames(spec).slice(0, firstInvalid);
  let committedFrameCount = 0;
  frames.forEach((frame, index) => {
    if (frame.commitSizePages !== 0) committedFrameCount = index + 1;
  });
  if (committedFrameCount === 0)
    return { committedFrameCount, framesAfterCommit: frames.length, image: database.slice() };
  const sizePages = frames[committedFrameCount - 1]?.commitSizePages ?? 0;
  const pages = new Map<number, Uint8Array>();
  for (const frame of frames.slice(0, committedFrameCount))
    pages.set(frame.pageNumber, patternPage(spec.pageSize, frame.fill));
  const image = new Uint8Array(sizePages * spec.pageSize);
  image.set(database.subarray(0, Math.min(database.length, image.length)));
  for (const [pageNumber, page] of pages)
    if (pageNumber <= sizePages) image.set(page, (pageNumber - 1) * spec.pageSize);
  return { committedFrameCount, framesAfterCommit: frames.length - committedFrameCount, image };
}
