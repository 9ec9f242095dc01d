/**
 * WalCapture: the leader's side of go-dqlite's replication hooks, seen from the
 * VFS. SQLite writes each frame of a write transaction to the WAL as two writes
 * (the 24-byte frame header, then the page); the last frame of a commit carries the
 * database size. go-dqlite's patched SQLite calls the xFrames hook before writing;
 * here the VFS hands every WAL write to this interceptor, which
 *
 * - holds the bytes back (nothing reaches the disk before Raft has the frames);
 * - on the commit frame, replicates every held frame plus the commit frame as one
 *   commit Frames command, and writes the held bytes only once it is applied;
 * - before any other file operation (a read, a size, a lock...), replicates the held
 *   frames as a non-commit Frames command (SQLite spilled pages of a large
 *   transaction mid-way and may read them back), then writes them;
 * - once it holds `heldFramesMax` frames of a transaction (a page cache's worth: as
 *   many as SQLite spills at once), replicates and writes them the same way, at the
 *   end of a frame: a big transaction's memory on the leader stays bounded, and its
 *   frames reach the followers as non-commit Frames commands before the commit, as
 *   go-dqlite's Frames hook sends each spill;
 * - replicates a page rewritten in place at an earlier frame of the same
 *   transaction (SQLite >= 3.11 does that) as a new frame: on followers the later
 *   frame of a page wins, so the logical database is the same;
 * - passes through, at any time, the checksum rewrites SQLite does after a commit
 *   that rewrote frames in place (headers of frames already written).
 *
 * When replication fails the interceptor returns SQLITE_IOERR: SQLite rolls the
 * transaction back and nothing of it is on this node's disk. What that means for
 * the transaction (zombie, retry, outcome unknown) is decided by the hooks.
 *
 * Seam for testing: `commit` (protected, with the members it uses) decides how a
 * commit reaches Raft and the WAL; a subclass may override it
 * (scenarios/dqlite/variants.ts, through LeaderMethods' newCapture).
 */
import { assert } from "../../../sim/assert.ts";

export const SQLITE_OK = 0;
export const SQLITE_IOERR = 10;

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** A frame as replicated. */
export interface CapturedFrame {
  readonly pageNumber: number;
  readonly data: Uint8Array;
}

/** What the capture needs from the leader's replication code (LeaderMethods). */
export interface CaptureHooks {
  /**
   * The first write of a transaction (go-dqlite's Begin hook). Returns a SQLite result code, at once when it need not
   * wait.
   */
  begin(): number | Promise<number>;
  /** Replicates frames through Raft (go-dqlite's Frames hook). Returns a SQLite result code. */
  replicate(frames: readonly CapturedFrame[], commitSize: number | undefined): Promise<number>;
  /** The commit is applied and on this node's disk; the WAL holds `frameCount` committed frames. */
  committed(frameCount: number): void;
  /** Frames committed in the WAL before this transaction (as this node's files say). */
  committedFrames(): number;
  /**
   * Replicated frames could not be written to this node's own disk: its copy now
   * lacks what the cluster has (`committed`: a whole commit). The node must stop
   * serving and rebuild from Raft.
   */
  diskFailed(error: unknown, committed: boolean): void;
}

type DiskWrite = (offset: number, data: Uint8Array) => Promise<void>;

interface HeldWrite {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** The interceptor of one database's WAL on the leader (see the file's comment). */
export class WalCapture {
  private active = false;
  private nextFrame = 1;
  private readonly framePages = new Map<number, number>();
  private held: HeldWrite[] = [];
  /** The frames of the transaction not yet replicated. */
  protected frames: CapturedFrame[] = [];
  private header: { readonly frame: number; readonly pageNumber: number; readonly commitSize: number } | undefined;
  private diskWrite: DiskWrite | undefined;

