/**
 * The append FSM (Gazette's broker/append_fsm.go): the steps an append takes
 * on the journal's primary, each a state, re-entered as the FSM converges on a
 * synchronized pipeline under a current route.
 *
 *   resolve ─▶ startPipeline ─▶ sendPipelineSync ─▶ recvPipelineSync ─▶ updateAssignments
 *      ▲              (reuse a synced pipeline ──────────────────────────▶)      │
 *      └── peer at a later revision / assignments updated / too many members ◀──┤
 *   awaitDesiredReplicas ─▶ validatePreconditions ─▶ streamContent ─▶ readAcknowledgements
 *
 * - Sync: the primary proposes its fragment (maybeRollFragment) with its
 *   registers; a peer holding a greater offset answers PROPOSAL_MISMATCH, and
 *   the primary rolls every replica forward to it and adopts that peer's
 *   registers; a peer holding less answers the same, and the primary rolls
 *   every replica to its own end (replica.ts: peers do not roll forward on a
 *   first sync); a peer with a different route at a later etcd revision makes
 *   the FSM re-resolve at that revision.
 * - Preconditions (onValidatePreconditions, as Gazette): the first index
 *   refresh is awaited; an unhealthy fragment store refuses with
 *   FRAGMENT_STORE_UNHEALTHY; a CheckRegisters selector that does not match
 *   NON-EMPTY registers is REGISTER_MISMATCH (empty registers match any
 *   selector, Gazette's rule); a spool behind the index's end is
 *   INDEX_HAS_GREATER_OFFSET unless the request names an offset (or the
 *   journal is not writable); a named offset other than the journal's maximum
 *   is WRONG_APPEND_OFFSET, and one equal to it rolls the pipeline there; a
 *   spool that begins at the index's first offset is rolled (it holds the
 *   journal's first write: rolling it dirties the remote index).
 * - Content is streamed to every replica, then committed by a proposal of the
 *   spool extended by it, with the register updates (applied only when bytes
 *   were appended; an update with an empty append is an error). A client
 *   error (the chunks iterable throws) or any peer failure rolls back, and a
 *   failed pipeline is torn down (the next append builds and syncs a new one).
 *
 * Buggify points: "gazette.broker.flush-fragment-early" rolls a spool holding
 * content before an append streams, as a flush interval does;
 * "gazette.broker.replication-stream-reset" (asked per pipeline, replica.ts) loses
 * the peers' answers to one commit they applied, as reset streams do (the append
 * fails, the next sync settles it).
 *
 * Deviation from Gazette, on purpose: Gazette's primary applies the commit to
 * its own spool when it scatters it, before peers acknowledge, so its readers
 * may see content that a failed peer never got. Here the primary commits
 * locally only once every peer acknowledged: content is invisible to readers
 * until it is replicated. Assignment consistency (Gazette's updateAssignments)
 * is delegated to an injected `advertiseConsistency`.
 *
 * Seams for test fixtures: a subclass of AppendFsm overrides `gatherSync`,
 * `refuseRegisterMismatch` and `scatterCommit` (how a sync is gathered, what a
 * REGISTER_MISMATCH does, how the commit is sent).
 */
import type { Env } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { ErrCancelled } from "../protocol/journal-client.ts";
import { fragmentContentLength, fragmentsEqual, ZERO_SHA1_SUM, type Fragment } from "../protocol/fragment.ts";
import { journalMayWrite, type Journal, type JournalSpec, type JournalSpecFragment } from "../protocol/journal-spec.ts";
import { copyLabelSet, selectorMatches, subtractLabelSet, unionLabelSets } from "../protocol/labels.ts";
import type { AppendRequest, AppendResponse } from "../protocol/messages.ts";
import { routesEquivalent, type Header, type ProcessSpecId } from "../protocol/route.ts";
import type { Status } from "../protocol/status.ts";
import type { Spool } from "./fragment/spool.ts";
import type { Pipeline, SyncResult } from "./pipeline.ts";
import type { FragmentIndexApi, Registers, ReplicateRequest, Resolution } from "./types.ts";

/**
 * State transitions one append takes at most before it gives up (it re-resolves and re-syncs a bounded number of
 * times).
 */
