/**
 * Spool (Gazette's broker/fragment/spool.go): the fragment of a journal being
 * written on this broker. Its committed content lives in a file on the host's
 * disk, never synced: Gazette's spools are unlinked temporary files, and a
 * crash loses them (the journal survives on the other replicas and, once
 * persisted, in the fragment store). Content arrives into an uncommitted tail
 * (`delta` bytes past the fragment's end) and becomes part of the fragment only
 * when a proposal of exactly the extended fragment (same SHA-1 sum) commits it.
 *
 * `apply` evaluates one ReplicateRequest, as Spool.Apply does:
 * - content must arrive at `contentDelta` == the current delta, else a
 *   ValidationError ("invalid ContentDelta");
 * - a proposal strictly beyond end + delta, or an empty proposal at our exact
 *   end, rolls to a new, empty spool at the proposal's end (a strictly greater
 *   proposal also brings its registers); the completed spool, if it holds
 *   content, is handed to the observer's `spoolComplete` (to be persisted) and
 *   returned;
 * - then a proposal equal to the fragment (and registers) rolls back the
 *   delta; a proposal equal to fragment + delta commits it (`spoolCommit`),
 *   taking the proposal's registers; anything else is PROPOSAL_MISMATCH with
 *   our fragment and registers.
 *
 * Pending commits (a deviation from Gazette, see replica.ts): a peer applies a
 * commit with `{ pending: true }`. The spool's fragment moves forward (so the
 * peer answers later proposals as Gazette's would), but the commit is not yet
 * told to the observer, so readers and the persister do not see it: the
 * replica either `adoptPending()`s it (the journal is known to have taken it)
 * or `discardPending()`s it, which restores the fragment, registers, summer
 * and file to the previous commit. At most one commit is pending, and a spool
 * never rolls past one.
 *
 * The SHA-1 of the fragment is kept incrementally (a running summer, and its
 * state at the last commit to roll back to), never recomputed from the file.
 *
 * Disk faults: a failed write (EIO, ENOSPC) rejects `apply` with the disk's
 * DiskError and leaves the spool as it was. Every write is checksummed
 * (CRC-32 per written chunk), and reads verify it, so that a corrupted read or
 * a lost write surfaces as a DiskError ("EIO", checksum) instead of serving
 * wrong bytes. Completed spools stay readable until dropped.
 *
 * Seams for test fixtures: a subclass overrides `extendsByDelta` (which
 * proposals commit the delta) and `restoreSummer` (a discarded commit's SHA-1).
 */
import {
  DiskError,
  type Crc32,
  type Disk,
  type FileHandle,
  type Hashes,
  type Sha1Hasher,
} from "../../../../sim/env.ts";
import { AsyncLock } from "../../../common/async-lock.ts";
import { assert } from "../../../../sim/assert.ts";
import { fragmentContentLength, fragmentsEqual, ZERO_SHA1_SUM, type Fragment } from "../../protocol/fragment.ts";
import type { Journal } from "../../protocol/journal-spec.ts";
import { copyLabelSet, labelSetsEqual } from "../../protocol/labels.ts";
import { ValidationError } from "../../protocol/validation.ts";
import type { LocalContent, Registers, ReplicateRequest, ReplicateResponse } from "../types.ts";

/** Applies waiting for their turn on one spool at most (content of one append is applied in order). */
export const SPOOL_APPLY_WAITERS_MAX = 4096;

/** Notified of the spool's lifecycle (Gazette's SpoolObserver). */
export interface SpoolObserver {
  /** The spool's fragment was extended by a commit; `local` reads its committed content. */
  spoolCommit(fragment: Fragment, local: LocalContent): void;
  /** The spool was rolled past a fragment holding content: it is complete (to be persisted). */
  spoolComplete(spool: CompletedSpool, primary: boolean): void;
}

/** A spool that was rolled: its fragment, registers, and content (readable until dropped). */
export interface CompletedSpool {
  fragment: Fragment;
  registers: Registers;
  /** Host wall time (ms) of the fragment's first commit. */
  firstAppendTimeMs: number;
  content: SpoolContent;
}

