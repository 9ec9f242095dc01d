/**
 * A journal replicated on this broker (Gazette's broker/replica.go and
 * replicate_api.go): its spool, the pipeline of its appends when this broker
 * is primary, the peer side of Replicate, the pulse daemon, and the hand-off of
 * completed spools to the persister.
 *
 * Ownership of the spool (Gazette's spoolCh and pipelineCh): one FIFO lock
 * with a bounded queue. An append holds it for its whole transaction, so one
 * append at a time runs through the journal's pipeline; each Replicate message
 * holds it while it applies. The spool belongs to one pipeline at a time
 * (`owner`): the local pipeline, or a primary's whose first sync (with a
 * header) took it over, rolling back any uncommitted content. Messages of any
 * other pipeline are refused (ErrReplicateRefused), and a message that fails
 * (bad content delta, disk error, a non-OK answer to a message that asked no
 * acknowledgement) rolls back and releases the spool: the primary must sync
 * again, as when Gazette's Replicate stream breaks.
 *
 * Peer side (replicate): a sync's route must be equivalent to the route this
 * broker resolved (else WRONG_ROUTE with our header; the service already waited
 * for the request's etcd revision). Every adopted commit goes to the index
 * (spoolCommit); every completed spool goes to the persister, and its file is
 * dropped once persisted and a retention delay passed (the index refreshes
 * from the store meanwhile).
 *
 * Adoption, a deviation from Gazette on purpose. Gazette's peers commit (and
 * serve to readers) each proposal as it arrives, so when a primary fails
 * before every peer acknowledged, one peer may serve content the journal then
 * overwrites at the same offsets (a pipeline that no longer includes that
 * peer never learns of it). Here a peer's commit is pending until the journal
 * adopts it:
 * - the next message of the same pipeline adopts it (the primary sends one
 *   only after every peer acknowledged; after a commit it sends one at once,
 *   so readers on peers wait one message, not a pulse);
 * - a new pipeline's first sync adopts it when its proposal is exactly our
 *   fragment (same sum); a primary behind even what we had adopted before it
 *   (a restarted one) keeps it: we answer with our offset, and its roll to
 *   exactly our end adopts it (Gazette's roll forward); any other proposal
 *   discards it, before the message applies;
 * - a primary whose own spool holds a pending commit (it was a peer) proposes
 *   it unrolled; every peer agreeing, or holding less, adopts it, while a peer
 *   holding other content at or past its end discards it (append.ts);
 * - closing the replica discards it.
 * Discarded content was never acknowledged: an acknowledged commit is on every
 * member of its route, and the next primary is one of them.
 * So a peer never rolls forward past content on a new pipeline's first sync
 * (Gazette's peer does, when the proposal ends beyond its own end): it answers
 * PROPOSAL_MISMATCH with the fragment it holds, and the primary, having settled
 * its pending commit, rolls every replica to its end. Rolling at once would move
 * the peer past a commit the primary may still discard (its sync failing, then
 * the replica closing): nobody would hold those offsets, and readers would wait
 * at them for ever (gazette-churn seed 20046).
 *
 * Pulse (Gazette's pulseDaemon): every pulse interval the primary appends an
 * empty transaction, which keeps the pipeline synced, advertises consistency
 * and rolls spools at flush intervals. close() stops the pulse, rolls the spool
 * and hands it to the persister.
 *
 * Seams for test fixtures: a subclass of JournalReplica overrides `newSpool`,
 * `newAppendFsm` and `peerCommitsPending`; the broker builds replicas with a
 * ReplicaFactory (createReplica).
 */
import type { Env, Timer } from "../../../sim/env.ts";
import { AsyncLock, LockQueueFull } from "../../common/async-lock.ts";
import { assert } from "../../../sim/assert.ts";
import { fragmentContentLength, fragmentsEqual, type Fragment } from "../protocol/fragment.ts";
import { copyLabelSet, labelSetsEqual } from "../protocol/labels.ts";
import type { FragmentStore, Journal, JournalSpec } from "../protocol/journal-spec.ts";
import type { AppendRequest, AppendResponse } from "../protocol/messages.ts";
import { routesEquivalent, type Header, type ProcessSpecId } from "../protocol/route.ts";
import { ErrCancelled } from "../protocol/journal-client.ts";
import { AppendFsm, type AppendHost } from "./append.ts";
import { Spool, type CompletedSpool, type SpoolContent, type SpoolOptions } from "./fragment/spool.ts";
import { Pipeline, PIPELINE_RESET_COMMITS_MAX } from "./pipeline.ts";
import { ErrReplicateRefused, type ReplicateTransport } from "./replicate-wire.ts";
import type {
  FragmentIndexApi,
  LocalContent,
  Replica,
  ReplicateRequest,
  ReplicateResponse,
  Resolution,
} from "./types.ts";

