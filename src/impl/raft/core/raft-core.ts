/**
 * The Raft core: a synchronous, deterministic state machine with no I/O (etcd
 * raft's design). The driver calls `tick`, `step`, `propose` and the other
 * requests; each returns a Ready stating what to persist, send and apply, in that
 * order (ready.ts). Election jitter comes from the injected `random` only.
 *
 * Implements: leader election with randomized timeouts, pre-vote and check-quorum;
 * log replication with flow control and fast backtracking; commitment by counting
 * of entries of the leader's own term only, with a no-op at the start of each
 * term; leadership transfer (TimeoutNow); membership changes one server at a time
 * through the log (a configuration takes effect when appended); snapshots (the
 * core asks for one at a threshold, compacts behind it, and sends InstallSnapshot
 * to followers behind the compacted log).
 */
import { assert } from "../../../sim/assert.ts";
import type { RaftError } from "../errors.ts";
import { resetElectionTimer, type CoreState } from "./core-state.ts";
import {
  appendAsLeader,
  appendCommandsAsLeader,
  configurationChangeRefusal,
  proposalRefusal,
  startTransfer,
  startVerification,
  type ConfigurationChange,
  type Placement,
} from "./leader-requests.ts";
import { recomputeConfiguration } from "./log-changes.ts";
import type { Message } from "./messages.ts";
import { resolveCoreOptions, type CoreOptions, type ResolvedCoreOptions } from "./options.ts";
import type { ProgressMode } from "./progress.ts";
import { RaftLog } from "./raft-log.ts";
import { ReadyBuilder, type Ready } from "./ready.ts";
import { tick, ticksUntilDue } from "./roles.ts";
import { stepMessage } from "./step.ts";
import {
  EMPTY_CONFIGURATION,
  type Configuration,
  type HardState,
  type LogEntry,
  type RaftRole,
  type ServerId,
  type SnapshotMetadata,
} from "./types.ts";

/** What a core restarts from: everything its driver persisted. */
export interface CoreRestore {
  readonly hardState: HardState;
  /** The latest snapshot stored, if any; the state machine was restored from it. */
  readonly snapshot: SnapshotMetadata | undefined;
  /** The entry before the first one stored (0/0 for a log never compacted). */
  readonly logBase: { readonly index: number; readonly term: number };
  readonly entries: readonly LogEntry[];
}

/** A fresh server: nothing persisted yet. */
export const EMPTY_RESTORE: CoreRestore = Object.freeze({
  hardState: { term: 0, votedFor: undefined },
  snapshot: undefined,
  logBase: { index: 0, term: 0 },
  entries: [],
});

export type ProposeOutcome =
  | { readonly ok: true; readonly index: number; readonly term: number; readonly ready: Ready }
  | { readonly ok: false; readonly error: RaftError };

export type BatchOutcome =
  | { readonly ok: true; readonly placements: readonly Placement[]; readonly ready: Ready }
  | { readonly ok: false; readonly error: RaftError };

export interface FollowerStatus {
  readonly id: ServerId;
  readonly matchIndex: number;
  readonly nextIndex: number;
  readonly mode: ProgressMode;
}

/** A read-only view of the core, for the node's stats and for tests. */
export interface CoreStatus {
  readonly id: ServerId;
  readonly term: number;
  readonly votedFor: ServerId | undefined;
  readonly role: RaftRole;
  readonly leaderId: ServerId | undefined;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly snapshot: SnapshotMetadata | undefined;
  readonly configuration: Configuration;
  readonly configurationIndex: number;
  readonly transferTarget: ServerId | undefined;
  readonly followers: readonly FollowerStatus[];
}

export class RaftCore {
  private readonly state: CoreState;