export interface SpoolOptions {
  journal: Journal;
  disk: Disk;
  /** SHA-1 of the content (the fragment's sum) and CRC-32 of what the file holds (env.hash). */
  hash: Hashes;
  /** Directory of the spool files (created on first use). */
  directory: string;
  /** Unique prefix of this spool's file names (a replica incarnation's token). */
  fileNamePrefix: string;
  /** Host wall time in ms (FirstAppendTime). */
  now: () => number;
  observer?: SpoolObserver;
}

/** The state a pending commit replaced, to return to when it is discarded. */
interface PendingCommit {
  fragment: Fragment;
  registers: Registers;
  summer: Sha1Hasher;
  firstAppendTimeMs: number;
  mark: { chunks: number; length: number };
}

export interface SpoolApplyResult {
  response: ReplicateResponse;
  /** The spool completed by a roll, when it held content. */
  completed?: CompletedSpool;
  /** The fragment a commit produced. */
  committed?: Fragment;
}

/** Content was read from a spool file after it was dropped. */
export class ErrSpoolDropped extends Error {
  override readonly name = "ErrSpoolDropped";
}

/** The empty fragment of `journal` at `offset` (Gazette's zero-valued Fragment fields). */
export function emptyFragment(journal: Journal, offset: number, codec: Fragment["compressionCodec"]): Fragment {
  return {
    journal,
    begin: offset,
    end: offset,
    sum: ZERO_SHA1_SUM,
    compressionCodec: codec,
    backingStore: "",
    modTime: 0,
    pathPostfix: "",
  };
}

interface WrittenChunk {
  /** Position in the file (bytes past the fragment's begin). */
  position: number;
  length: number;
  crc: number;
}

/**
 * The file of one spool fragment and the checksums of what was written to it.
 * As LocalContent it reads only committed bytes.
 */
export class SpoolContent implements LocalContent {
  private readonly chunks: WrittenChunk[] = [];
  private committedChunks = 0;
  private committedLength = 0;
  private droppedFlag = false;

  constructor(
    private readonly file: FileHandle,
    private readonly disk: Disk,
    /** Journal offset of the file's first byte. */
    readonly begin: number,
    private readonly crc32: Crc32,
  ) {}

  get path(): string {
    return this.file.path;
  }

  get dropped(): boolean {
    return this.droppedFlag;
  }

  /** Journal offset one past the last committed byte. */
  get committedEnd(): number {
    return this.begin + this.committedLength;
  }

  /** Writes `data` at `position` (bytes past begin): always just past what is kept so far. */
  async write(position: number, data: Uint8Array): Promise<void> {
    assert(!this.droppedFlag, "spool: write to a dropped spool file");
    const last = this.chunks[this.chunks.length - 1];
    assert(position === (last === undefined ? 0 : last.position + last.length), "spool: writes are contiguous");
    await this.file.write(position, data);
    this.chunks.push({ position, length: data.length, crc: this.crc32(data) });
  }

  /** What is committed now, to return to with `restore` (a discarded pending commit). */
  mark(): { chunks: number; length: number } {
    return { chunks: this.committedChunks, length: this.committedLength };
  }

  /** Returns to a `mark`: what was committed after it (and anything uncommitted) is forgotten. */
  restore(mark: { chunks: number; length: number }): void {
    assert(
      mark.chunks <= this.committedChunks && mark.length <= this.committedLength,
      "spool: restore to an earlier mark only",
    );
    this.committedChunks = mark.chunks;
    this.committedLength = mark.length;
    this.chunks.length = mark.chunks;
  }

  /** Makes everything written so far committed. */
  commit(): void {
    const last = this.chunks[this.chunks.length - 1];
    this.committedChunks = this.chunks.length;
    this.committedLength = last === undefined ? 0 : last.position + last.length;
  }

