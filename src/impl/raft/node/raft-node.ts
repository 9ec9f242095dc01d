/**
 * RaftNode: the Raft core (../core) driven on an Env, with hashicorp/raft's API:
 * `apply` (a promise of the FSM's response once the entry is committed and
 * applied), `barrier`, `verifyLeader`, `leader`, `state`, leadership observation,
 * `stats`, `getConfiguration`, `addVoter`, `removeServer`, `leadershipTransfer`, `snapshot` (a user
 * snapshot), `shutdown`.
 *
 * How it runs: the core is ticked every `tickIntervalMs` of host-local time, lazily:
 * the ticks come from an Env Ticker (as a timer re-armed each tick would bring
 * them, pauses included), which wakes the node only for the first tick that may do
 * more than count (`RaftCore.ticksUntilDue`); the ticks before it are given to the
 * core just before its next input, so an idle follower costs no event per tick; messages
 * travel as RPC notifications (transport.ts); every ready of the core is carried
 * out in order by the pipeline (ready-pipeline.ts): durable before anything is
 * sent, applied after; the stores (log, stable, snapshots) live on `env.disk`
 * (storage.ts).
 *
 * Failure semantics, as hashicorp/raft:
 * - ErrNotLeader, ErrLeadershipTransferInProgress, ErrEnqueueTimeout: the entry was not appended;
 * - ErrLeadershipLost: this server stopped leading before the entry was applied; the
 *   entry may still be committed and applied later (outcome unknown);
 * - ErrRaftShutdown: the node stopped (shutdown, or a fatal disk failure: then
 *   `terminated` resolves with ErrStorageFailed).
 *
 * Probes (env.probe) at rare paths: those the core reports (core/*.ts) and
 * "raft.leadership-lost-with-pending", "raft.log-tail-truncated-on-restart",
 * "raft.read-retried-after-checksum-failure", "raft.snapshot-install-finished-on-restart",
 * "raft.storage-failed", "raft.snapshot-failed", "raft.message-dropped-backpressure".
 * Buggify points: "raft.delay-fsync", "raft.drop-outbound-message",
 * "raft.duplicate-outbound-message", "raft.snapshot-at-odd-moment".
 *
 * Seams for testing (RaftNodeOptions.createNode builds a subclass): the protected
 * `createPipeline`, `restoreFsm`, `snapshotRetryWanted` and `steppedDown`, and
 * `applyEntry`; RaftNodeOptions.rules for the core's. Their defaults are the node's
 * behaviour; the broken variants that override them live in scenarios/raft-kv/variants.ts.
 */
import { DiskError, RpcError, type Env, type Ticker, type Timer } from "../../../sim/env.ts";
import { AssertionError } from "../../../sim/assert.ts";
import {
  isEmptyReady,
  RaftCore,
  type InstallSnapshot,
  type ProposeOutcome,
  type LeadershipChange,
  type LogEntry,
  type Message,
  type Ready,
  type RaftRole,
  type ServerId,
  type SnapshotMetadata,
} from "../core/index.ts";
import {
  ErrLeadershipLost,
  ErrLeadershipTransferTimeout,
  ErrNothingNewToSnapshot,
  ErrNotLeader,
  ErrRaftShutdown,
  ErrSnapshotCorrupted,
  ErrStorageFailed,
  type RaftError,
} from "../errors.ts";
import { ErrSnapshotRefused, readerOf, type FsmSnapshot, type SnapshotReader } from "./fsm.ts";
import { LeadershipObservers, type LeadershipEvent } from "./leadership-observers.ts";
import { resolveNodeOptions, type RaftNodeOptions, type ResolvedNodeOptions } from "./node-options.ts";
import { PendingOperations, type ApplyResult } from "./pending-operations.ts";
import { ReadyPipeline, type PipelineHost } from "./ready-pipeline.ts";
import { SnapshotTooLargeError } from "./snapshot-store.ts";
import { openStorage, type Storage } from "./storage.ts";
import { Transport } from "./transport.ts";