/** Gazette's healthCheckInterval: how often the primary pulses its journal. */
export const PULSE_INTERVAL_MS_DEFAULT = 60_000;
/** Appends (and pulses) waiting for the journal's pipeline at most; one more is refused. */
export const APPEND_QUEUE_MAX_DEFAULT = 64;
/** Deadline of each Replicate call of a pipeline. */
export const REPLICATE_CALL_DEADLINE_MS_DEFAULT = 5_000;

/** The replica was closed (unassigned, or the broker is stopping). */
export class ErrReplicaClosed extends Error {
  override readonly name = "ErrReplicaClosed";
}

/** Too many appends wait for the journal's pipeline. */
export class ErrAppendQueueFull extends Error {
  override readonly name = "ErrAppendQueueFull";
}

export interface ReplicaOptions {
  /** 0 disables pulses. Default PULSE_INTERVAL_MS_DEFAULT. */
  pulseIntervalMs?: number;
  callDeadlineMs?: number;
  appendQueueMax?: number;
  /** How long a persisted spool stays readable. Default: two refresh intervals of the journal. */
  completedSpoolRetentionMs?: number;
}

export interface ReplicaDeps {
  journal: Journal;
  localId: ProcessSpecId;
  index: FragmentIndexApi;
  /** The persister: uploads a completed spool (primary: at once; else Gazette lets the primary go first). */
  persist: (
    fragment: Fragment,
    local: LocalContent,
    stores: readonly FragmentStore[],
    primary: boolean,
  ) => Promise<void> | void;
  /** Sends Replicate messages to peers (replicate-wire.ts replicateOverRpc). */
  transport: ReplicateTransport;
  /** Whether the journal's fragment store accepts writes (else appends get FRAGMENT_STORE_UNHEALTHY). */
  storeHealthy: (spec: JournalSpec) => boolean;
  /** Resolves this journal as the primary would (pulses, and re-resolution after a later revision). */
  resolve: (args: { minEtcdRevision: number; signal: AbortSignal }) => Promise<Resolution>;
  /** Optional: Gazette's updateAssignments (0 when etcd already advertises the route, else the revision written). */
  advertiseConsistency?: (resolution: Resolution) => Promise<number>;
  /** Directory of this replica's spool files. */
  spoolDirectory: string;
  options?: ReplicaOptions;
}

async function* noChunks(): AsyncIterable<Uint8Array> {}

/** A journal's replica on this broker (see the file comment). */
export class JournalReplica implements Replica, AppendHost {
  readonly journal: Journal;
  readonly index: FragmentIndexApi;
  readonly localId: ProcessSpecId;
  readonly spool: Spool;
  private readonly lock: AsyncLock;
  private readonly token: string;
  private owner: string | undefined;
  /** The pipeline whose commit is pending in the spool (its next message adopts it). */
  private pendingFrom: string | undefined;
  /** A lagging primary's pipeline we told our offset to: its roll to our end adopts the pending commit. */
  private pendingKeptFor: string | undefined;
  private pipeline: Pipeline | undefined;
  private pipelines = 0;
  private closed = false;
  private pulseTimer: Timer | undefined;
  private pulsing = false;
  private spec: JournalSpec | undefined;
  private readonly retained = new Map<SpoolContent, Timer | undefined>();