  /** Forgets what was written after the last commit. */
  rollback(): void {
    this.chunks.length = this.committedChunks;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (this.droppedFlag) throw new ErrSpoolDropped(`spool ${this.path} was dropped`);
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      length < 0 ||
      offset < this.begin ||
      offset + length > this.committedEnd
    ) {
      throw new RangeError(
        `spool read [${offset}, ${offset + length}) outside committed [${this.begin}, ${this.committedEnd})`,
      );
    }
    if (length === 0) return new Uint8Array(0);
    const relative = offset - this.begin;
    const first = this.chunkAt(relative);
    const lastIndex = this.chunkAt(relative + length - 1);
    const from = (this.chunks[first] as WrittenChunk).position;
    const lastChunk = this.chunks[lastIndex] as WrittenChunk;
    const to = lastChunk.position + lastChunk.length;
    const bytes = await this.file.read(from, to - from);
    if (bytes.length !== to - from)
      throw new DiskError("EIO", "read", this.path, `short spool read (${bytes.length} of ${to - from} bytes)`);
    for (let index = first; index <= lastIndex; index++) {
      const chunk = this.chunks[index] as WrittenChunk;
      const piece = bytes.subarray(chunk.position - from, chunk.position - from + chunk.length);
      if (this.crc32(piece) !== chunk.crc)
        throw new DiskError(
          "EIO",
          "read",
          this.path,
          `spool content at ${this.begin + chunk.position} failed its checksum`,
        );
    }
    return bytes.slice(relative - from, relative - from + length);
  }

  /** Closes and removes the file. Later reads fail with ErrSpoolDropped. */
  async drop(): Promise<void> {
    if (this.droppedFlag) return;
    this.droppedFlag = true;
    await this.file.close().catch(() => undefined);
    await this.disk.unlink(this.file.path).catch(() => undefined);
  }

  /** Index of the committed chunk holding relative position `position`. */
  private chunkAt(position: number): number {
    let low = 0;
    let high = this.committedChunks - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.chunks[middle] as WrittenChunk).position <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

async function makeDirectories(disk: Disk, directory: string): Promise<void> {
  let path = "";
  for (const part of directory.split("/").filter((component) => component !== "")) {
    path = `${path}/${part}`;
    try {
      await disk.mkdir(path);
    } catch (error) {
      if (!(error instanceof DiskError && error.code === "EEXIST")) throw error;
    }
  }
}

/** The spool of one journal on this broker (see the file comment). */
export class Spool {
  /** The fragment at the last commit. */
  fragment: Fragment;
  /** The journal's registers at the last commit (Gazette's Spool.Registers). */
  registers: Registers = { labels: [] };
  /** Host wall time (ms) of the fragment's first commit; 0 before it. */
  firstAppendTimeMs = 0;
  private deltaBytes = 0;
  private summer: Sha1Hasher;
  private committedSummer: Sha1Hasher;
  private content: SpoolContent | undefined;
  private filesCreated = 0;
  private readonly lock = new AsyncLock(SPOOL_APPLY_WAITERS_MAX);
  private pending: PendingCommit | undefined;

  constructor(private readonly options: SpoolOptions) {
    this.fragment = emptyFragment(options.journal, 0, "NONE");
    this.summer = options.hash.sha1();
    this.committedSummer = options.hash.sha1();
  }

  /** Bytes of uncommitted content past the fragment's end. */
  get delta(): number {
    return this.deltaBytes;
  }

  /** The committed content of the current fragment (undefined before its first content). */
  get local(): SpoolContent | undefined {
    return this.content;
  }

  /** The fragment a commit of the current delta would produce (Spool.Next). */
  next(): Fragment {
    const end = this.fragment.end + this.deltaBytes;
    const sum = end === this.fragment.begin ? ZERO_SHA1_SUM : this.summer.copy().digestHex();
    return { ...this.fragment, end, sum };
  }

  /** The fragment of a commit not yet adopted nor discarded (see the file comment). */
  get pendingCommit(): Fragment | undefined {
    return this.pending === undefined ? undefined : { ...this.fragment };
  }