export const APPEND_STEPS_MAX = 64;

/** A register union or subtraction came with an append of no bytes (Gazette's errRegisterUpdateWithEmptyAppend). */
export class ErrRegisterUpdateWithEmptyAppend extends Error {
  override readonly name = "ErrRegisterUpdateWithEmptyAppend";
  constructor() {
    super("register modification requires non-empty Append");
  }
}

/** The FSM took more than APPEND_STEPS_MAX transitions (routes or peers kept changing). */
export class ErrAppendNotConverged extends Error {
  override readonly name = "ErrAppendNotConverged";
}

/** What the FSM needs from its replica. */
export interface AppendHost {
  readonly env: Env;
  readonly journal: Journal;
  readonly localId: ProcessSpecId;
  readonly index: FragmentIndexApi;
  readonly spool: Spool;
  storeHealthy(spec: JournalSpec): boolean;
  /** Resolves the journal again, after the KeySpace reached `minEtcdRevision`. */
  resolve(args: { minEtcdRevision: number; signal: AbortSignal }): Promise<Resolution>;
  /** Makes etcd's assignments advertise the synced route; returns 0, or a revision to re-resolve at. */
  advertiseConsistency?(resolution: Resolution): Promise<number>;
  /** The pipeline that still owns the spool and never failed, if any. */
  currentPipeline(): Pipeline | undefined;
  /** Builds a new pipeline over the spool (taking it over from any other) for the resolved header. */
  startPipeline(header: Header): Promise<Pipeline>;
  tearDownPipeline(pipeline: Pipeline): Promise<void>;
  /** Adopts (readers may see it) or discards the commit pending in the spool since this broker was a peer. */
  settlePending(adopt: boolean): Promise<void>;
}

/**
 * Gazette's maybeRollFragment: the spool's fragment, or an empty one rolled to
 * its end (or to `rollToOffset`) under the spec's codec, when the fragment is
 * empty, longer than the spec's length, of another codec, asked to roll, or
 * from an earlier flush interval (UTC-aligned, in seconds since the epoch).
 */
export function maybeRollFragment(
  spool: Pick<Spool, "fragment" | "firstAppendTimeMs">,
  rollToOffset: number,
  spec: JournalSpecFragment,
  nowMs: number,
): Fragment {
  const current = spool.fragment;
  const length = fragmentContentLength(current);
  let flush =
    length === 0 || length > spec.length || current.compressionCodec !== spec.compressionCodec || rollToOffset !== 0;
  const intervalSeconds = Math.floor(spec.flushIntervalMs / 1000);
  if (intervalSeconds > 0) {
    const first = Math.floor(Math.floor(spool.firstAppendTimeMs / 1000) / intervalSeconds);
    const now = Math.floor(Math.floor(nowMs / 1000) / intervalSeconds);
    if (first !== now) flush = true;
  }
  if (!flush) return { ...current };
  const next = { ...current };
  if (rollToOffset !== 0) {
    assert(next.end <= rollToOffset, `invalid rollToOffset (${rollToOffset} < ${next.end})`);
    next.end = rollToOffset;
  }
  return { ...next, begin: next.end, sum: ZERO_SHA1_SUM, compressionCodec: spec.compressionCodec };
}

type AppendState =
  | "resolve"
  | "startPipeline"
  | "sendPipelineSync"
  | "recvPipelineSync"
  | "updateAssignments"
  | "awaitDesiredReplicas"
  | "validatePreconditions"
  | "streamContent"
  | "readAcknowledgements"
  | "error"
  | "finished";

async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new ErrCancelled(signal.reason);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new ErrCancelled(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}

/** Runs one append to completion: a response with a status, or a typed error (peer failure, client error). */
export async function runAppend(
  host: AppendHost,
  request: AppendRequest,
  chunks: AsyncIterable<Uint8Array>,
  resolution: Resolution,
  signal: AbortSignal,
): Promise<AppendResponse> {
  return new AppendFsm(host, request, resolution, signal).run(chunks);
}

