/**
 * The Raft core's rules: the decisions Raft's safety and liveness rest on, in one
 * strategy object the core consults at each decision (CoreOptions.rules).
 *
 * Contract: the core ships with DEFAULT_CORE_RULES, Raft's rules (the paper's §5.2
 * to §5.4, etcd raft's fast backtracking). Any other value is a seam for testing:
 * a test fixture that breaks one rule on purpose (scenarios/raft-kv/variants.ts),
 * to show that a checker catches the bug. Each rule is a pure function of its
 * arguments: no state, no allocation, called once per decision.
 */
import type { RaftLog } from "./raft-log.ts";
import type { ServerId } from "./types.ts";

/** What a rule may read of the log. */
export type RulesLog = Pick<RaftLog, "lastIndex" | "termAt" | "matchTerm" | "isUpToDate">;

/** The decisions of the core (see the file's comment). */
export interface CoreRules {
  /** §5.4.1: a voter grants its vote only to a candidate whose last entry is at least as up to date as its own. */
  upToDate(log: RulesLog, lastLogIndex: number, lastLogTerm: number): boolean;
  /**
   * What a voter records as its vote of the term once it granted one (§5.2: the candidate, persisted before the answer
   * leaves).
   */
  recordVote(votedFor: ServerId | undefined, candidate: ServerId): ServerId | undefined;
  /** Whether a candidate of `candidateTerm` counts a vote granted in `voteTerm` (§5.2: only one of its own term). */
  countsVote(candidateTerm: number, voteTerm: number): boolean;
  /**
   * §5.3's consistency check: a follower takes entries after `prevLogIndex` only if its entry there has `prevLogTerm`.
   */
  previousEntryMatches(log: RulesLog, prevLogIndex: number, prevLogTerm: number): boolean;
  /** Where a leader appends a new entry (Leader Append-Only, §5.3: after its last one). */
  appendIndex(lastIndex: number, commitIndex: number): number;
  /** The commit index a heartbeat tells a follower: capped at what the follower is known to hold. */
  heartbeatCommit(commitIndex: number, matchIndex: number): number;
  /**
   * A follower's nextIndex after it rejected an AppendEntries at `rejectedIndex`
   * (etcd's fast backtracking): where the two logs may last agree (`probeIndex`,
   * from the follower's hint), never at or behind its match index.
   */
  nextIndexOnReject(nextIndex: number, rejectedIndex: number, probeIndex: number, matchIndex: number): number;
  /** §5.4.2: a leader commits by counting replicas only an entry of its own term (`entryTerm` undefined: compacted). */
  commitsByCounting(entryTerm: number | undefined, currentTerm: number): boolean;
}

/** Raft's rules: what every core runs with unless a test fixture says otherwise. */
export const DEFAULT_CORE_RULES: CoreRules = Object.freeze({
  upToDate: (log: RulesLog, lastLogIndex: number, lastLogTerm: number) => log.isUpToDate(lastLogIndex, lastLogTerm),
  recordVote: (_votedFor: ServerId | undefined, candidate: ServerId) => candidate,
  countsVote: (candidateTerm: number, voteTerm: number) => voteTerm === candidateTerm,
  previousEntryMatches: (log: RulesLog, prevLogIndex: number, prevLogTerm: number) =>
    log.matchTerm(prevLogIndex, prevLogTerm),
  appendIndex: (lastIndex: number, _commitIndex: number) => lastIndex + 1,
  heartbeatCommit: (commitIndex: number, matchIndex: number) => Math.min(commitIndex, matchIndex),
  nextIndexOnReject: (_nextIndex: number, rejectedIndex: number, probeIndex: number, matchIndex: number) =>
    Math.max(Math.min(rejectedIndex, probeIndex + 1), matchIndex + 1),
  commitsByCounting: (entryTerm: number | undefined, currentTerm: number) => entryTerm === currentTerm,
});