  /** The fragment before the pending commit (what was adopted), if one is pending. */
  get pendingBase(): Fragment | undefined {
    return this.pending === undefined ? undefined : { ...this.pending.fragment };
  }

  /** Tells the observer of the pending commit: readers and the persister may now see it. */
  adoptPending(): void {
    const content = this.content;
    if (this.pending === undefined) return;
    this.pending = undefined;
    assert(content !== undefined, "spool: a pending commit has a file");
    this.options.observer?.spoolCommit({ ...this.fragment }, content);
  }

  /** Forgets the pending commit (and any uncommitted delta): the spool is as at the commit before it. */
  async discardPending(): Promise<void> {
    const release = await this.lock.acquire();
    try {
      const pending = this.pending;
      if (pending === undefined) return;
      this.pending = undefined;
      this.fragment = pending.fragment;
      this.registers = pending.registers;
      this.firstAppendTimeMs = pending.firstAppendTimeMs;
      this.restoreSummer(pending.summer);
      this.deltaBytes = 0;
      this.content?.restore(pending.mark);
    } finally {
      release();
    }
  }

  /**
   * Applies one ReplicateRequest (see the file comment); `primary` is true on
   * the pipeline's primary; `pending` keeps a commit from the observer until
   * it is adopted.
   */
  async apply(
    request: ReplicateRequest,
    primary: boolean,
    options: { pending?: boolean } = {},
  ): Promise<SpoolApplyResult> {
    const release = await this.lock.acquire();
    try {
      if (request.proposal !== undefined)
        return this.applyCommit(
          request.proposal,
          request.registers ?? { labels: [] },
          primary,
          options.pending === true,
        );
      await this.applyContent(request);
      return { response: { status: "OK" } };
    } finally {
      release();
    }
  }

  /** Rolls back any uncommitted content (Gazette's MustApply of the spool's own fragment). */
  async rollback(): Promise<void> {
    const result = await this.apply(
      {
        journal: this.options.journal,
        pipeline: "",
        proposal: this.fragment,
        registers: this.registers,
        contentDelta: 0,
        acknowledge: false,
      },
      false,
    );
    assert(result.response.status === "OK", "spool: rollback of its own fragment must apply");
  }

  /** Rolls to an empty fragment at the current end, completing a fragment with content (shutdown). */
  async roll(primary: boolean): Promise<CompletedSpool | undefined> {
    const proposal = emptyFragment(this.options.journal, this.fragment.end, this.fragment.compressionCodec);
    const result = await this.apply(
      {
        journal: this.options.journal,
        pipeline: "",
        proposal,
        registers: this.registers,
        contentDelta: 0,
        acknowledge: false,
      },
      primary,
    );
    assert(result.response.status === "OK", "spool: roll to its own end must apply");
    return result.completed;
  }