/** One append's FSM on the primary (see the file comment); `run` drives it to a response. */
export class AppendFsm {
  private state: AppendState;
  private pipeline: Pipeline | undefined;
  private status: Status = "OK";
  private error: unknown;
  private readThroughRevision = 0;
  private rollToOffset = 0;
  protected registers: Registers = { labels: [] };
  private clientFragment: Fragment | undefined;
  private totalChunks = 0;
  /** The commit to apply locally once every peer acknowledged it. */
  private pendingLocalCommit: ReplicateRequest | undefined;

  constructor(
    protected readonly host: AppendHost,
    protected readonly request: AppendRequest,
    private resolved: Resolution,
    private readonly signal: AbortSignal,
  ) {
    this.state = "startPipeline";
    this.checkResolution();
  }

  private get spec(): JournalSpec {
    assert(this.resolved.spec !== undefined, "append: an OK resolution has a spec");
    return this.resolved.spec;
  }

  async run(chunks: AsyncIterable<Uint8Array>): Promise<AppendResponse> {
    for (let step = 0; step < APPEND_STEPS_MAX; step++) {
      if (
        this.signal.aborted &&
        this.state !== "error" &&
        this.state !== "finished" &&
        this.state !== "readAcknowledgements"
      ) {
        // A pipeline whose sync did not finish (answers unread, or a roll it needs not sent yet) is not in sync.
        if (this.state === "recvPipelineSync" || this.state === "sendPipelineSync") await this.tearDown();
        throw new ErrCancelled(this.signal.reason);
      }
      switch (this.state) {
        case "resolve":
          await this.onResolve();
          break;
        case "startPipeline":
          await this.onStartPipeline();
          break;
        case "sendPipelineSync":
          await this.onSendPipelineSync();
          break;
        case "recvPipelineSync":
          await this.onRecvPipelineSync();
          break;
        case "updateAssignments":
          await this.onUpdateAssignments();
          break;
        case "awaitDesiredReplicas":
          this.onAwaitDesiredReplicas();
          break;
        case "validatePreconditions":
          await this.onValidatePreconditions();
          break;
        case "streamContent":
          await this.onStreamContent(chunks);
          break;
        case "readAcknowledgements":
          await this.onReadAcknowledgements();
          break;
        case "error":
          return this.failure();
        case "finished":
          return this.success();
      }
    }
    if (this.state === "sendPipelineSync" || this.state === "recvPipelineSync" || this.state === "readAcknowledgements")
      await this.tearDown();
    throw new ErrAppendNotConverged(`append to ${this.host.journal} did not converge in ${APPEND_STEPS_MAX} steps`);
  }

  /** A resolution we cannot append under ends the FSM with its status. */
  private checkResolution(): void {
    if (this.resolved.status !== "OK") return this.fail(this.resolved.status);
    if (this.resolved.spec === undefined) return this.fail("JOURNAL_NOT_FOUND");
    if (!this.resolved.local || !this.resolved.primary) return this.fail("NOT_JOURNAL_PRIMARY_BROKER");
  }

  protected fail(status: Status, error?: unknown): void {
    this.status = status;
    if (error !== undefined) this.error = error;
    this.state = "error";
  }

  private async onResolve(): Promise<void> {
    this.resolved = await this.host.resolve({ minEtcdRevision: this.readThroughRevision, signal: this.signal });
    this.state = "startPipeline";
    this.checkResolution();
  }

  private async onStartPipeline(): Promise<void> {
    const current = this.host.currentPipeline();
    if (current !== undefined && routesEquivalent(current.route, this.resolved.header.route)) {
      // A pipeline of our route is synchronized by construction.
      this.pipeline = current;
      this.registers = copyLabelSet(this.host.spool.registers);
      this.state = "updateAssignments";
      return;
    }
    if (current !== undefined) await this.host.tearDownPipeline(current);
    this.pipeline = await this.host.startPipeline(this.resolved.header);
    this.registers = copyLabelSet(this.host.spool.registers);
    this.rollToOffset = 0;
    this.state = "sendPipelineSync";
  }

  private syncPipeline(): Pipeline {
    assert(this.pipeline !== undefined, "append: a pipeline is held");
    return this.pipeline;
  }

