/**
 * Options of the Raft core, in ticks (the node turns ticks into milliseconds), and
 * its two seams for testing: the rules it decides by (rules.ts) and the record it
 * keeps of each follower (`createProgress`). Both default to the shipping behaviour.
 */
import { assert } from "../../../sim/assert.ts";
import { Progress } from "./progress.ts";
import { DEFAULT_CORE_RULES, type CoreRules } from "./rules.ts";
import type { ServerId } from "./types.ts";

/**
 * The randomness the core needs (election jitter), injected: an Env's Random fits,
 * and so does a test's seeded generator. The core never touches ambient randomness.
 */
export interface CoreRandom {
  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number;
}

export interface CoreOptions {
  /** This server's id. */
  readonly id: ServerId;
  /** Election jitter comes only from here. */
  readonly random: CoreRandom;
  /** Base election timeout; each timeout is drawn in [base, 2 × base - 1]. Default 10. */
  readonly electionTimeoutTicks?: number;
  /** A leader sends heartbeats this often. Default 1. Must be below the election timeout. */
  readonly heartbeatIntervalTicks?: number;
  /** Pre-vote (Raft thesis §9.6): a partitioned server does not disrupt the cluster when it returns. Default true. */
  readonly preVote?: boolean;
  /**
   * Check-quorum: a leader that hears from no quorum for an election timeout steps down; voters ignore elections while
   * they hear from a leader. Default true.
   */
  readonly checkQuorum?: boolean;
  /** Most entries in one AppendEntries. Default 64. */
  readonly maxEntriesPerAppend?: number;
  /** Most AppendEntries in flight to one follower while replicating. Default 8. */
  readonly maxInflightAppends?: number;
  /** Ask for a snapshot once this many entries were applied since the last one. Default 1024. */
  readonly snapshotThresholdEntries?: number;
  /** Entries kept in the log behind a snapshot, for slow followers. Default 128. */
  readonly trailingLogEntries?: number;
  /** A snapshot not acknowledged after this many ticks is sent again. Default: the election timeout. */
  readonly snapshotResendTicks?: number;
  /** The decisions Raft's safety rests on (a seam for test fixtures, rules.ts). Default DEFAULT_CORE_RULES. */
  readonly rules?: CoreRules;
  /** Builds a leader's record of one follower (a seam for test fixtures). Default `new Progress(nextIndex)`. */
  readonly createProgress?: (nextIndex: number) => Progress;
}

export type ResolvedCoreOptions = Required<CoreOptions>;

export const DEFAULT_ELECTION_TIMEOUT_TICKS = 10;
export const DEFAULT_HEARTBEAT_INTERVAL_TICKS = 1;
export const DEFAULT_MAX_ENTRIES_PER_APPEND = 64;
export const DEFAULT_MAX_INFLIGHT_APPENDS = 8;
export const DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES = 1024;
export const DEFAULT_TRAILING_LOG_ENTRIES = 128;

/** Fills in defaults and checks every option. */
export function resolveCoreOptions(options: CoreOptions): ResolvedCoreOptions {
  const electionTimeoutTicks = options.electionTimeoutTicks ?? DEFAULT_ELECTION_TIMEOUT_TICKS;
  const resolved: ResolvedCoreOptions = {
    id: options.id,
    random: options.random,
    electionTimeoutTicks,
    heartbeatIntervalTicks: options.heartbeatIntervalTicks ?? DEFAULT_HEARTBEAT_INTERVAL_TICKS,
    preVote: options.preVote ?? true,
    checkQuorum: options.checkQuorum ?? true,
    maxEntriesPerAppend: options.maxEntriesPerAppend ?? DEFAULT_MAX_ENTRIES_PER_APPEND,
    maxInflightAppends: options.maxInflightAppends ?? DEFAULT_MAX_INFLIGHT_APPENDS,
    snapshotThresholdEntries: options.snapshotThresholdEntries ?? DEFAULT_SNAPSHOT_THRESHOLD_ENTRIES,
    trailingLogEntries: options.trailingLogEntries ?? DEFAULT_TRAILING_LOG_ENTRIES,
    snapshotResendTicks: options.snapshotResendTicks ?? electionTimeoutTicks,
    rules: options.rules ?? DEFAULT_CORE_RULES,
    createProgress: options.createProgress ?? ((nextIndex) => new Progress(nextIndex)),
  };
  assert(resolved.id.length > 0, "a server id must not be empty");
  assert(
    positiveInteger(resolved.electionTimeoutTicks) && resolved.electionTimeoutTicks >= 2,
    "electionTimeoutTicks must be an integer ≥ 2",
  );
  assert(positiveInteger(resolved.heartbeatIntervalTicks), "heartbeatIntervalTicks must be a positive integer");
  assert(
    resolved.heartbeatIntervalTicks < resolved.electionTimeoutTicks,
    "heartbeats must come more often than election timeouts",
  );
  assert(positiveInteger(resolved.maxEntriesPerAppend), "maxEntriesPerAppend must be a positive integer");
  assert(positiveInteger(resolved.maxInflightAppends), "maxInflightAppends must be a positive integer");
  assert(positiveInteger(resolved.snapshotThresholdEntries), "snapshotThresholdEntries must be a positive integer");
  assert(
    Number.isSafeInteger(resolved.trailingLogEntries) && resolved.trailingLogEntries >= 0,
    "trailingLogEntries must be a non-negative integer",
  );
  assert(positiveInteger(resolved.snapshotResendTicks), "snapshotResendTicks must be a positive integer");
  return resolved;
}

function positiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}