  private applyCommit(proposal: Fragment, registers: Registers, primary: boolean, pending: boolean): SpoolApplyResult {
    let completed: CompletedSpool | undefined;
    // Roll forward: a proposal beyond anything we know (a new peer catching up,
    // or a commit some replicas saw and others did not), or an empty proposal at
    // our exact end (the primary rolling every replica to a new fragment).
    if (
      proposal.end > this.fragment.end + this.deltaBytes ||
      (proposal.end === this.fragment.end && fragmentContentLength(proposal) === 0)
    ) {
      completed = this.complete(primary);
      if (proposal.end > this.fragment.end) this.registers = copyLabelSet(registers);
      this.fragment = emptyFragment(this.options.journal, proposal.end, proposal.compressionCodec);
      this.deltaBytes = 0;
      this.summer = this.options.hash.sha1();
      this.committedSummer = this.options.hash.sha1();
      this.firstAppendTimeMs = 0;
    }
    const rolled = completed === undefined ? {} : { completed };
    // Our exact fragment and registers: undo any partial content.
    if (fragmentsEqual(this.fragment, proposal) && labelSetsEqual(this.registers, registers)) {
      this.deltaBytes = 0;
      this.summer = this.committedSummer.copy();
      this.content?.rollback();
      return { response: { status: "OK" }, ...rolled };
    }
    // Our fragment extended by the delta: commit it, with the proposal's registers.
    if (this.deltaBytes !== 0 && this.extendsByDelta(proposal)) {
      const content = this.content;
      assert(content !== undefined, "spool: a delta has a file");
      assert(this.pending === undefined, "spool: one commit is pending at most (adopt or discard it first)");
      if (pending) {
        this.pending = {
          fragment: { ...this.fragment },
          registers: copyLabelSet(this.registers),
          summer: this.committedSummer.copy(),
          firstAppendTimeMs: this.firstAppendTimeMs,
          mark: content.mark(),
        };
      }
      this.fragment = { ...proposal };
      content.commit();
      assert(content.committedEnd === this.fragment.end, "spool: file and fragment agree on the end");
      if (this.firstAppendTimeMs === 0) this.firstAppendTimeMs = this.options.now();
      this.registers = copyLabelSet(registers);
      this.deltaBytes = 0;
      this.committedSummer = this.summer.copy();
      if (!pending) this.options.observer?.spoolCommit({ ...this.fragment }, content);
      return { response: { status: "OK" }, committed: { ...this.fragment }, ...rolled };
    }
    return {
      response: {
        status: "PROPOSAL_MISMATCH",
        fragment: { ...this.fragment },
        registers: copyLabelSet(this.registers),
      },
      ...rolled,
    };
  }

  /** Seam: whether `proposal` commits the uncommitted delta: it equals the spool extended by it, SHA-1 sum included. */
  protected extendsByDelta(proposal: Fragment): boolean {
    return fragmentsEqual(this.next(), proposal);
  }

  /** Seam: a discarded pending commit returns the running SHA-1 to `summer`, its state at the commit before. */
  protected restoreSummer(summer: Sha1Hasher): void {
    this.committedSummer = summer;
    this.summer = summer.copy();
  }

  /** Hands a fragment with content to the observer; drops a file that holds no committed content. */
  private complete(primary: boolean): CompletedSpool | undefined {
    assert(this.pending === undefined, "spool: never rolls past a pending commit (adopt or discard it first)");
    const content = this.content;
    this.content = undefined;
    if (fragmentContentLength(this.fragment) === 0) {
      if (content !== undefined) void content.drop();
      return undefined;
    }
    assert(content !== undefined, "spool: a fragment with content has a file");
    content.rollback();
    const completed: CompletedSpool = {
      fragment: { ...this.fragment },
      registers: copyLabelSet(this.registers),
      firstAppendTimeMs: this.firstAppendTimeMs,
      content,
    };
    this.options.observer?.spoolComplete(completed, primary);
    return completed;
  }

  private async applyContent(request: ReplicateRequest): Promise<void> {
    if (request.contentDelta !== this.deltaBytes) {
      throw new ValidationError(`invalid ContentDelta (${request.contentDelta}; expected ${this.deltaBytes})`);
    }
    const data = request.content;
    assert(data !== undefined, "spool: a request without a proposal carries content");
    if (data.length === 0) return;
    const content = this.content ?? (await this.createFile());
    await content.write(fragmentContentLength(this.fragment) + this.deltaBytes, data);
    this.summer.update(data);
    this.deltaBytes += data.length;
  }

  private async createFile(): Promise<SpoolContent> {
    assert(fragmentContentLength(this.fragment) === 0, "spool: only an empty fragment lacks a file");
    const { disk, directory, fileNamePrefix } = this.options;
    await makeDirectories(disk, directory);
    const path = `${directory.replace(/\/+$/, "")}/${fileNamePrefix}-${this.filesCreated++}.spool`;
    const file = await disk.open(path, { create: true, exclusive: true });
    this.content = new SpoolContent(file, disk, this.fragment.begin, this.options.hash.crc32);
    return this.content;
  }
}