  constructor(options: CoreOptions, restore: CoreRestore = EMPTY_RESTORE) {
    const resolved: ResolvedCoreOptions = resolveCoreOptions(options);
    const log = new RaftLog(restore.logBase.index, restore.logBase.term, restore.entries);
    checkRestore(restore, log);
    const snapshotIndex = restore.snapshot?.index ?? 0;
    this.state = {
      id: resolved.id,
      options: resolved,
      log,
      ready: new ReadyBuilder(),
      term: restore.hardState.term,
      votedFor: restore.hardState.votedFor,
      role: "follower",
      leaderId: undefined,
      commitIndex: snapshotIndex,
      appliedIndex: snapshotIndex,
      snapshot: restore.snapshot,
      configuration: EMPTY_CONFIGURATION,
      configurationIndex: 0,
      electionElapsedTicks: 0,
      randomizedElectionTimeoutTicks: resolved.electionTimeoutTicks,
      heartbeatElapsedTicks: 0,
      votes: new Map(),
      leader: undefined,
      persistedHardState: restore.hardState,
      reportedLeadership: { role: "follower", leaderId: undefined },
    };
    recomputeConfiguration(this.state);
    resetElectionTimer(this.state);
  }

  get id(): ServerId {
    return this.state.id;
  }

  /** Advances the logical clock by one tick (elections, heartbeats, check-quorum, transfer timeout). */
  tick(): Ready {
    tick(this.state);
    return this.takeReady();
  }

  /**
   * Ticks from now until the first that may do more than count (at least 1). A
   * driver may skip calling `tick` until then, provided it makes up the skipped
   * ticks (in order, before anything else) whenever it calls the core sooner.
   */
  ticksUntilDue(): number {
    return ticksUntilDue(this.state);
  }

  /** Handles one message addressed to this server. Any message may be lost, duplicated, delayed or reordered. */
  step(message: Message): Ready {
    stepMessage(this.state, message);
    return this.takeReady();
  }

  /** Appends a command (leader only). It commits at the returned index and term, or never. */
  propose(data: Uint8Array): ProposeOutcome {
    return this.proposeEntry("command", data);
  }

  /** Appends commands in order, replicated together (a leader's batch); each commits at its placement, or never. */
  proposeBatch(commands: readonly Uint8Array[]): BatchOutcome {
    assert(commands.length > 0, "an empty batch of proposals");
    const refusal = proposalRefusal(this.state);
    if (refusal !== undefined) return { ok: false, error: refusal };
    const placements = appendCommandsAsLeader(this.state, commands);
    return { ok: true, placements, ready: this.takeReady() };
  }

  /** Appends a barrier: once applied, every entry before it was applied. */
  proposeBarrier(): ProposeOutcome {
    return this.proposeEntry("barrier", new Uint8Array(0));
  }

  /** Adds a voter or removes a server, one at a time, through the log. */
  proposeConfigurationChange(change: ConfigurationChange): ProposeOutcome {
    const configuration = configurationChangeRefusal(this.state, change);
    if (!("voters" in configuration)) return { ok: false, error: configuration };
    const placement: Placement = appendAsLeader(this.state, "configuration", new Uint8Array(0), configuration);
    return { ok: true, ...placement, ready: this.takeReady() };
  }

  /** Starts a leadership transfer; success shows as this server stepping down, failure as `ready.transfer`. */
  transferLeadership(
    target?: ServerId,
  ): { ok: true; target: ServerId; ready: Ready } | { ok: false; error: RaftError } {
    const chosen = startTransfer(this.state, target);
    if (typeof chosen !== "string") return { ok: false, error: chosen };
    return { ok: true, target: chosen, ready: this.takeReady() };
  }

  /** Starts verifying leadership; the answer comes as `ready.verifications` with this `id`. */
  verifyLeader(id: number): { ok: true; ready: Ready } | { ok: false; error: RaftError } {
    const refusal = startVerification(this.state, id);
    if (refusal !== undefined) return { ok: false, error: refusal };
    return { ok: true, ready: this.takeReady() };
  }

