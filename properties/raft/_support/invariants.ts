/**
 * Raft's safety properties (Raft paper, Figure 3), checked continuously over a
 * CoreCluster, plus liveness as a named failure:
 * - election-safety: at most one leader per term;
 * - leader-append-only: a leader never overwrites or deletes entries of its log while it leads in a term;
 * - log-matching: two logs with an entry of the same index and term agree on every entry up to it;
 * - leader-completeness: an entry committed in a term is in the log of every leader of a later term;
 * - state-machine-safety: no two servers apply (or commit) different entries at the same index;
 * - acknowledged-entries-held: a server acknowledges an append only once the entries are durable;
 * - liveness: once the schedule is fair, a leader emerges and a proposal is applied everywhere.
 */
import type { LogEntry, SnapshotMetadata } from "../../../src/impl/raft/core/index.ts";
import {
  RAFT_SAFETY_INVARIANTS,
  RaftSafetyChecker,
  type ObservedEntry,
} from "../../../src/impl/raft/testing/safety-checker.ts";
import { entryKey, type AppliedState, type ClusterListener, type DurableChange } from "./core-cluster.ts";

const observed = (entry: LogEntry): ObservedEntry => ({ index: entry.index, term: entry.term, key: entryKey(entry) });

/** Raft's safety invariants (the shared checker's), then liveness. */
export const INVARIANTS = [...RAFT_SAFETY_INVARIANTS, "liveness"] as const;

export type InvariantName = (typeof INVARIANTS)[number];

export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
  constructor(
    readonly invariant: InvariantName,
    details: string,
  ) {
    super(`${invariant}: ${details}`);
  }
}

/**
 * The shared Raft safety checker (src/impl/raft/testing/safety-checker.ts) fed
 * from what the driver saw each node do (ClusterListener), never from a core's
 * own state; violations of the enabled invariants are thrown by `check`.
 */
export class InvariantChecker implements ClusterListener {
  private readonly safety = new RaftSafetyChecker();

  constructor(private readonly enabled: ReadonlySet<InvariantName>) {}

  private violate(invariant: InvariantName, details: () => string): void {
    if (this.enabled.has(invariant)) throw new InvariantViolation(invariant, details());
  }

  restored(node: string, base: { readonly index: number; readonly term: number }, entries: readonly LogEntry[]): void {
    this.safety.restored(node, base, entries.map(observed));
  }

  persisted(node: string, change: DurableChange): void {
    this.safety.logChanged(node, {
      term: change.term,
      entries: change.entries.map(observed),
      ...(change.snapshot !== undefined ? { snapshot: change.snapshot } : {}),
      ...(change.truncateFrom !== undefined ? { truncateFrom: change.truncateFrom } : {}),
    });
  }

  compacted(node: string, through: number): void {
    this.safety.compacted(node, through);
  }

  leadership(node: string, role: string, term: number): void {
    this.safety.leadership(node, role, term);
  }

  committed(node: string, commitIndex: number, term: number): void {
    this.safety.committedThrough(node, commitIndex, term);
  }

  acknowledged(node: string, matchIndex: number, term: number): void {
    this.safety.acknowledged(node, matchIndex, term);
  }

  applied(node: string, index: number, key: string): void {
    this.safety.applied(node, index, key);
  }

  snapshotRestored(node: string, metadata: SnapshotMetadata, state: AppliedState): void {
    if (state.length !== metadata.index)
      this.violate(
        "state-machine-safety",
        () => `${node} restored a snapshot of ${state.length} entries as ${metadata.index}`,
      );
    state.forEach((key, position) => this.safety.applied(node, position + 1, key));
  }

  /** Throws the first violation so far of an enabled invariant (the checker judges as the observations arrive). */
  check(): void {
    for (const violation of this.safety.takeViolations()) this.violate(violation.invariant, () => violation.details);
  }

  /** Reports a liveness failure (if that invariant is enabled). */
  livenessFailed(details: string): void {
    this.violate("liveness", () => details);
  }
}
