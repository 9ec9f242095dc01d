/**
 * FragmentIndex (Gazette's fragment.Index): a queryable index of one journal's
 * fragments, local (spools on this broker's disk, with their content) and remote
 * (the fragment stores' listing).
 *
 * Query rules (index.Query): the fragment covering the offset that extends
 * furthest; offset -1 means the write head (the index's end). When no fragment
 * covers the offset:
 *   - below the first fragment: skip forward to it (`jumped`) once it was
 *     persisted (ModTime != 0) more than `firstFragmentAgeMs` ago, without the
 *     6 h rule (readers of a journal that retention pruned go on at once in
 *     practice). Not sooner: content below a young or local-only first fragment
 *     may still be on its way to the store from another replica (a broker that
 *     joined the route after it was written holds only what came after), and a
 *     jump there would skip acknowledged content. Gazette applies its 6 h rule
 *     here too; the issue asks for a jump "at once"; this is the least wait that
 *     cannot skip content in flight (found by gazette-retention seed 36);
 *   - inside a gap with a later fragment: skip to that fragment only if it was
 *     persisted (ModTime != 0) more than OFFSET_JUMP_AGE_THRESHOLD_MS ago (a
 *     young gap may be a fragment still being uploaded by another broker, which
 *     a new broker must wait for);
 *   - otherwise (at or past the end, or a young gap): a non-blocking query
 *     answers OFFSET_NOT_YET_AVAILABLE; a blocking one waits for the index to
 *     change (spool commit, refresh), or for a young gap to age, and looks again.
 * A waiting query ends when its signal aborts (rejecting with the signal's
 * reason) or the index is closed (ErrIndexClosed); it leaves no listener behind.
 * An offset below -1 is a ValidationError (a malformed request, not a crash).
 *
 * ReplaceRemote keeps the local fragments that the new remote set does not cover
 * (CoverSetDifference), so a spool not yet persisted stays readable; a local
 * fragment whose offsets the store now holds is dropped in favour of the store's.
 *
 * Seams for test fixtures: a subclass overrides `jumpBeforeFirstAtMs` and
 * `jumpOverGapAtMs` (when a query may skip forward), `localAfterRefresh` (the
 * local fragments a listing keeps) and `newCoverSet`.
 */
import type { Env, Timer } from "../../../../sim/env.ts";
import { assert } from "../../../../sim/assert.ts";
import type { Fragment } from "../../protocol/fragment.ts";
import type { Journal } from "../../protocol/journal-spec.ts";
import { ValidationError } from "../../protocol/validation.ts";
import {
  OFFSET_JUMP_AGE_THRESHOLD_MS,
  type FragmentIndexApi,
  type IndexedFragment,
  type IndexQueryResult,
  type LocalContent,
} from "../types.ts";
import { CoverSet } from "./cover-set.ts";
import { ErrIndexClosed, ErrIndexWaitersExhausted } from "./errors.ts";
import { PERSIST_INTERVAL_MS } from "./persister.ts";

export { runIndexRefresh } from "./index-refresh.ts";
export { DEFAULT_EXPIRED } from "./index-refresh.ts";
export type { ExpiredRule, IndexRefreshOptions, IndexRefreshStats } from "./index-refresh.ts";

/** Most queries blocked on one index at once. */
export const INDEX_WAITERS_MAX = 10_000;

export interface FragmentIndexOptions {
  waitersMax?: number;
  /**
   * How long the first fragment must have been persisted before a query below it
   * skips to it: the time any replica may take to persist a spool it completed,
   * and brokers to list it. Default: PERSIST_INTERVAL_MS (the broker passes its
   * persist interval plus two refresh intervals of the journal).
   */
  firstFragmentAgeMs?: () => number;
}

type Waiter = () => void;

export class FragmentIndex implements FragmentIndexApi {
  private set: CoverSet<IndexedFragment>;
  /** The fragments of local spools the remote listing does not cover. */
  protected local: CoverSet<IndexedFragment>;
  private readonly waiters = new Set<Waiter>();
  private readonly waitersMax: number;
  private resolveFirstRefresh: () => void = () => {};
  private readonly firstRefreshPromise: Promise<void>;
  private refreshed = false;
  private closed = false;

  constructor(
    private readonly env: Env,
    readonly journal: Journal,
    private readonly options: FragmentIndexOptions = {},
  ) {
    this.set = this.newCoverSet();
    this.local = this.newCoverSet();
    this.waitersMax = options.waitersMax ?? INDEX_WAITERS_MAX;
    this.firstRefreshPromise = new Promise((resolve) => {
      this.resolveFirstRefresh = resolve;
    });
  }

  /** SpoolCommit: a local spool's committed fragment (new or extended), readable through `local`. */
  spoolCommit(fragment: Fragment, local: LocalContent): void {
    assert(
      fragment.journal === this.journal,
      `spoolCommit: fragment of ${fragment.journal} in the index of ${this.journal}`,
    );
    const entry: IndexedFragment = { fragment, local };
    this.set.add(entry);
    this.local.add(entry);
    this.wake();
  }

  /** ReplaceRemote: the stores' listing replaces every remote fragment; uncovered local ones stay. */
  replaceRemote(fragments: readonly Fragment[]): void {
    const remote = this.newCoverSet();
    for (const fragment of fragments) {
      if (fragment.journal !== this.journal) {
        this.env.log.warn("fragment index: ignoring a listed fragment of another journal", {
          journal: this.journal,
          other: fragment.journal,
        });
        continue;
      }
      remote.add({ fragment });
    }
    this.local = this.localAfterRefresh(remote);
    for (const entry of this.local.toArray()) {
      const added = remote.add(entry);
      assert(added, "expected local fragment to not be covered");
    }
    this.set = remote;
    this.wake();
    if (!this.refreshed) {
      this.refreshed = true;
      this.resolveFirstRefresh();
    }
  }