/** hashicorp/raft's RaftState names (a pre-candidate reports as Candidate). */
export type RaftState = "Follower" | "Candidate" | "Leader" | "Shutdown";

/** How long `apply` and the others wait for room in the window by default, in ms. */
export const DEFAULT_ENQUEUE_TIMEOUT_MS = 1_000;

/** Snapshots a user snapshot waits for at most before it takes its own (each one finished meanwhile). */
export const USER_SNAPSHOT_WAITS_MAX = 1_000;

/**
 * What `snapshot()` resolves with (hashicorp/raft's SnapshotFuture): the snapshot's metadata, and `open` to read it
 * back.
 */
export interface UserSnapshot {
  readonly metadata: SnapshotMetadata;
  /**
   * SnapshotFuture.Open: reads the snapshot back from the store; ErrSnapshotCorrupted once newer ones replaced it, or
   * if damaged.
   */
  open(): Promise<SnapshotReader>;
}

/** A command admitted to the window and waiting for its batch to be proposed. */
interface QueuedCommand {
  readonly data: Uint8Array;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (error: RaftError) => void;
}

/** What `RaftNode.start` builds a node from (RaftNodeOptions.createNode). */
export interface RaftNodeParts {
  readonly env: Env;
  readonly options: ResolvedNodeOptions;
  readonly storage: Storage;
  readonly core: RaftCore;
}

interface Deferred<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: RaftError) => void;
}

/** One Raft server on an Env (see the file's comment). Create with `RaftNode.start`. */
export class RaftNode {
  private readonly env: Env;
  protected readonly options: ResolvedNodeOptions;
  protected readonly storage: Storage;
  private readonly core: RaftCore;
  private readonly pipeline: ReadyPipeline;
  private readonly transport: Transport;
  private readonly pending: PendingOperations;
  private readonly observers = new LeadershipObservers();
  private readonly verifications = new Map<number, Deferred<void>>();
  private transfer: (Deferred<void> & { readonly target: ServerId }) | undefined;
  private nextVerificationId = 1;
  private ticker: Ticker | undefined;
  /** Commands waiting to be proposed together (see proposeCommand). */
  private readonly batch: QueuedCommand[] = [];
  private batchTimer: Timer | undefined;
  private stopped = false;
  /** The last entry the FSM applied (or the snapshot it holds). */
  protected fsmAppliedIndex: number;
  private snapshotInProgress = false;
  /** User snapshots waiting for the snapshot in progress to end. */
  private readonly snapshotEndWaiters: Array<() => void> = [];
  /** The FSM refused the last snapshot: ask again at the next ready (a tick at the latest). */
  private snapshotRetryDue = false;
  private leadership: LeadershipChange;
  private resolveTerminated: (reason: RaftError | undefined) => void = () => undefined;
  /** Resolves when the node stops: undefined after `shutdown`, the ErrStorageFailed that stopped it otherwise. */
  readonly terminated: Promise<RaftError | undefined>;

  /** Opens the stores, restores the FSM from the latest snapshot, and starts serving and ticking. */
  static async start(env: Env, options: RaftNodeOptions): Promise<RaftNode> {
    const resolved = resolveNodeOptions(options);
    const storage = await openStorage(env, resolved.directory, resolved.bootstrapVoters);
    if (storage.latestSnapshot !== undefined) await resolved.fsm.restore(readerOf(storage.latestSnapshot.data));
    const core = new RaftCore(
      {
        id: env.host,
        random: env.random.fork("raft-election"),
        electionTimeoutTicks: resolved.electionTimeoutTicks,
        heartbeatIntervalTicks: resolved.heartbeatIntervalTicks,
        snapshotThresholdEntries: resolved.snapshotThresholdEntries,
        trailingLogEntries: resolved.trailingLogEntries,
        maxEntriesPerAppend: resolved.maxEntriesPerAppend,
        maxInflightAppends: resolved.maxInflightAppends,
        preVote: resolved.preVote,
        rules: resolved.rules,
      },
      storage.restore,
    );
    const parts: RaftNodeParts = { env, options: resolved, storage, core };
    const node = resolved.createNode?.(parts) ?? new RaftNode(parts);
    resolved.observer?.restored(storage.restore.logBase, storage.restore.entries);
    node.transport.start();
    node.ticker = env.clock.ticker(resolved.tickIntervalMs, () => {
      node.catchUpTicks();
      node.planTicks();
    });
    node.planTicks();
    env.trace("raft.started", {
      term: storage.restore.hardState.term,
      lastIndex: storage.log.lastIndex,
      snapshot: storage.latestSnapshot?.metadata.index ?? 0,
    });
    return node;
  }

