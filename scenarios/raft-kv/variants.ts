/**
 * The broken variants of Raft, built from the real parts through their seams: a
 * broken core is Raft's rules (DEFAULT_CORE_RULES) with the one rule it breaks; a
 * broken node is a RaftNode subclass that overrides one protected step, built
 * through RaftNodeOptions.createNode. The shipping code knows none of them; the
 * raft-kv scenarios offer every one (`--variant <name>`), dqlite-snapshot-catch-up
 * two of the node's, and the properties select them here too (`withVariant`):
 * this is the one copy.
 */
import {
  DEFAULT_CORE_RULES,
  RaftNode,
  ReadyPipeline,
  type CoreRules,
  type LogEntry,
  type PipelineHost,
  type RaftNodeOptions,
  type RaftNodeParts,
  type Ready,
} from "../../src/impl/raft/index.ts";

/** Deliberately broken cores: each breaks a Raft invariant on purpose. */
export const BROKEN_VARIANTS = {
  "count-stale-term-votes": "a candidate counts granted votes from earlier terms (breaks election safety)",
  "leader-appends-after-commit-index":
    "a leader appends new entries right after its commit index, overwriting its uncommitted ones (breaks leader append-only)",
  "skip-previous-term-check":
    "a follower accepts entries when it holds prevLogIndex, whatever its term (breaks log matching)",
  "grant-vote-without-log-check":
    "a voter grants its vote without checking that the candidate's log is up to date (breaks leader completeness)",
  "commit-previous-term-by-counting":
    "a leader commits entries of earlier terms by counting replicas (Raft §5.4.2, Figure 8; breaks leader completeness)",
  "heartbeat-commit-uncapped":
    "a leader's heartbeat carries its whole commit index, not what the follower is known to hold, so a follower commits stale entries (breaks state machine safety)",
  "vote-twice-in-term": "a voter does not remember its vote, and votes again in the same term (breaks election safety)",
  "no-next-index-backtracking": "a leader never moves nextIndex back on a rejection (breaks liveness)",
} as const;

export type BrokenVariant = keyof typeof BROKEN_VARIANTS;

/** Deliberately broken nodes: each breaks what the node promises around the core. */
export const BROKEN_NODE_VARIANTS = {
  "ack-before-fsync": "votes and acknowledgements leave before the hard state and entries they promise are durable",
  "apply-on-step-down":
    "a leader that loses leadership applies its own uncommitted entries to its FSM (breaks state machine safety: a write of unknown outcome may be applied on that server only)",
  "ignore-install-snapshot-state":
    "a follower that installs a leader's snapshot keeps its own FSM state instead of restoring the snapshot's (breaks snapshot catch-up: its state diverges)",
  "no-snapshot-retry":
    "a snapshot the FSM refused is asked for again only when the next entry applies, not at the next tick (a dqlite leader, whose own commit is always in flight then, never snapshots)",
} as const;

export type BrokenNodeVariant = keyof typeof BROKEN_NODE_VARIANTS;

/** A variant of Raft that `withVariant` selects: the core's or the node's. */
export type RaftVariant = BrokenVariant | BrokenNodeVariant;

/** Each core variant's rules: Raft's, with the one rule the variant breaks. */
const RULES_OF_VARIANT: Readonly<Record<BrokenVariant, CoreRules>> = {
  "count-stale-term-votes": {
    ...DEFAULT_CORE_RULES,
    countsVote: (candidateTerm, voteTerm) => voteTerm <= candidateTerm,
  },
  "leader-appends-after-commit-index": {
    ...DEFAULT_CORE_RULES,
    appendIndex: (lastIndex, commitIndex) => Math.min(lastIndex, commitIndex) + 1,
  },
  "skip-previous-term-check": {
    ...DEFAULT_CORE_RULES,
    previousEntryMatches: (log, prevLogIndex) => prevLogIndex <= log.lastIndex,
  },
  "grant-vote-without-log-check": { ...DEFAULT_CORE_RULES, upToDate: () => true },
  "commit-previous-term-by-counting": { ...DEFAULT_CORE_RULES, commitsByCounting: () => true },
  "heartbeat-commit-uncapped": { ...DEFAULT_CORE_RULES, heartbeatCommit: (commitIndex) => commitIndex },
  "vote-twice-in-term": { ...DEFAULT_CORE_RULES, recordVote: (votedFor) => votedFor },
  "no-next-index-backtracking": { ...DEFAULT_CORE_RULES, nextIndexOnReject: (nextIndex) => nextIndex },
};