  private async onSendPipelineSync(): Promise<void> {
    const pipeline = this.syncPipeline();
    // A pending commit is proposed as it is, so that peers can compare its sum.
    const pending = this.host.spool.pendingCommit !== undefined;
    assert(!pending || this.rollToOffset === 0, "append: a pending commit is settled by the first sync");
    const proposal = pending
      ? { ...this.host.spool.fragment }
      : maybeRollFragment(this.host.spool, this.rollToOffset, this.spec.fragment, this.host.env.clock.now());
    const request: ReplicateRequest = {
      journal: this.host.journal,
      pipeline: pipeline.id,
      proposal,
      registers: copyLabelSet(this.registers),
      contentDelta: 0,
      acknowledge: true,
    };
    // The first sync of a pipeline carries its header (route and revision).
    if (this.rollToOffset === 0) request.header = pipeline.header;
    await pipeline.scatter(request);
    this.state = "recvPipelineSync";
  }

  private async onRecvPipelineSync(): Promise<void> {
    const pipeline = this.syncPipeline();
    const pending = this.host.spool.pendingCommit !== undefined;
    const sync = await this.gatherSync(pipeline, pending);
    const failure = pipeline.recvErr() ?? pipeline.sendErr();
    this.rollToOffset = sync.rollToOffset;
    this.readThroughRevision = sync.readThroughRevision;
    // Rare: a primary behind a peer (restarted into its assignment, or promoted without the journal's last commits).
    if (sync.peerAhead) this.host.env.probe("gazette.broker.sync-peer-ahead");
    if (pending && failure === undefined && sync.readThroughRevision === 0) {
      // Peers agree with (or hold less than) our pending commit: the journal adopts it. A peer
      // holding other content at or past its end wins: ours was never acknowledged.
      if (sync.diverged) this.host.env.probe("gazette.broker.pending-commit-discarded");
      await this.host.settlePending(!sync.diverged);
    }
    if (failure !== undefined) {
      await this.tearDown();
      this.error = failure;
      this.state = "error";
    } else if (sync.rollToOffset !== 0 && this.host.spool.pendingCommit === undefined) {
      // A peer has a larger offset, an equal one with an incompatible fragment, or less: roll everyone there.
      // (A pending commit is settled first: it stays unsettled only when a peer also asks to read through.)
      if (sync.rollToRegisters !== undefined) this.registers = copyLabelSet(sync.rollToRegisters);
      this.host.env.probe("gazette.broker.sync-roll-forward");
      this.state = "sendPipelineSync";
    } else if (sync.readThroughRevision !== 0) {
      // A peer has a different route at a later etcd revision.
      this.host.env.probe("gazette.broker.sync-read-through");
      await this.tearDown();
      this.state = "resolve";
    } else {
      this.state = "updateAssignments";
    }
  }

  /** Seam: gathers the answers to the pipeline's sync (`pendingLocal`: our spool holds a pending commit). */
  protected gatherSync(pipeline: Pipeline, pendingLocal: boolean): Promise<SyncResult> {
    return pipeline.gatherSync({ pendingLocal });
  }

  private async onUpdateAssignments(): Promise<void> {
    const advertise = this.host.advertiseConsistency;
    if (advertise === undefined) {
      this.state = "awaitDesiredReplicas";
      return;
    }
    let revision: number;
    try {
      revision = await advertise.call(this.host, this.resolved);
    } catch (error) {
      this.error = error;
      this.state = "error";
      return;
    }
    if (revision === 0) {
      this.state = "awaitDesiredReplicas";
    } else {
      this.readThroughRevision = revision;
      this.state = "resolve";
    }
  }

  private onAwaitDesiredReplicas(): void {
    const members = this.resolved.header.route.members.length;
    const desired = this.spec.replication;
    if (members > desired) {
      // The allocator over-subscribed the journal ahead of removing a member: wait for it.
      this.readThroughRevision = this.resolved.header.etcd.revision + 1;
      this.host.env.probe("gazette.broker.await-desired-replicas");
      this.state = "resolve";
    } else if (members < desired) {
      this.fail("INSUFFICIENT_JOURNAL_BROKERS");
    } else {
      this.state = "validatePreconditions";
    }
  }