  /** Only `RaftNode.start` builds a node (a subclass through RaftNodeOptions.createNode). */
  protected constructor(parts: RaftNodeParts) {
    const { env, options, storage } = parts;
    this.env = env;
    this.options = options;
    this.storage = storage;
    this.core = parts.core;
    this.terminated = new Promise((resolve) => (this.resolveTerminated = resolve));
    this.pending = new PendingOperations(env.clock, options.maxPendingApplies);
    this.fsmAppliedIndex = storage.latestSnapshot?.metadata.index ?? 0;
    this.leadership = { role: "follower", leaderId: undefined, term: storage.restore.hardState.term };
    this.pipeline = this.createPipeline({
      env,
      stable: storage.stable,
      log: storage.log,
      send: (message) => this.send(message),
      restoreSnapshot: (metadata) => this.restoreSnapshot(metadata),
      applyEntry: (entry) => this.applyEntry(entry),
      report: (ready) => this.report(ready),
      fail: (operation, error) => this.fail(operation, error),
      persisted: (ready) =>
        this.options.observer?.persisted({ ...ready, term: ready.hardState?.term ?? this.core.status().term }),
      compacted: (index) => this.options.observer?.compacted(index),
      committed: (index) => this.options.observer?.committed(index, this.core.status().term),
      reportDue: () => this.snapshotRetryWanted(),
      running: () => !this.stopped,
    });
    this.transport = new Transport(env, options.port, options.messageDeadlineMs, {
      receive: (message) => this.receive(message),
      receiveSnapshot: (message, data) => this.receiveSnapshot(message, data),
      readSnapshot: async (metadata) => (await this.storage.snapshots.read(metadata))?.data,
      running: () => !this.stopped,
    });
  }

  // -------------------------------------------------------------------------
  // hashicorp/raft's API

  /**
   * Appends `data` as a command (leader only) and resolves with the FSM's response
   * once it is committed and applied here. `timeoutMs` bounds only the wait for room
   * in the window of pending entries (ErrEnqueueTimeout), as in hashicorp/raft.
   */
  apply(data: Uint8Array, timeoutMs = DEFAULT_ENQUEUE_TIMEOUT_MS): Promise<ApplyResult> {
    return this.proposeCommand(data, timeoutMs);
  }

  /** Resolves once every entry appended before it is applied (a barrier entry, leader only). */
  async barrier(timeoutMs = DEFAULT_ENQUEUE_TIMEOUT_MS): Promise<void> {
    await this.propose(timeoutMs, () => this.core.proposeBarrier());
  }

  /** Resolves if a quorum still follows this leader (it heard from one after the call); ErrNotLeader otherwise. */
  verifyLeader(): Promise<void> {
    if (this.stopped) return Promise.reject(new ErrRaftShutdown(false));
    const id = this.nextVerificationId++;
    this.flushBatch();
    this.catchUpTicks();
    const outcome = this.core.verifyLeader(id);
    if (!outcome.ok) return Promise.reject(outcome.error);
    const result = new Promise<void>((resolve, reject) => this.verifications.set(id, { resolve, reject }));
    this.drive(outcome.ready);
    return result;
  }

