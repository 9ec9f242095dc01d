/**
 * The broken variants of Raft, built from the real core through its seam: each is
 * Raft's rules (DEFAULT_CORE_RULES) with the one rule it breaks. The shipping code
 * knows none of them; the raft-kv scenarios offer every one (`--variant <name>`),
 * and the properties select them here too (`withVariant`): this is the one copy.
 */
import { DEFAULT_CORE_RULES, type CoreRules } from "../../src/impl/raft/index.ts";

/** Deliberately broken cores: each breaks a Raft invariant on purpose. */
export const BROKEN_VARIANTS = {
  "count-stale-term-votes": "a candidate counts granted votes from earlier terms (breaks election safety)",
  "leader-appends-after-commit-index": "a leader appends new entries right after its commit index, overwriting its uncommitted ones (breaks leader append-only)",
  "skip-previous-term-check": "a follower accepts entries when it holds prevLogIndex, whatever its term (breaks log matching)",
  "grant-vote-without-log-check": "a voter grants its vote without checking that the candidate's log is up to date (breaks leader completeness)",
  "commit-previous-term-by-counting": "a leader commits entries of earlier terms by counting replicas (Raft §5.4.2, Figure 8; breaks leader completeness)",
  "heartbeat-commit-uncapped": "a leader's heartbeat carries its whole commit index, not what the follower is known to hold, so a follower commits stale entries (breaks state machine safety)",
  "vote-twice-in-term": "a voter does not remember its vote, and votes again in the same term (breaks election safety)",
  "no-next-index-backtracking": "a leader never moves nextIndex back on a rejection (breaks liveness)",
} as const;

export type BrokenVariant = keyof typeof BROKEN_VARIANTS;

/** A variant of Raft that `withVariant` selects. */
export type RaftVariant = BrokenVariant;

/** Each core variant's rules: Raft's, with the one rule the variant breaks. */
const RULES_OF_VARIANT: Readonly<Record<BrokenVariant, CoreRules>> = {
  "count-stale-term-votes": { ...DEFAULT_CORE_RULES, countsVote: (candidateTerm, voteTerm) => voteTerm <= candidateTerm },
  "leader-appends-after-commit-index": { ...DEFAULT_CORE_RULES, appendIndex: (lastIndex, commitIndex) => Math.min(lastIndex, commitIndex) + 1 },
  "skip-previous-term-check": { ...DEFAULT_CORE_RULES, previousEntryMatches: (log, prevLogIndex) => prevLogIndex <= log.lastIndex },
  "grant-vote-without-log-check": { ...DEFAULT_CORE_RULES, upToDate: () => true },
  "commit-previous-term-by-counting": { ...DEFAULT_CORE_RULES, commitsByCounting: () => true },
  "heartbeat-commit-uncapped": { ...DEFAULT_CORE_RULES, heartbeatCommit: (commitIndex) => commitIndex },
  "vote-twice-in-term": { ...DEFAULT_CORE_RULES, recordVote: (votedFor) => votedFor },
  "no-next-index-backtracking": { ...DEFAULT_CORE_RULES, nextIndexOnReject: (nextIndex) => nextIndex },
};

/** The rules of a broken core: give them to RaftCore (CoreOptions.rules) or to a RaftNode (RaftNodeOptions.rules). */
export function coreRulesOf(variant: BrokenVariant): CoreRules {
  const rules = RULES_OF_VARIANT[variant];
  if (rules === undefined) throw new Error(`${String(variant)} is not a broken variant of the Raft core`);
  return rules;
}

/**
 * `options` (a core's or a node's) with the broken part of `variant` in place, or
 * as they are when `variant` is undefined: the one way to select a Raft variant.
 */
export function withVariant<T extends object>(options: T, variant: RaftVariant | undefined): T & { readonly rules?: CoreRules } {
  if (variant === undefined) return options;
  return { ...options, rules: coreRulesOf(variant) };
}