  constructor(
    private readonly pageSize: number,
    private readonly heldFramesMax: number,
    protected readonly hooks: CaptureHooks,
  ) {
    assert(
      Number.isSafeInteger(heldFramesMax) && heldFramesMax >= 1,
      `heldFramesMax must be a positive integer, got ${heldFramesMax}`,
    );
  }

  /** True between the first write of a transaction and its commit or rollback. */
  inTransaction(): boolean {
    return this.active;
  }

  /** SQLite rolled the transaction back (or it failed): everything held is dropped. */
  reset(): void {
    this.active = false;
    this.held = [];
    this.frames = [];
    this.header = undefined;
    this.framePages.clear();
  }

  /**
   * One xWrite to the WAL. Returns the result code at once when nothing has to be
   * waited for (a frame header, a page held back, a Begin that resolves nothing), so
   * the VFS answers SQLite without suspending it; a promise otherwise.
   */
  write(offset: number, data: Uint8Array, diskWrite: DiskWrite): number | Promise<number> {
    this.diskWrite = diskWrite;
    const frameBytes = FRAME_HEADER_BYTES + this.pageSize;
    const relative = offset - WAL_HEADER_BYTES;
    if (
      !this.active &&
      data.length === FRAME_HEADER_BYTES &&
      relative >= 0 &&
      relative % frameBytes === 0 &&
      relative / frameBytes + 1 <= this.hooks.committedFrames()
    ) {
      // A checksum rewrite after a commit that rewrote frames in place: local only. Measured against the
      // committed frames, not `nextFrame`: after a transaction that failed, `nextFrame` is past frames that
      // were never written, and the next transaction's first frame header must not pass as a rewrite.
      return diskWrite(offset, data).then(() => SQLITE_OK);
    }
    if (this.active) return this.capture(offset, data);
    const code = this.hooks.begin();
    if (typeof code !== "number")
      return code.then((settled) => (settled === SQLITE_OK ? this.begun(offset, data) : settled));
    return code === SQLITE_OK ? this.begun(offset, data) : code;
  }

  /** Begin succeeded: the transaction starts with this write. */
  private begun(offset: number, data: Uint8Array): number | Promise<number> {
    this.active = true;
    this.framePages.clear();
    this.nextFrame = this.hooks.committedFrames() + 1;
    return this.capture(offset, data);
  }

  /** A write of the transaction in progress: the WAL header, a frame header, or a page. */
  private capture(offset: number, data: Uint8Array): number | Promise<number> {
    const frameBytes = FRAME_HEADER_BYTES + this.pageSize;
    const relative = offset - WAL_HEADER_BYTES;
    if (offset === 0 && data.length === WAL_HEADER_BYTES) return this.walHeader(data);
    if (relative >= 0 && relative % frameBytes === 0 && data.length === FRAME_HEADER_BYTES)
      return this.frameHeader(relative / frameBytes + 1, offset, data);
    const pageRelative = relative - FRAME_HEADER_BYTES;
    if (pageRelative >= 0 && pageRelative % frameBytes === 0 && data.length === this.pageSize)
      return this.page(pageRelative / frameBytes + 1, offset, data);
    assert(false, `unexpected WAL write of ${data.length} bytes at offset ${offset} (page size ${this.pageSize})`);
  }

  /** Before any other operation on the database's files: replicate and write what is held (at once when nothing is). */
  beforeOther(): number | Promise<number> {
    if (this.held.length === 0) return SQLITE_OK;
    return this.flushHeld();
  }

  private async flushHeld(): Promise<number> {
    assert(this.header === undefined, "a file operation between a frame header and its page");
    if (this.frames.length > 0) {
      const code = await this.hooks.replicate(this.frames, undefined);
      if (code !== SQLITE_OK) {
        this.reset();
        return code;
      }
      this.frames = [];
    }
    return this.writeHeld(false);
  }