  /** Adds a voter through the log; resolves once the new configuration is applied (committed). */
  addVoter(id: ServerId, timeoutMs = DEFAULT_ENQUEUE_TIMEOUT_MS): Promise<void> {
    return this.changeConfiguration({ kind: "add-voter", id }, timeoutMs);
  }

  /** Removes a server through the log; resolves once the new configuration is applied (committed). */
  removeServer(id: ServerId, timeoutMs = DEFAULT_ENQUEUE_TIMEOUT_MS): Promise<void> {
    return this.changeConfiguration({ kind: "remove-server", id }, timeoutMs);
  }

  /** Hands leadership to `target` (default: the most up-to-date voter); resolves once this server stepped down. */
  leadershipTransfer(target?: ServerId): Promise<void> {
    if (this.stopped) return Promise.reject(new ErrRaftShutdown(false));
    this.flushBatch();
    this.catchUpTicks();
    const outcome = this.core.transferLeadership(target);
    if (!outcome.ok) return Promise.reject(outcome.error);
    const result = new Promise<void>(
      (resolve, reject) => (this.transfer = { resolve, reject, target: outcome.target }),
    );
    this.drive(outcome.ready);
    return result;
  }

  /** The leader this server knows of, if any (its id is its address). */
  leader(): ServerId | undefined {
    return this.stopped ? undefined : this.core.status().leaderId;
  }

  state(): RaftState {
    if (this.stopped) return "Shutdown";
    return stateOf(this.core.status().role);
  }

  /** Calls `callback` on every leadership change (after the change is durable); returns the unsubscribe function. */
  observeLeadership(callback: (event: LeadershipEvent) => void): () => void {
    return this.observers.observe(callback);
  }

  /** Leadership changes as an async iterable (hashicorp/raft's LeaderCh), ending at shutdown. */
  leadershipChanges(): AsyncIterable<LeadershipEvent> {
    return this.observers.iterate();
  }

  /**
   * hashicorp/raft's GetConfiguration: the latest configuration's voters (committed once `commit_index` reaches
   * `index`) and its entry's index.
   */
  getConfiguration(): { readonly voters: readonly ServerId[]; readonly index: number } {
    const status = this.core.status();
    return { voters: status.configuration.voters.slice(), index: status.configurationIndex };
  }

  /**
   * hashicorp/raft's Stats: figures as strings; `first_log_index`, not among them, is its log store's FirstIndex (0 for
   * an empty log).
   */
  stats(): Record<string, string> {
    const status = this.core.status();
    return {
      state: this.state(),
      term: String(status.term),
      first_log_index: String(this.storage.log.firstIndex),
      last_log_index: String(status.lastIndex),
      last_log_term: String(status.lastTerm),
      commit_index: String(status.commitIndex),
      applied_index: String(this.fsmAppliedIndex),
      fsm_pending: String(this.pending.size),
      last_snapshot_index: String(status.snapshot?.index ?? 0),
      last_snapshot_term: String(status.snapshot?.term ?? 0),
      latest_configuration: `[${status.configuration.voters.join(", ")}]`,
      latest_configuration_index: String(status.configurationIndex),
      num_peers: String(status.configuration.voters.filter((voter) => voter !== this.env.host).length),
      leader: status.leaderId ?? "",
      dropped_messages: String(this.transport.droppedMessages),
    };
  }