  private async onValidatePreconditions(): Promise<void> {
    await raceAbort(this.host.index.firstRefresh(), this.signal);
    if (!this.host.storeHealthy(this.spec)) return this.fail("FRAGMENT_STORE_UNHEALTHY");
    const spool = this.host.spool.fragment;
    const range = this.host.index.offsetRange();
    const maxOffset = Math.max(spool.end, range.end);
    const check = this.request.checkRegisters;
    if (check !== undefined && this.registers.labels.length !== 0 && !selectorMatches(check, this.registers))
      return this.refuseRegisterMismatch();
    if (spool.end !== maxOffset && this.request.offset === 0 && journalMayWrite(this.spec.flags))
      return this.fail("INDEX_HAS_GREATER_OFFSET");
    if (this.request.offset !== 0 && this.request.offset !== maxOffset) return this.fail("WRONG_APPEND_OFFSET");
    if (this.request.offset !== 0 && spool.end !== maxOffset) {
      // Re-sync the pipeline at the explicitly requested offset.
      this.host.env.probe("gazette.broker.explicit-offset-roll");
      this.rollToOffset = maxOffset;
      this.state = "sendPipelineSync";
      return;
    }
    // The spool holds the journal's first known write: roll it, dirtying the remote index.
    if (spool.begin === range.begin) this.rollToOffset = spool.end;
    this.state = "streamContent";
  }

  /**
   * Seam: the CheckRegisters selector does not match the registers: the append ends REGISTER_MISMATCH (registers
   * unchanged).
   */
  protected refuseRegisterMismatch(): void {
    this.fail("REGISTER_MISMATCH");
  }

  private async onStreamContent(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const pipeline = this.syncPipeline();
    const spool = this.host.spool;
    // Maybe roll the fragment ahead of this append. The pipeline is in sync: no acknowledgement.
    // Buggify: roll a fragment holding content now, as its flush interval would.
    const early =
      this.rollToOffset === 0 &&
      fragmentContentLength(spool.fragment) > 0 &&
      this.host.env.buggify("gazette.broker.flush-fragment-early", { afterHeal: true });
    const roll = maybeRollFragment(
      spool,
      early ? spool.fragment.end : this.rollToOffset,
      this.spec.fragment,
      this.host.env.clock.now(),
    );
    if (!fragmentsEqual(spool.fragment, roll)) {
      await pipeline.scatter({
        journal: this.host.journal,
        pipeline: pipeline.id,
        proposal: roll,
        registers: copyLabelSet(this.registers),
        contentDelta: 0,
        acknowledge: false,
      });
    }
    const begin = spool.fragment.end;
    const summer = this.host.env.hash.sha1();
    let length = 0;
    let clientError: unknown;
    try {
      for await (const chunk of chunks) {
        if (this.signal.aborted) throw new ErrCancelled(this.signal.reason);
        if (chunk.length === 0) continue;
        this.totalChunks++;
        if (!journalMayWrite(this.spec.flags)) {
          // Non-empty appends cannot be made to non-writable journals.
          this.status = "NOT_ALLOWED";
          break;
        }
        await pipeline.scatter({
          journal: this.host.journal,
          pipeline: pipeline.id,
          content: chunk,
          contentDelta: length,
          acknowledge: false,
        });
        summer.update(chunk);
        length += chunk.length;
        if (pipeline.sendErr() !== undefined) break;
      }
    } catch (error) {
      clientError = error;
    }
    this.clientFragment = {
      ...spool.fragment,
      begin,
      end: begin + length,
      sum: length === 0 ? ZERO_SHA1_SUM : summer.digestHex(),
    };
    if (
      clientError === undefined &&
      length === 0 &&
      (this.request.unionRegisters !== undefined || this.request.subtractRegisters !== undefined)
    ) {
      clientError = new ErrRegisterUpdateWithEmptyAppend();
    }
    if (clientError === undefined && pipeline.sendErr() === undefined && this.status === "OK")
      await this.sendCommit(pipeline);
    else await this.sendRollback(pipeline, clientError);
    this.state = "readAcknowledgements";
  }