  constructor(
    readonly env: Env,
    private readonly deps: ReplicaDeps,
  ) {
    this.journal = deps.journal;
    this.index = deps.index;
    this.localId = deps.localId;
    this.lock = new AsyncLock(deps.options?.appendQueueMax ?? APPEND_QUEUE_MAX_DEFAULT);
    this.token = [...env.random.bytes(4)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    this.spool = this.newSpool({
      journal: deps.journal,
      disk: env.disk,
      hash: env.hash,
      directory: deps.spoolDirectory,
      fileNamePrefix: `${env.lifetime.incarnation}-${this.token}`,
      now: () => env.clock.now(),
      observer: {
        spoolCommit: (fragment, local) => this.index.spoolCommit(fragment, local),
        spoolComplete: (completed, primary) => this.onSpoolComplete(completed, primary),
      },
    });
    const interval = deps.options?.pulseIntervalMs ?? PULSE_INTERVAL_MS_DEFAULT;
    if (interval > 0) this.pulseTimer = env.clock.setTimer(0, () => void this.pulse(interval));
  }

  /** Seam: builds the spool (called by the constructor: an override must not use the subclass's fields). */
  protected newSpool(options: SpoolOptions): Spool {
    return new Spool(options);
  }

  /** Seam: builds the FSM of one append on this primary. */
  protected newAppendFsm(request: AppendRequest, resolution: Resolution, signal: AbortSignal): AppendFsm {
    return new AppendFsm(this, request, resolution, signal);
  }

  /**
   * Seam: whether a peer holds a commit pending (hidden from readers and the
   * persister) until the journal adopts it: this port's rule (the file comment);
   * Gazette's peers expose a commit as it arrives.
   */
  protected peerCommitsPending(): boolean {
    return true;
  }

  storeHealthy(spec: JournalSpec): boolean {
    return this.deps.storeHealthy(spec);
  }

  resolve(args: { minEtcdRevision: number; signal: AbortSignal }): Promise<Resolution> {
    return this.deps.resolve(args);
  }

  get advertiseConsistency(): ((resolution: Resolution) => Promise<number>) | undefined {
    return this.deps.advertiseConsistency;
  }

  currentPipeline(): Pipeline | undefined {
    const pipeline = this.pipeline;
    if (pipeline === undefined || this.owner !== pipeline.id || pipeline.broken) return undefined;
    return pipeline;
  }

  async startPipeline(header: Header): Promise<Pipeline> {
    await this.spool.rollback();
    const id = `${this.localId.zone}/${this.localId.suffix}#${this.env.lifetime.incarnation}.${this.token}.${++this.pipelines}`;
    // Buggify: this pipeline's streams reset once, at one of its first commits.
    const resets = this.env.buggify("gazette.broker.replication-stream-reset");
    const pipeline = new Pipeline(id, { ...header, processId: { ...this.localId } }, this.spool, this.deps.transport, {
      callDeadlineMs: this.deps.options?.callDeadlineMs ?? REPLICATE_CALL_DEADLINE_MS_DEFAULT,
      ...(resets ? { resetAtCommit: this.env.random.int(1, PIPELINE_RESET_COMMITS_MAX) } : {}),
    });
    this.pipeline = pipeline;
    this.owner = id;
    return pipeline;
  }

  async tearDownPipeline(pipeline: Pipeline): Promise<void> {
    if (this.pipeline === pipeline) this.pipeline = undefined;
    if (this.owner === pipeline.id) this.owner = undefined;
    await this.spool.rollback();
  }

  async settlePending(adopt: boolean): Promise<void> {
    if (adopt) return this.adoptPending();
    this.pendingFrom = undefined;
    this.pendingKeptFor = undefined;
    await this.spool.discardPending();
  }

  async replicate(request: ReplicateRequest, resolution: Resolution): Promise<ReplicateResponse> {
    if (this.closed) throw new ErrReplicateRefused(`replica of ${this.journal} is closed`);
    if (resolution.spec !== undefined) this.spec = resolution.spec;
    if (request.header !== undefined) {
      if (resolution.status !== "OK") return { status: resolution.status, header: resolution.header };
      // The request's route must be equivalent to the one we resolved.
      if (!routesEquivalent(resolution.header.route, request.header.route))
        return { status: "WRONG_ROUTE", header: resolution.header };
    }
    const release = await this.acquire();
    try {
      if (this.closed) throw new ErrReplicateRefused(`replica of ${this.journal} is closed`);
      if (request.header !== undefined && this.owner !== request.pipeline) {
        // A new pipeline takes the spool over: undo the previous owner's partial content.
        await this.spool.rollback();
        this.owner = request.pipeline;
        this.env.probe("gazette.broker.replicate-takeover");
      } else if (this.owner !== request.pipeline) {
        throw new ErrReplicateRefused(
          `message of pipeline ${request.pipeline}, but the spool of ${this.journal} belongs to ${this.owner ?? "no pipeline"}`,
        );
      }
      await this.settlePendingFor(request);
      const response = this.behindFirstSync(request) ?? (await this.applyAsPeer(request));
      if (request.header !== undefined) response.header = resolution.header;
      return response;
    } finally {
      release();
    }
  }

  /**
   * Adopts or discards the pending commit before `request` applies (see the file
   * comment): the next message of the pipeline that made it adopts it; a proposal
   * of exactly our fragment adopts it; a primary behind what we had adopted
   * before it (it will roll every replica to our offset) keeps it, and its roll
   * to exactly our end adopts it; anything else discards it.
   */
  private async settlePendingFor(request: ReplicateRequest): Promise<void> {
    const pending = this.spool.pendingCommit;
    const base = this.spool.pendingBase;
    if (pending === undefined || base === undefined) return;
    if (this.pendingFrom === request.pipeline) return this.adoptPending();
    const proposal = request.proposal;
    if (proposal !== undefined) {
      if (
        fragmentsEqual(proposal, pending) &&
        labelSetsEqual(request.registers ?? { labels: [] }, this.spool.registers)
      )
        return this.adoptPending();
      if (
        this.pendingKeptFor === request.pipeline &&
        fragmentContentLength(proposal) === 0 &&
        proposal.begin === pending.end
      ) {
        this.env.probe("gazette.broker.pending-commit-rolled-to");
        return this.adoptPending();
      }
      if (request.header !== undefined && proposal.end < base.end) {
        this.pendingKeptFor = request.pipeline;
        return;
      }
    }
    this.env.probe("gazette.broker.pending-commit-discarded");
    this.pendingFrom = undefined;
    this.pendingKeptFor = undefined;
    await this.spool.discardPending();
  }

  /**
   * A new pipeline's first sync proposing content that ends beyond ours (a commit
   * we missed, or content from before we joined the route): our fragment, for the
   * primary to roll us forward once it settled what it proposed (see the file
   * comment); undefined for any other message.
   */
  private behindFirstSync(request: ReplicateRequest): ReplicateResponse | undefined {
    const proposal = request.proposal;
    if (request.header === undefined || proposal === undefined || fragmentContentLength(proposal) === 0)
      return undefined;
    if (proposal.end <= this.spool.fragment.end + this.spool.delta) return undefined;
    this.env.probe("gazette.broker.sync-peer-behind");
    return {
      status: "PROPOSAL_MISMATCH",
      fragment: { ...this.spool.fragment },
      registers: copyLabelSet(this.spool.registers),
    };
  }

  private adoptPending(): void {
    this.pendingFrom = undefined;
    this.pendingKeptFor = undefined;
    this.spool.adoptPending();
  }

  /** Applies a peer's message; a failure releases the spool (the primary must sync again). */
  private async applyAsPeer(request: ReplicateRequest): Promise<ReplicateResponse> {
    let response: ReplicateResponse;
    try {
      const pending = this.peerCommitsPending();
      const result = await this.spool.apply(request, false, { pending });
      response = result.response;
      if (result.committed !== undefined && pending) this.pendingFrom = request.pipeline;
    } catch (error) {
      await this.releaseSpool();
      throw error;
    }
    if (!request.acknowledge && response.status !== "OK") {
      await this.releaseSpool();
      throw new ErrReplicateRefused(`no acknowledgement requested but status ${response.status}`);
    }
    return response;
  }

  private async releaseSpool(): Promise<void> {
    this.owner = undefined;
    await this.spool.rollback();
  }

  async append(
    request: AppendRequest,
    chunks: AsyncIterable<Uint8Array>,
    resolution: Resolution,
    signal: AbortSignal,
  ): Promise<AppendResponse> {
    if (this.closed) throw new ErrReplicaClosed(`replica of ${this.journal} is closed`);
    if (resolution.spec !== undefined) this.spec = resolution.spec;
    const release = await this.acquire();
    try {
      if (this.closed) throw new ErrReplicaClosed(`replica of ${this.journal} is closed`);
      if (signal.aborted) throw new ErrCancelled(signal.reason);
      return await this.newAppendFsm(request, resolution, signal).run(chunks);
    } finally {
      release();
    }
  }

  private async acquire(): Promise<() => void> {
    try {
      return await this.lock.acquire();
    } catch (error) {
      if (error instanceof LockQueueFull)
        throw new ErrAppendQueueFull(
          `more than ${this.deps.options?.appendQueueMax ?? APPEND_QUEUE_MAX_DEFAULT} waiting on ${this.journal}`,
        );
      throw error;
    }
  }

  /** One pulse: an empty append when this broker is the journal's primary. */
  private async pulse(intervalMs: number): Promise<void> {
    this.pulseTimer = undefined;
    if (this.closed || this.pulsing) return;
    this.pulsing = true;
    const controller = new AbortController();
    const deadline = this.env.clock.setTimer(intervalMs, () => controller.abort(new Error("pulse deadline")));
    try {
      const resolution = await this.deps.resolve({ minEtcdRevision: 0, signal: controller.signal });
      if (resolution.status === "OK" && resolution.primary && resolution.local) {
        const response = await this.append(
          { journal: this.journal, doNotProxy: true, offset: 0 },
          noChunks(),
          resolution,
          controller.signal,
        );
        if (response.status !== "OK")
          this.env.log.warn("journal pulse failed (will retry)", { journal: this.journal, status: response.status });
      }
    } catch (error) {
      if (!this.closed)
        this.env.log.warn("journal pulse failed (will retry)", { journal: this.journal, error: String(error) });
    } finally {
      deadline.cancel();
      this.pulsing = false;
      if (!this.closed) this.pulseTimer = this.env.clock.setTimer(intervalMs, () => void this.pulse(intervalMs));
    }
  }

  /** A completed spool goes to the persister; once persisted it is dropped after the retention delay. */
  private onSpoolComplete(completed: CompletedSpool, primary: boolean): void {
    const stores = this.spec?.fragment.stores ?? [];
    this.retained.set(completed.content, undefined);
    let persisted: Promise<void> | void;
    try {
      persisted = this.deps.persist(completed.fragment, completed.content, stores, primary);
    } catch (error) {
      this.env.log.warn("persist of a spool failed", { journal: this.journal, error: String(error) });
      return;
    }
    // Without a store the spool is the only copy: it stays readable.
    if (stores.length === 0) return;
    void Promise.resolve(persisted).then(
      () => this.scheduleDrop(completed.content),
      (error: unknown) =>
        this.env.log.warn("persist of a spool failed", { journal: this.journal, error: String(error) }),
    );
  }

  private scheduleDrop(content: SpoolContent): void {
    if (this.closed) {
      this.retained.delete(content);
      void content.drop();
      return;
    }
    const retentionMs =
      this.deps.options?.completedSpoolRetentionMs ??
      2 * (this.spec?.fragment.refreshIntervalMs ?? PULSE_INTERVAL_MS_DEFAULT);
    const timer = this.env.clock.setTimer(retentionMs, () => {
      this.env.probe("gazette.broker.spool-dropped");
      this.retained.delete(content);
      void content.drop();
    });
    this.retained.set(content, timer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pulseTimer?.cancel();
    this.pulseTimer = undefined;
    const release = await this.lock.acquire().catch(() => undefined);
    try {
      this.pipeline = undefined;
      this.owner = undefined;
      this.pendingFrom = undefined;
      this.pendingKeptFor = undefined;
      await this.spool.discardPending();
      await this.spool.rollback();
      // Roll the spool forward to finalize and persist its current fragment.
      await this.spool.roll(false);
    } finally {
      release?.();
    }
    for (const [content, timer] of this.retained) {
      if (timer === undefined) continue;
      timer.cancel();
      this.retained.delete(content);
      void content.drop();
    }
  }
}

/** A Replica, with its spool visible (for checkers and tests: read it, never apply to it). */
export type JournalReplicaView = Replica & { readonly spool: Spool };

/** Builds a journal's replica (the real one, or a test fixture's). */
export type ReplicaFactory = (env: Env, deps: ReplicaDeps) => JournalReplicaView;

/** The replica of `deps.journal` on this broker (see the file comment). */
export function createReplica(env: Env, deps: ReplicaDeps): JournalReplicaView {
  assert(deps.spoolDirectory.startsWith("/"), "replica: the spool directory is an absolute path");
  return new JournalReplica(env, deps);
}