  /**
   * hashicorp/raft's Snapshot (a user snapshot, whatever the threshold): captures
   * the FSM as of the last applied entry, between applies, and resolves once the
   * snapshot is durable and the log compacted behind it (keeping the trailing
   * entries). A snapshot already in progress is waited for first. Rejects with
   * ErrNothingNewToSnapshot when nothing was applied since the latest snapshot,
   * ErrRaftShutdown when the node stopped, the FSM's ErrSnapshotRefused or
   * DiskError when it cannot capture now, and the DiskError (or
   * SnapshotTooLargeError) that kept it from being stored. Deviation from
   * hashicorp/raft, which refuses only when nothing was applied since the server
   * started: a second snapshot at the latest one's index would be a copy of it.
   */
  async snapshot(): Promise<UserSnapshot> {
    for (let waits = 0; waits <= USER_SNAPSHOT_WAITS_MAX; waits++) {
      if (this.stopped) throw new ErrRaftShutdown(false);
      if (this.snapshotInProgress) {
        await new Promise<void>((resolve) => this.snapshotEndWaiters.push(resolve));
        continue;
      }
      const captured = await this.pipeline.exclusive(() => this.captureUserSnapshot());
      if (captured === undefined) continue;
      const { metadata } = captured;
      const failure = await this.persistSnapshot(metadata, captured.snapshot);
      if (failure !== undefined) throw failure;
      // The compaction the snapshot allows is a ready of the pipeline: carried out before this resolves.
      await this.pipeline.idle();
      return { metadata, open: () => this.openSnapshot(metadata) };
    }
    throw new AssertionError(`raft: a user snapshot waited for ${USER_SNAPSHOT_WAITS_MAX} other snapshots`);
  }

  /** Stops ticking and serving; every pending operation fails with ErrRaftShutdown. */
  async shutdown(): Promise<void> {
    await this.stop(undefined);
  }

  // -------------------------------------------------------------------------
  // Internals

  /**
   * Checks that this server may take proposals, then takes a slot in the window (given back if it stopped meanwhile).
   */
  private async admit(timeoutMs: number): Promise<void> {
    if (this.stopped) throw new ErrRaftShutdown(false);
    const status = this.core.status();
    if (status.role !== "leader") throw new ErrNotLeader(status.leaderId);
    try {
      await this.pending.admit(timeoutMs);
    } catch (error) {
      if (this.stopped) throw new ErrRaftShutdown(false);
      throw error;
    }
    if (this.stopped) {
      this.pending.release();
      throw new ErrRaftShutdown(false);
    }
  }

  private async changeConfiguration(
    change: { kind: "add-voter" | "remove-server"; id: ServerId },
    timeoutMs: number,
  ): Promise<void> {
    await this.propose(timeoutMs, () => this.core.proposeConfigurationChange(change));
  }

  /**
   * Takes a slot in the window and queues the command for the next batch, as
   * hashicorp/raft's leader loop takes every apply waiting on its channel at once:
   * the batch is proposed when it is full, when another request must follow it,
   * or by a timer of 0 ms (the same virtual instant, once every apply issued
   * before it has joined).
   */
  private async proposeCommand(data: Uint8Array, timeoutMs: number): Promise<ApplyResult> {
    await this.admit(timeoutMs);
    return new Promise<ApplyResult>((resolve, reject) => {
      this.batch.push({ data, resolve, reject });
      if (this.batch.length >= this.options.maxEntriesPerAppend) this.flushBatch();
      else this.batchTimer ??= this.env.clock.setTimer(0, () => this.flushBatch());
    });
  }

  /** Proposes the queued commands together; each waits for its own entry, or fails with the refusal. */
  private flushBatch(): void {
    this.batchTimer?.cancel();
    this.batchTimer = undefined;
    const batch = this.batch.splice(0);
    if (batch.length === 0) return;
    const refuse = (error: RaftError) => {
      for (const queued of batch) {
        this.pending.release();
        queued.reject(error);
      }
    };
    if (this.stopped) return refuse(new ErrRaftShutdown(false));
    this.catchUpTicks();
    const outcome = this.core.proposeBatch(batch.map((queued) => queued.data));
    if (!outcome.ok) return refuse(outcome.error);
    outcome.placements.forEach((placement, position) => {
      const queued = batch[position] as QueuedCommand;
      this.pending.add(placement.index, placement.term).then(queued.resolve, queued.reject);
    });
    this.drive(outcome.ready);
  }