/** A pipeline that lets a batch's messages leave before the batch is durable. */
class AckBeforeFsyncPipeline extends ReadyPipeline {
  protected override release(batch: readonly Ready[], durable: boolean): void {
    if (durable) return;
    for (const ready of batch) for (const message of ready.messages) this.host.send(message);
  }
}

/** "ack-before-fsync": votes and acknowledgements leave before what they promise is durable. */
class AckBeforeFsyncNode extends RaftNode {
  static create(parts: RaftNodeParts): RaftNode {
    return new AckBeforeFsyncNode(parts);
  }

  protected override createPipeline(host: PipelineHost): ReadyPipeline {
    return new AckBeforeFsyncPipeline(host);
  }
}

/** "apply-on-step-down": a deposed leader hands its FSM every entry of its log not yet applied, committed or not. */
class ApplyOnStepDownNode extends RaftNode {
  /** The FSM already took the entries through this index, uncommitted. */
  private appliedOnStepDownThrough = 0;

  static create(parts: RaftNodeParts): RaftNode {
    return new ApplyOnStepDownNode(parts);
  }

  protected override steppedDown(): void {
    for (const entry of this.storage.log.allEntries()) {
      if (entry.index <= Math.max(this.fsmAppliedIndex, this.appliedOnStepDownThrough)) continue;
      if (entry.kind === "command") this.options.fsm.apply({ index: entry.index, term: entry.term, data: entry.data });
      this.appliedOnStepDownThrough = entry.index;
    }
  }

  protected override applyEntry(entry: LogEntry): void | Promise<void> {
    // The FSM took this index already (maybe another entry).
    if (entry.index <= this.appliedOnStepDownThrough) return this.applied(entry, undefined);
    return super.applyEntry(entry);
  }
}

/** "ignore-install-snapshot-state": a follower installs a leader's snapshot but keeps its own FSM state. */
class IgnoreInstallSnapshotStateNode extends RaftNode {
  static create(parts: RaftNodeParts): RaftNode {
    return new IgnoreInstallSnapshotStateNode(parts);
  }

  protected override restoreFsm(): Promise<void> | undefined {
    return undefined;
  }
}

/** "no-snapshot-retry": a refused snapshot waits for the next snapshot the core wants (the next entry applied). */
class NoSnapshotRetryNode extends RaftNode {
  static create(parts: RaftNodeParts): RaftNode {
    return new NoSnapshotRetryNode(parts);
  }

  protected override snapshotRetryWanted(): boolean {
    return false;
  }
}

/** Each node variant's node. */
const NODE_OF_VARIANT: Readonly<Record<BrokenNodeVariant, NonNullable<RaftNodeOptions["createNode"]>>> = {
  "ack-before-fsync": AckBeforeFsyncNode.create,
  "apply-on-step-down": ApplyOnStepDownNode.create,
  "ignore-install-snapshot-state": IgnoreInstallSnapshotStateNode.create,
  "no-snapshot-retry": NoSnapshotRetryNode.create,
};

/** The rules of a broken core: give them to RaftCore (CoreOptions.rules) or to a RaftNode (RaftNodeOptions.rules). */
export function coreRulesOf(variant: BrokenVariant): CoreRules {
  const rules = RULES_OF_VARIANT[variant];
  if (rules === undefined) throw new Error(`${String(variant)} is not a broken variant of the Raft core`);
  return rules;
}

/** What `withVariant` sets: the core's rules, or the node's factory. */
export type VariantParts = Pick<RaftNodeOptions, "rules" | "createNode">;

/**
 * `options` (a core's or a node's) with the broken part of `variant` in place, or
 * as they are when `variant` is undefined: the one way to select a Raft variant.
 * A node variant needs a node's options (it sets `createNode`).
 */
export function withVariant<T extends object>(options: T, variant: RaftVariant | undefined): T & VariantParts {
  if (variant === undefined) return options;
  if (variant in NODE_OF_VARIANT) return { ...options, createNode: NODE_OF_VARIANT[variant as BrokenNodeVariant] };
  return { ...options, rules: coreRulesOf(variant as BrokenVariant) };
}