  /** Asks every replica to commit the spool extended by the client's content, with the register updates. */
  private async sendCommit(pipeline: Pipeline): Promise<void> {
    let registers = this.registers;
    if (this.request.subtractRegisters !== undefined)
      registers = subtractLabelSet(registers, this.request.subtractRegisters);
    if (this.request.unionRegisters !== undefined) registers = unionLabelSets(this.request.unionRegisters, registers);
    this.registers = registers;
    const commit: ReplicateRequest = {
      journal: this.host.journal,
      pipeline: pipeline.id,
      proposal: this.host.spool.next(),
      registers: copyLabelSet(registers),
      contentDelta: 0,
      acknowledge: true,
    };
    // Buggify (the pipeline's reset commit): the streams reset once the peers applied it; its answers are lost.
    const answersLost = pipeline.commitAnswersLost();
    if (answersLost) this.host.env.probe("gazette.broker.commit-answers-lost");
    await this.scatterCommit(pipeline, commit, answersLost);
  }

  /**
   * Seam: sends the commit to the peers only; the primary applies it once every peer acknowledged
   * (onReadAcknowledgements).
   */
  protected scatterCommit(pipeline: Pipeline, commit: ReplicateRequest, answersLost: boolean): Promise<void> {
    const sent = pipeline.scatter(commit, { local: false, answersLost });
    this.pendingLocalCommit = commit;
    return sent;
  }

  /** A client or peer error: every replica rolls back its partial content. */
  private async sendRollback(pipeline: Pipeline, clientError: unknown): Promise<void> {
    if (clientError !== undefined) this.error = clientError;
    this.host.env.probe("gazette.broker.append-rolled-back");
    const spool = this.host.spool;
    await pipeline.scatter({
      journal: this.host.journal,
      pipeline: pipeline.id,
      proposal: { ...spool.fragment },
      registers: copyLabelSet(spool.registers),
      contentDelta: 0,
      acknowledge: true,
    });
  }

  private async onReadAcknowledgements(): Promise<void> {
    const pipeline = this.syncPipeline();
    await pipeline.gatherOK();
    const failure = pipeline.recvErr() ?? pipeline.sendErr();
    const commit = this.pendingLocalCommit;
    this.pendingLocalCommit = undefined;
    if (commit !== undefined) {
      if (failure === undefined) {
        const { response } = await this.host.spool.apply(commit, true);
        assert(response.status === "OK", `append: the primary's spool refused its own commit (${response.status})`);
        // Tell peers at once that every replica acknowledged: their readers may see the commit.
        if (fragmentContentLength(this.clientFragment ?? commit.proposal ?? this.host.spool.fragment) !== 0) {
          await pipeline.scatter(
            {
              journal: this.host.journal,
              pipeline: pipeline.id,
              proposal: { ...this.host.spool.fragment },
              registers: copyLabelSet(this.host.spool.registers),
              contentDelta: 0,
              acknowledge: false,
            },
            { local: false },
          );
        }
      } else {
        await this.host.spool.rollback();
      }
    }
    if (this.error !== undefined || this.status !== "OK") {
      if (failure !== undefined) await this.tearDown();
      this.state = "error";
    } else if (failure !== undefined) {
      await this.tearDown();
      this.error = failure;
      this.state = "error";
    } else {
      this.state = "finished";
    }
  }

  /** Tears down the held pipeline (it failed, its route is stale, or answers are left unread). */
  private async tearDown(): Promise<void> {
    const pipeline = this.pipeline;
    this.pipeline = undefined;
    if (pipeline === undefined) return;
    this.host.env.probe("gazette.broker.pipeline-torn-down");
    await this.host.tearDownPipeline(pipeline);
  }

  private failure(): AppendResponse {
    if (this.status === "OK") {
      assert(this.error !== undefined, "append: an error state has a status or an error");
      throw this.error;
    }
    const response: AppendResponse = {
      status: this.status,
      header: this.resolved.header,
      totalChunks: this.totalChunks,
      delayedChunks: 0,
    };
    if (this.status === "REGISTER_MISMATCH") response.registers = copyLabelSet(this.registers);
    return response;
  }

  private success(): AppendResponse {
    assert(this.clientFragment !== undefined, "append: a finished append has its fragment");
    return {
      status: "OK",
      header: this.resolved.header,
      commit: this.clientFragment,
      registers: copyLabelSet(this.registers),
      totalChunks: this.totalChunks,
      delayedChunks: 0,
    };
  }
}