  /** Takes a slot in the window, proposes (after the queued commands), and waits for the entry to be applied. */
  private async propose(timeoutMs: number, propose: () => ProposeOutcome): Promise<ApplyResult> {
    await this.admit(timeoutMs);
    this.flushBatch();
    this.catchUpTicks();
    const outcome = propose();
    if (!outcome.ok) {
      this.pending.release();
      throw outcome.error;
    }
    const result = this.pending.add(outcome.index, outcome.term);
    this.drive(outcome.ready);
    return result;
  }

  /** Step 2 of a ready: a message leaves (an observer hears of the appends it acknowledges). */
  private send(message: Message): void {
    if (message.type === "append-entries-response" && message.success)
      this.options.observer?.acknowledged(message.matchIndex, message.term);
    this.transport.send(message);
  }

  /** Hands a ready to the pipeline (unless it asks for nothing) and re-plans the ticks. */
  private drive(ready: Ready): void {
    if (!isEmptyReady(ready) || this.snapshotRetryDue) this.pipeline.enqueue(ready);
    this.planTicks();
  }

  /** Gives the core, in order, every tick that came and that it has not had yet. */
  private catchUpTicks(): void {
    if (this.stopped || this.ticker === undefined) return;
    for (let ticks = this.ticker.take(); ticks > 0 && !this.stopped; ticks--) {
      const ready = this.core.tick();
      if (!isEmptyReady(ready) || this.snapshotRetryDue) this.pipeline.enqueue(ready);
    }
  }

  /**
   * Asks to be woken for the first tick that may do more than count (an earlier
   * wake-up stays); while a refused snapshot waits for a retry, that is every tick
   * (the retry rides on every ready).
   */
  private planTicks(): void {
    if (this.stopped) return;
    this.ticker?.wakeBy(this.snapshotRetryDue ? 1 : this.core.ticksUntilDue());
  }

  private receive(message: Message): void {
    if (this.stopped) return;
    this.catchUpTicks();
    this.drive(this.core.step(message));
  }

  /** Stores a snapshot from the leader durably (unless it is of no use), then steps the core. */
  private async receiveSnapshot(message: InstallSnapshot, data: Uint8Array): Promise<void> {
    const status = this.core.status();
    if (message.term >= status.term && message.snapshot.index > status.commitIndex) {
      try {
        await this.storage.snapshots.store({ metadata: message.snapshot, data });
      } catch (error) {
        if (!(error instanceof DiskError) && !(error instanceof SnapshotTooLargeError)) throw error;
        this.env.probe("raft.snapshot-failed");
        throw new RpcError("APPLICATION", `could not store the snapshot: ${error.message}`, "snapshot-not-stored");
      }
    }
    this.receive(message);
  }

  private async restoreSnapshot(metadata: SnapshotMetadata): Promise<void> {
    const stored = await this.storage.snapshots.read(metadata);
    if (stored === undefined) {
      this.fail(
        "restore",
        new ErrSnapshotCorrupted(`snapshot ${metadata.index}/${metadata.term}`, "not readable after it was stored"),
      );
      return;
    }
    const restoring = this.restoreFsm(stored.data);
    if (restoring !== undefined) await restoring;
    this.fsmAppliedIndex = metadata.index;
    this.env.trace("raft.snapshot-restored", { index: metadata.index, term: metadata.term });
  }

  /** Builds the pipeline that carries out the core's readies (a seam for test fixtures). */
  protected createPipeline(host: PipelineHost): ReadyPipeline {
    return new ReadyPipeline(host);
  }

  /** The FSM takes the state of an installed snapshot (a seam for test fixtures; a promise when it must be awaited). */
  protected restoreFsm(data: Uint8Array): Promise<void> | undefined {
    return this.options.fsm.restore(readerOf(data));
  }

  /**
   * A snapshot the FSM refused is asked for again now: at every ready, ticks included, until taken (a seam for test
   * fixtures).
   */
  protected snapshotRetryWanted(): boolean {
    return this.snapshotRetryDue;
  }