  /** Index.Query (see the file comment). */
  async query(offset: number, options: { block: boolean; signal?: AbortSignal }): Promise<IndexQueryResult> {
    if (!Number.isSafeInteger(offset) || offset < -1)
      throw new ValidationError(`invalid Offset (${offset}; expected -1 <= Offset)`);
    const requested = offset === -1 ? this.set.endOffset() : offset;
    for (;;) {
      const answer = this.lookUp(requested);
      if (answer.result !== undefined) return answer.result;
      if (!options.block) return { status: "OFFSET_NOT_YET_AVAILABLE", writeHead: this.set.endOffset() };
      await this.waitForChange(options.signal, answer.agesInMs);
    }
  }

  /** [begin, end) of the indexed fragments; dirty when some are local only. */
  offsetRange(): { begin: number; end: number; dirty: boolean } {
    return { begin: this.set.beginOffset(), end: this.set.endOffset(), dirty: this.local.length !== 0 };
  }

  firstRefresh(): Promise<void> {
    return this.firstRefreshPromise;
  }

  fragments(): IndexedFragment[] {
    return this.set.toArray();
  }

  /** Queries waiting now (tests). */
  waiting(): number {
    return this.waiters.size;
  }

  /** The replica went away: waiting and later blocking queries fail with ErrIndexClosed. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** One look at the index: an answer, or how long until the gap at `offset` is old enough to skip. */
  private lookUp(requested: number): { result?: IndexQueryResult; agesInMs?: number } {
    const { index, found } = this.set.longestOverlapping(requested);
    const writeHead = this.set.endOffset();
    if (found)
      return { result: { status: "OK", offset: requested, writeHead, fragment: this.set.at(index), jumped: false } };
    if (index === this.set.length) return {};
    const next = this.set.at(index);
    const jump = (): { result: IndexQueryResult } => {
      this.env.trace("gazette.broker.offset-jump", { journal: this.journal, from: requested, to: next.fragment.begin });
      return { result: { status: "OK", offset: next.fragment.begin, writeHead, fragment: next, jumped: true } };
    };
    const agesAtMs = index === 0 ? this.jumpBeforeFirstAtMs(next.fragment) : this.jumpOverGapAtMs(next.fragment);
    if (agesAtMs === undefined) return {};
    const now = this.env.clock.now();
    if (agesAtMs >= now) return { agesInMs: agesAtMs - now + 1 };
    // Each point named by a literal: the coverage scan finds points by their names.
    if (index === 0) this.env.probe("gazette.broker.offset-jump-before-first");
    else this.env.probe("gazette.broker.offset-jump-over-gap");
    return jump();
  }

  /**
   * Seam: from when (host wall time, ms) a query below the first fragment may
   * skip to it: once it has been persisted for firstFragmentAgeMs; undefined
   * while it is local only (the query waits).
   */
  protected jumpBeforeFirstAtMs(first: Fragment): number | undefined {
    if (first.modTime === 0) return undefined;
    // ModTime has whole seconds: the fragment may be up to 1 s younger than it says.
    return (first.modTime + 1) * 1000 + (this.options.firstFragmentAgeMs?.() ?? PERSIST_INTERVAL_MS);
  }

  /**
   * Seam: from when (host wall time, ms) a query in a gap may skip to the next fragment: Gazette's 6 h rule after it
   * was persisted; undefined while it is local only.
   */
  protected jumpOverGapAtMs(next: Fragment): number | undefined {
    if (next.modTime === 0) return undefined;
    return next.modTime * 1000 + OFFSET_JUMP_AGE_THRESHOLD_MS;
  }

  /** Seam: the local fragments a listing (`remote`) leaves: those it does not cover (CoverSetDifference). */
  protected localAfterRefresh(remote: CoverSet<IndexedFragment>): CoverSet<IndexedFragment> {
    return CoverSet.difference(this.local, remote);
  }

  /**
   * Seam: an empty cover set of the index (called by the constructor: an override must not use the subclass's fields).
   */
  protected newCoverSet(): CoverSet<IndexedFragment> {
    return new CoverSet<IndexedFragment>();
  }

  /** Waits for the next change of the index, or `agesInMs`, or the signal's abort (rejecting with its reason). */
  private waitForChange(signal: AbortSignal | undefined, agesInMs: number | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new ErrIndexClosed());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiters.size >= this.waitersMax) return Promise.reject(new ErrIndexWaitersExhausted(this.waitersMax));
    return new Promise<void>((resolve, reject) => {
      let timer: Timer | undefined;
      const finish = (error?: unknown) => {
        this.waiters.delete(waiter);
        timer?.cancel();
        signal?.removeEventListener("abort", onAbort);
        if (error !== undefined) reject(error);
        else if (this.closed) reject(new ErrIndexClosed());
        else resolve();
      };
      const waiter: Waiter = () => finish();
      const onAbort = () => finish(signal?.reason ?? new Error("aborted"));
      this.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (agesInMs !== undefined) timer = this.env.clock.setTimer(agesInMs, () => finish());
    });
  }

  /** Wakes every blocked query (they look again). */
  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
