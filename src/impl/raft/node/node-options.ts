/**
 * Options of a RaftNode, with their defaults and limits. Times are host-local
 * milliseconds; the core counts ticks of `tickIntervalMs`.
 */
import { assert } from "../../../sim/assert.ts";
import type { CoreRules, ServerId } from "../core/index.ts";
import type { Fsm } from "./fsm.ts";
import type { RaftObserver } from "./observer.ts";
import type { RaftNode, RaftNodeParts } from "./raft-node.ts";

/** Options of `RaftNode.start`; only `fsm` is required. */
export interface RaftNodeOptions {
  /** The state machine to replicate. */
  readonly fsm: Fsm;
  /**
   * hashicorp/raft's BootstrapCluster: the voters of a brand-new cluster (this host
   * among them). Used only if nothing was ever persisted; a server started without
   * it waits to be added by a leader.
   */
  readonly bootstrapVoters?: readonly ServerId[];
  /** Port of the raft RPC service on every server. Default 7100. */
  readonly port?: number;
  /** Directory of the stores on the host's disk. Default "/raft". */
  readonly directory?: string;
  readonly tickIntervalMs?: number;
  readonly electionTimeoutTicks?: number;
  readonly heartbeatIntervalTicks?: number;
  /** Deadline of each raft RPC. */
  readonly messageDeadlineMs?: number;
  readonly snapshotThresholdEntries?: number;
  readonly trailingLogEntries?: number;
  readonly maxEntriesPerAppend?: number;
  readonly maxInflightAppends?: number;
  /**
   * Pre-vote (Raft thesis §9.6; hashicorp/raft's default, which `PreVoteDisabled`
   * turns off): a server campaigns only once a majority would vote for it. Default true.
   */
  readonly preVote?: boolean;
  /** Entries appended by this leader and not yet applied, at most; beyond it `apply` waits (then ErrEnqueueTimeout). */
  readonly maxPendingApplies?: number;
  /** Told what the node does as it does it (observer.ts), for checkers of a whole cluster. */
  readonly observer?: RaftObserver;
  /** The core's rules (core/rules.ts): a seam for test fixtures. Default DEFAULT_CORE_RULES. */
  readonly rules?: CoreRules;
  /**
   * Builds the node from its parts (a seam for test fixtures: a subclass that breaks one step, raft-node.ts). Default:
   * a RaftNode.
   */
  readonly createNode?: (parts: RaftNodeParts) => RaftNode;
}

/** RaftNodeOptions with every default filled in. */
export interface ResolvedNodeOptions {
  readonly fsm: Fsm;
  readonly bootstrapVoters: readonly ServerId[] | undefined;
  readonly port: number;
  readonly directory: string;
  readonly tickIntervalMs: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly messageDeadlineMs: number;
  readonly snapshotThresholdEntries: number;
  readonly trailingLogEntries: number;
  readonly maxEntriesPerAppend: number;
  readonly maxInflightAppends: number;
  readonly preVote: boolean;
  readonly maxPendingApplies: number;
  readonly observer: RaftObserver | undefined;
  readonly rules: CoreRules | undefined;
  readonly createNode: ((parts: RaftNodeParts) => RaftNode) | undefined;
}

export const DEFAULT_RAFT_PORT = 7100;
export const DEFAULT_TICK_INTERVAL_MS = 20;
/** 10 ticks of 20 ms: an election timeout drawn in [200, 400) ms. */
export const DEFAULT_ELECTION_TIMEOUT_TICKS = 10;
export const DEFAULT_HEARTBEAT_INTERVAL_TICKS = 2;
export const DEFAULT_MESSAGE_DEADLINE_MS = 200;
export const DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES = 256;
export const DEFAULT_TRAILING_LOG_ENTRIES = 64;
export const DEFAULT_MAX_ENTRIES_PER_APPEND = 64;
export const DEFAULT_MAX_INFLIGHT_APPENDS = 8;
export const DEFAULT_MAX_PENDING_APPLIES = 256;
/** Callers waiting for room in the apply window at most; beyond it `apply` fails at once with ErrEnqueueTimeout. */
export const ENQUEUE_WAITERS_MAX = 4096;
/** Leadership events queued for an async-iterator consumer at most; the oldest are dropped beyond it. */
export const LEADERSHIP_EVENTS_QUEUED_MAX = 64;

/** Fills in defaults and checks the options (an assertion fails on a bad one). */
export function resolveNodeOptions(options: RaftNodeOptions): ResolvedNodeOptions {
  const resolved: ResolvedNodeOptions = {
    fsm: options.fsm,
    bootstrapVoters: options.bootstrapVoters,
    port: options.port ?? DEFAULT_RAFT_PORT,
    directory: options.directory ?? "/raft",
    tickIntervalMs: options.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS,
    electionTimeoutTicks: options.electionTimeoutTicks ?? DEFAULT_ELECTION_TIMEOUT_TICKS,
    heartbeatIntervalTicks: options.heartbeatIntervalTicks ?? DEFAULT_HEARTBEAT_INTERVAL_TICKS,
    messageDeadlineMs: options.messageDeadlineMs ?? DEFAULT_MESSAGE_DEADLINE_MS,
    snapshotThresholdEntries: options.snapshotThresholdEntries ?? DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES,
    trailingLogEntries: options.trailingLogEntries ?? DEFAULT_TRAILING_LOG_ENTRIES,
    maxEntriesPerAppend: options.maxEntriesPerAppend ?? DEFAULT_MAX_ENTRIES_PER_APPEND,
    maxInflightAppends: options.maxInflightAppends ?? DEFAULT_MAX_INFLIGHT_APPENDS,
    preVote: options.preVote ?? true,
    maxPendingApplies: options.maxPendingApplies ?? DEFAULT_MAX_PENDING_APPLIES,
    observer: options.observer,
    rules: options.rules,
    createNode: options.createNode,
  };
  assert(resolved.tickIntervalMs > 0 && Number.isFinite(resolved.tickIntervalMs), "tickIntervalMs must be positive");
  assert(resolved.messageDeadlineMs > 0, "messageDeadlineMs must be positive");
  assert(
    Number.isSafeInteger(resolved.maxPendingApplies) && resolved.maxPendingApplies > 0,
    "maxPendingApplies must be a positive integer",
  );
  assert(
    resolved.directory.startsWith("/") && !resolved.directory.endsWith("/"),
    "directory must be absolute, without a trailing slash",
  );
  return resolved;
}