  /** This server stopped leading, its pending operations failed: a seam for test fixtures (Raft does nothing more). */
  protected steppedDown(): void {}

  /** Step 3 of a ready, for one committed entry: the FSM applies it (a command) and the node records that. */
  protected applyEntry(entry: LogEntry): void | Promise<void> {
    const response =
      entry.kind === "command"
        ? this.options.fsm.apply({ index: entry.index, term: entry.term, data: entry.data })
        : undefined;
    if (response instanceof Promise) return response.then((value: unknown) => this.applied(entry, value));
    this.applied(entry, response);
  }

  /** The FSM applied `entry` (its response, if a command): waiters and observers are told. */
  protected applied(entry: LogEntry, response: unknown): void {
    this.options.observer?.applied(entry);
    this.fsmAppliedIndex = entry.index;
    this.pending.applied(entry, response);
  }

  /** Step 4 of a ready: probes, leadership, verifications, transfer outcome, snapshot request. */
  private async report(ready: Ready): Promise<void> {
    for (const name of ready.probes) this.env.probe(name);
    if (ready.leadership !== undefined) this.leadershipChanged(ready.leadership);
    for (const verification of ready.verifications) {
      const deferred = this.verifications.get(verification.id);
      this.verifications.delete(verification.id);
      if (verification.confirmed) deferred?.resolve();
      else deferred?.reject(new ErrNotLeader(this.core.status().leaderId));
    }
    if (ready.transfer !== undefined && this.transfer !== undefined) {
      this.transfer.reject(new ErrLeadershipTransferTimeout(ready.transfer.target));
      this.transfer = undefined;
    }
    // A refused snapshot (the FSM said "not now") is asked for again at every ready, ticks included, until taken.
    const retry = this.snapshotRetryWanted();
    // A snapshot at an odd moment (mid-election, right after a restore): the threshold is only one trigger.
    const odd = ready.committed.length > 0 && this.env.buggify("raft.snapshot-at-odd-moment", { afterHeal: true });
    if (ready.snapshotWanted || retry || odd) await this.takeSnapshot();
  }

  private leadershipChanged(change: LeadershipChange): void {
    this.options.observer?.leadership(change.role, change.term);
    const wasLeader = this.leadership.role === "leader";
    this.leadership = change;
    if (wasLeader && change.role !== "leader") {
      const failed = this.pending.failAll(
        (index, term) => new ErrLeadershipLost(index, term),
        (term) => term <= change.term,
      );
      if (failed > 0) this.env.probe("raft.leadership-lost-with-pending");
      this.steppedDown();
      this.transfer?.resolve();
      this.transfer = undefined;
    }
    this.env.trace("raft.leadership", { role: change.role, leader: change.leaderId ?? null, term: change.term });
    this.observers.notify({
      isLeader: change.role === "leader",
      role: change.role,
      leaderId: change.leaderId,
      term: change.term,
    });
  }

  /** Captures the FSM now (no apply runs meanwhile), then persists it in the background. */
  private async takeSnapshot(): Promise<void> {
    if (this.snapshotInProgress) return;
    this.snapshotRetryDue = false;
    const metadata = this.core.snapshotMetadata(this.fsmAppliedIndex);
    if (metadata === undefined) return;
    this.snapshotInProgress = true;
    let snapshot: FsmSnapshot;
    try {
      snapshot = await this.options.fsm.snapshot();
    } catch (error) {
      this.endSnapshot();
      if (error instanceof DiskError) {
        this.env.probe("raft.snapshot-failed");
        this.env.log.warn("raft: the FSM could not capture a snapshot", {
          index: metadata.index,
          error: error.message,
        });
        return;
      }
      if (!(error instanceof ErrSnapshotRefused)) throw error;
      this.env.probe("raft.snapshot-refused");
      this.snapshotRetryDue = true;
      this.planTicks();
      return;
    }
    void this.persistSnapshot(metadata, snapshot);
  }