  /**
   * The metadata of a snapshot of the state machine after applying through `index`
   * (at most the applied index handed out). Undefined when such a snapshot is of no
   * use: not newer than the latest snapshot, or behind the log (the driver's state
   * machine lags a snapshot install still in its pipeline).
   */
  snapshotMetadata(index: number): SnapshotMetadata | undefined {
    const state = this.state;
    assert(index <= state.appliedIndex, `snapshot at ${index} beyond the applied index ${state.appliedIndex}`);
    if (index <= (state.snapshot?.index ?? 0) || index < state.log.baseIndex) return undefined;
    const term = state.log.termAt(index) as number;
    const fromLog = state.log.configurationAt(index);
    if (fromLog !== undefined)
      return { index, term, configuration: fromLog.configuration, configurationIndex: fromLog.index };
    const snapshot = state.snapshot;
    if (snapshot !== undefined)
      return { index, term, configuration: snapshot.configuration, configurationIndex: snapshot.configurationIndex };
    return { index, term, configuration: EMPTY_CONFIGURATION, configurationIndex: 0 };
  }

  /** The snapshot `metadata` is durable: the log is compacted behind it, keeping the trailing entries. */
  snapshotTaken(metadata: SnapshotMetadata): Ready {
    const state = this.state;
    if (metadata.index > (state.snapshot?.index ?? 0)) {
      assert(
        metadata.index <= state.appliedIndex,
        `snapshot ${metadata.index} beyond the applied index ${state.appliedIndex}`,
      );
      assert(
        state.log.termAt(metadata.index) === metadata.term,
        `snapshot ${metadata.index}/${metadata.term} does not match the log`,
      );
      state.snapshot = metadata;
      const compactIndex = Math.max(0, metadata.index - state.options.trailingLogEntries);
      if (compactIndex > state.log.baseIndex) {
        state.log.compactThrough(compactIndex);
        state.ready.compact(compactIndex);
      }
    }
    return this.takeReady();
  }

  status(): CoreStatus {
    const state = this.state;
    const followers: FollowerStatus[] = [];
    for (const [id, progress] of state.leader?.progress ?? []) {
      followers.push({ id, matchIndex: progress.matchIndex, nextIndex: progress.nextIndex, mode: progress.mode });
    }
    return {
      id: state.id,
      term: state.term,
      votedFor: state.votedFor,
      role: state.role,
      leaderId: state.leaderId,
      commitIndex: state.commitIndex,
      appliedIndex: state.appliedIndex,
      firstIndex: state.log.firstIndex,
      lastIndex: state.log.lastIndex,
      lastTerm: state.log.lastTerm,
      snapshot: state.snapshot,
      configuration: state.configuration,
      configurationIndex: state.configurationIndex,
      transferTarget: state.leader?.transfer?.target,
      followers,
    };
  }

  /** The entries held in memory (a copy), for tests and checkers. */
  entries(): LogEntry[] {
    return this.state.log.all();
  }

  /** The term at `index`, if known. */
  termAt(index: number): number | undefined {
    return this.state.log.termAt(index);
  }

  private proposeEntry(kind: "command" | "barrier", data: Uint8Array): ProposeOutcome {
    const refusal = proposalRefusal(this.state);
    if (refusal !== undefined) return { ok: false, error: refusal };
    const placement = appendAsLeader(this.state, kind, data);
    return { ok: true, ...placement, ready: this.takeReady() };
  }

  private takeReady(): Ready {
    const state = this.state;
    const persisted = state.persistedHardState;
    let hardState: HardState | undefined;
    if (persisted.term !== state.term || persisted.votedFor !== state.votedFor) {
      hardState = { term: state.term, votedFor: state.votedFor };
      state.persistedHardState = hardState;
    }
    return state.ready.take(hardState);
  }
}

function checkRestore(restore: CoreRestore, log: RaftLog): void {
  assert(
    restore.hardState.term >= log.lastTerm,
    `hard state term ${restore.hardState.term} below the last log term ${log.lastTerm}`,
  );
  const snapshot = restore.snapshot;
  if (snapshot === undefined) {
    assert(log.baseIndex === 0, `log compacted through ${log.baseIndex} without a snapshot`);
    return;
  }
  assert(snapshot.index >= log.baseIndex, `snapshot ${snapshot.index} behind the log base ${log.baseIndex}`);
  assert(
    log.matchTerm(snapshot.index, snapshot.term),
    `snapshot ${snapshot.index}/${snapshot.term} does not match the log`,
  );
}
