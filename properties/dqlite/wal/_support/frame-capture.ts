/**
 * Frames captured from a WAL SQLite wrote, as dqlite's leader captures them: one
 * committed transaction at a time, then cut into FrameBatches as Raft entries.
 */
import { parseWal, WAL_FRAME_HEADER_SIZE } from "../../../../src/impl/dqlite/wal/wal-format.ts";
import { PAGE_SIZE } from "../../../../src/impl/dqlite/types.ts";
import type { FrameBatch } from "../../../../src/impl/dqlite/types.ts";

/** The frames of one committed transaction, in WAL order. */
export interface CapturedTransaction {
  readonly pageNumbers: readonly number[];
  /** pageNumbers.length pages, back to back. */
  readonly pageData: Uint8Array;
  readonly commitSizePages: number;
}

/** The committed transactions of `wal` after its first `skipFrames` frames. */
export function capturedTransactions(wal: Uint8Array, skipFrames: number): CapturedTransaction[] {
  const parsed = parseWal(wal);
  const transactions: CapturedTransaction[] = [];
  let current: { pageNumbers: number[]; pages: Uint8Array[] } = { pageNumbers: [], pages: [] };
  for (const frame of parsed.frames.slice(skipFrames)) {
    const start = frame.offset + WAL_FRAME_HEADER_SIZE;
    current.pageNumbers.push(frame.pageNumber);
    current.pages.push(wal.slice(start, start + PAGE_SIZE));
    if (frame.commitSizePages === 0) continue;
    transactions.push({
      pageNumbers: current.pageNumbers,
      pageData: joinPages(current.pages),
      commitSizePages: frame.commitSizePages,
    });
    current = { pageNumbers: [], pages: [] };
  }
  return transactions;
}

/**
 * The transaction as Raft entries: cut before each frame index in `cuts` (deduplicated, in range); the last commits.
 */
export function asBatches(transaction: CapturedTransaction, cuts: readonly number[] = []): FrameBatch[] {
  const count = transaction.pageNumbers.length;
  const boundaries = [...new Set(cuts.filter((cut) => cut > 0 && cut < count))].sort((a, b) => a - b);
  const starts = [0, ...boundaries];
  return starts.map((start, index) => {
    const end = starts[index + 1] ?? count;
    const isCommit = end === count;
    return {
      pageSize: PAGE_SIZE,
      pageNumbers: transaction.pageNumbers.slice(start, end),
      pageData: transaction.pageData.slice(start * PAGE_SIZE, end * PAGE_SIZE),
      truncate: isCommit ? transaction.commitSizePages : 0,
      isCommit,
    };
  });
}

function joinPages(pages: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(pages.length * PAGE_SIZE);
  pages.forEach((page, index) => bytes.set(page, index * PAGE_SIZE));
  return bytes;
}