  /**
   * Writes the captured snapshot out, then tells the core; resolves with the DiskError (or SnapshotTooLargeError) that
   * failed it, if one did.
   */
  private async persistSnapshot(metadata: SnapshotMetadata, snapshot: FsmSnapshot): Promise<Error | undefined> {
    const sink = this.storage.snapshots.create(metadata);
    try {
      await snapshot.persist(sink);
      await sink.close();
      if (!this.stopped) {
        this.catchUpTicks();
        this.drive(this.core.snapshotTaken(metadata));
      }
      this.env.trace("raft.snapshot-taken", { index: metadata.index, term: metadata.term });
      return undefined;
    } catch (error) {
      await sink.cancel();
      if (!(error instanceof DiskError) && !(error instanceof SnapshotTooLargeError)) throw error;
      this.env.probe("raft.snapshot-failed");
      this.env.log.warn("raft: snapshot failed", { index: metadata.index, error: error.message });
      return error;
    } finally {
      snapshot.release();
      this.endSnapshot();
    }
  }

  /**
   * A user snapshot's capture, run between readies: undefined when another
   * snapshot began meanwhile (wait for it), ErrNothingNewToSnapshot when the latest
   * snapshot holds everything applied; the FSM's refusal or DiskError propagates.
   */
  private async captureUserSnapshot(): Promise<{ metadata: SnapshotMetadata; snapshot: FsmSnapshot } | undefined> {
    if (this.stopped) throw new ErrRaftShutdown(false);
    if (this.snapshotInProgress) return undefined;
    const metadata = this.core.snapshotMetadata(this.fsmAppliedIndex);
    if (metadata === undefined) throw new ErrNothingNewToSnapshot();
    this.snapshotInProgress = true;
    try {
      return { metadata, snapshot: await this.options.fsm.snapshot() };
    } catch (error) {
      this.endSnapshot();
      throw error;
    }
  }

  /** No snapshot is in progress any more: user snapshots waiting for it go on. */
  private endSnapshot(): void {
    this.snapshotInProgress = false;
    for (const resolve of this.snapshotEndWaiters.splice(0)) resolve();
  }

  /** SnapshotFuture.Open of a user snapshot. */
  private async openSnapshot(metadata: SnapshotMetadata): Promise<SnapshotReader> {
    const stored = await this.storage.snapshots.read(metadata);
    if (stored === undefined)
      throw new ErrSnapshotCorrupted(
        `snapshot ${metadata.index}/${metadata.term}`,
        "no longer stored, or not readable",
      );
    return readerOf(stored.data);
  }

  private fail(operation: string, error: unknown): void {
    this.env.probe("raft.storage-failed");
    this.env.log.error("raft: fatal storage failure, shutting down", {
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
    void this.stop(new ErrStorageFailed(operation, error));
  }

  private async stop(reason: RaftError | undefined): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker?.stop();
    this.flushBatch();
    this.transport.close();
    this.pending.failAll(
      () => new ErrRaftShutdown(true),
      () => true,
    );
    this.pending.refuseWaiters();
    for (const deferred of this.verifications.values()) deferred.reject(new ErrRaftShutdown(false));
    this.verifications.clear();
    this.transfer?.reject(new ErrRaftShutdown(false));
    this.transfer = undefined;
    this.observers.notify({ isLeader: false, role: "shutdown", leaderId: undefined, term: this.core.status().term });
    this.observers.close();
    await this.pipeline.idle();
    await this.storage.log.close().catch(() => undefined);
    this.env.trace("raft.stopped", { reason: reason?.message ?? "shutdown" });
    this.resolveTerminated(reason);
  }
}

function stateOf(role: RaftRole): RaftState {
  switch (role) {
    case "leader":
      return "Leader";
    case "candidate":
    case "pre-candidate":
      return "Candidate";
    case "follower":
      return "Follower";
  }
}
