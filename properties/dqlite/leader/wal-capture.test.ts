// WalCapture (the leader's frame capture at the VFS), driven with synthetic WAL writes: what it replicates, and what
// reaches the disk when.
import { describe, expect, it } from "vitest";
import {
  SQLITE_IOERR,
  SQLITE_OK,
  WalCapture,
  type CapturedFrame,
} from "../../../src/impl/dqlite/leader/wal-capture.ts";

const PAGE = 512;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

function frameOffset(frame: number): number {
  return WAL_HEADER + (frame - 1) * (FRAME_HEADER + PAGE);
}

function frameHeader(pageNumber: number, commitSize: number): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, pageNumber, false);
  view.setUint32(4, commitSize, false);
  return bytes;
}

/** A capture whose WAL already holds `committed` frames; `refuse` makes replication fail. */
function capture(committed: number, heldFramesMax = 1_000) {
  const replicated: Array<{ frames: readonly CapturedFrame[]; commitSize: number | undefined }> = [];
  /** Each write that reached the disk: [first byte, end]. */
  const disk: Array<[number, number]> = [];
  const bytes = new Map<number, number>();
  const state = { committed, refuse: false, begins: 0 };
  const wal = new WalCapture(PAGE, heldFramesMax, {
    begin: async () => {
      state.begins++;
      return SQLITE_OK;
    },
    replicate: async (frames, commitSize) => {
      if (state.refuse) return SQLITE_IOERR;
      replicated.push({ frames, commitSize });
      return SQLITE_OK;
    },
    committed: (frameCount) => (state.committed = frameCount),
    committedFrames: () => state.committed,
    diskFailed: () => undefined,
  });
  const write = async (offset: number, data: Uint8Array) =>
    wal.write(offset, data, async (at, chunk) => {
      disk.push([at, at + chunk.length]);
      chunk.forEach((byte, index) => bytes.set(at + index, byte));
    });
  /** Writes one frame (header, then page) at `frame`. */
  const frame = async (at: number, pageNumber: number, commitSize: number) => {
    expect(await write(frameOffset(at), frameHeader(pageNumber, commitSize))).toBe(SQLITE_OK);
    return write(frameOffset(at) + FRAME_HEADER, new Uint8Array(PAGE).fill(pageNumber));
  };
  return { wal, state, replicated, disk, bytes, write, frame };
}

describe("WalCapture", () => {
  it("replicates a big transaction's frames as non-commit Frames once it holds a page cache's worth, then the commit", async () => {
    const { replicated, disk, frame } = capture(0, 3);
    for (let at = 1; at <= 7; at++) expect(await frame(at, 10 + at, at === 7 ? 20 : 0)).toBe(SQLITE_OK);
    expect(replicated.map((command) => [command.frames.map((f) => f.pageNumber), command.commitSize])).toEqual([
      [[11, 12, 13], undefined],
      [[14, 15, 16], undefined],
      [[17], 20],
    ]);
    // The non-commit frames reached the disk once replicated (each batch's contiguous frames as one write); nothing is
    // held past the commit.
    expect(disk).toEqual([
      [frameOffset(1), frameOffset(4)],
      [frameOffset(4), frameOffset(7)],
      [frameOffset(7), frameOffset(8)],
    ]);
  });

  it("a transaction of fewer frames than heldFramesMax is one commit command", async () => {
    const { replicated, frame } = capture(0);
    for (let at = 1; at <= 7; at++) await frame(at, 10 + at, at === 7 ? 20 : 0);
    expect(replicated.map((command) => command.commitSize)).toEqual([20]);
  });

  it("replicates a commit's frames before any of its bytes reach the disk", async () => {
    const { state, replicated, disk, frame } = capture(2);
    expect(await frame(3, 7, 0)).toBe(SQLITE_OK);
    expect(disk).toEqual([]);
    expect(await frame(4, 8, 9)).toBe(SQLITE_OK);
    expect(replicated).toEqual([
      {
        frames: [expect.objectContaining({ pageNumber: 7 }), expect.objectContaining({ pageNumber: 8 })],
        commitSize: 9,
      },
    ]);
    expect(disk).toEqual([[frameOffset(3), frameOffset(5)]]);
    expect(state.committed).toBe(4);
  });

  it("passes a checksum rewrite of a committed frame straight to the disk, outside any transaction", async () => {
    const { state, replicated, disk, write } = capture(4);
    expect(await write(frameOffset(3), frameHeader(7, 0))).toBe(SQLITE_OK);
    expect(disk).toEqual([[frameOffset(3), frameOffset(3) + FRAME_HEADER]]);
    expect(replicated).toEqual([]);
    expect(state.begins).toBe(0);
  });

  it("after a commit that failed to replicate, the next transaction's first frame is captured, not taken for a checksum rewrite (bmdb-sessions seed 7)", async () => {
    const { state, replicated, disk, frame } = capture(2);
    state.refuse = true;
    expect(await frame(3, 7, 3)).toBe(SQLITE_IOERR);
    expect(disk).toEqual([]);
    state.refuse = false;
    // SQLite rolled back: the next transaction writes frame 3 again. Before the fix its header went to the
    // disk unreplicated as a "rewrite", and its page then failed an assertion ("outside this transaction").
    expect(await frame(3, 5, 3)).toBe(SQLITE_OK);
    expect(replicated).toEqual([{ frames: [expect.objectContaining({ pageNumber: 5 })], commitSize: 3 }]);
    expect(disk).toEqual([[frameOffset(3), frameOffset(4)]]);
    expect(state.begins).toBe(2);
  });

  it("writes the held bytes as SQLite wrote them, in order: a rewritten frame header lands after the frame it rewrites", async () => {
    const { replicated, disk, bytes, write, frame } = capture(0);
    expect(await frame(1, 7, 0)).toBe(SQLITE_OK);
    expect(await frame(2, 8, 0)).toBe(SQLITE_OK);
    // SQLite rewrites frame 1 in place (a page written again in the same transaction), then commits with frame 3.
    expect(await write(frameOffset(1), frameHeader(7, 0))).toBe(SQLITE_OK);
    expect(await write(frameOffset(1) + FRAME_HEADER, new Uint8Array(PAGE).fill(77))).toBe(SQLITE_OK);
    expect(await frame(3, 9, 3)).toBe(SQLITE_OK);
    expect(replicated.map((command) => command.frames.map((f) => f.pageNumber))).toEqual([[7, 8, 7, 9]]);
    expect(disk).toEqual([
      [frameOffset(1), frameOffset(3)],
      [frameOffset(1), frameOffset(2)],
      [frameOffset(3), frameOffset(4)],
    ]);
    expect(bytes.get(frameOffset(1) + FRAME_HEADER)).toBe(77);
    expect(bytes.get(frameOffset(2) + FRAME_HEADER)).toBe(8);
    expect(bytes.get(frameOffset(3) + 7)).toBe(3);
  });
});