  private walHeader(data: Uint8Array): number {
    // SQLite starts a new WAL (after a checkpoint truncated it): frames count from 1.
    this.nextFrame = 1;
    this.framePages.clear();
    this.held.push({ offset: 0, data });
    return SQLITE_OK;
  }

  private frameHeader(frame: number, offset: number, data: Uint8Array): number {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (frame === this.nextFrame) {
      assert(this.header === undefined, `frame ${frame} header written twice before its page`);
      this.header = { frame, pageNumber: view.getUint32(0, false), commitSize: view.getUint32(4, false) };
    } else {
      assert(
        this.framePages.has(frame),
        `header rewrite of frame ${frame}, not of this transaction (next frame ${this.nextFrame})`,
      );
    }
    this.held.push({ offset, data });
    return SQLITE_OK;
  }

  private page(frame: number, offset: number, data: Uint8Array): number | Promise<number> {
    this.held.push({ offset, data });
    const header = this.header;
    if (header === undefined || header.frame !== frame) {
      const pageNumber = this.framePages.get(frame);
      assert(
        pageNumber !== undefined,
        `page written at frame ${frame}, outside this transaction (next frame ${this.nextFrame})`,
      );
      this.frames.push({ pageNumber, data });
      return SQLITE_OK;
    }
    this.header = undefined;
    this.frames.push({ pageNumber: header.pageNumber, data });
    this.framePages.set(frame, header.pageNumber);
    this.nextFrame = frame + 1;
    if (header.commitSize !== 0) return this.commit(header.commitSize);
    return this.frames.length >= this.heldFramesMax ? this.beforeOther() : SQLITE_OK;
  }

  /**
   * The commit frame arrived (a database of `commitSize` pages): replicates the
   * transaction's frames through Raft, and only once they are applied writes them
   * to this node's WAL and ends the transaction. A seam for testing.
   */
  protected async commit(commitSize: number): Promise<number> {
    const code = await this.hooks.replicate(this.frames, commitSize);
    if (code !== SQLITE_OK) {
      this.reset();
      return code;
    }
    const written = await this.writeHeld(true);
    if (written !== SQLITE_OK) return written;
    this.endCommit();
    return SQLITE_OK;
  }

  /** The commit is on this node's disk: the transaction is over (the hooks' `committed`). */
  protected endCommit(): void {
    const frameCount = this.nextFrame - 1;
    this.active = false;
    this.frames = [];
    this.hooks.committed(frameCount);
  }

  /** Writes what is held to the WAL; on a disk failure the transaction is dropped and the hooks told. */
  protected async writeHeld(committed: boolean): Promise<number> {
    const write = this.diskWrite;
    assert(write !== undefined, "held WAL bytes without a disk to write them to");
    const held = coalesced(this.held);
    this.held = [];
    try {
      for (const { offset, data } of held) await write(offset, data);
    } catch (error) {
      this.reset();
      this.hooks.diskFailed(error, committed);
      return SQLITE_IOERR;
    }
    return SQLITE_OK;
  }
}

/**
 * The same bytes as `writes` in as few writes: each run of writes that continue one
 * another (a frame's header, then its page, then the next frame's header...) becomes
 * one write, as the follower's FSM writes a batch of frames. The order is kept, so a
 * rewrite of an earlier frame's header still lands after what it overwrites.
 */
function coalesced(writes: readonly HeldWrite[]): HeldWrite[] {
  const runs: HeldWrite[][] = [];
  let end = -1;
  for (const write of writes) {
    const last = runs[runs.length - 1];
    if (last !== undefined && write.offset === end) last.push(write);
    else runs.push([write]);
    end = write.offset + write.data.length;
  }
  return runs.map((run) => {
    if (run.length === 1) return run[0] as HeldWrite;
    const first = run[0] as HeldWrite;
    const data = new Uint8Array(run.reduce((total, write) => total + write.data.length, 0));
    for (const write of run) data.set(write.data, write.offset - first.offset);
    return { offset: first.offset, data };
  });
}
