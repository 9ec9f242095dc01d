/**
 * Raft's safety properties (Raft paper, Figure 3), checked continuously over a
 * CoreCluster, plus liveness as a named failure:
 * - election-safety: at most one leader per term;
 * - leader-append-only: a leader never overwrites or deletes entries of its log while it leads in a term;
 * - log-matching: two logs with an entry of the same index and term agree on every entry up to it;
 * - leader-completeness: an entry committed in a term is in the log of every leader of a later term;
 * - state-machine-safety: no two servers apply (or commit) different entries at the same index;
 * - liveness: once the schedule is fair, a leader emerges and a proposal is applied everywhere.
 */
import type { LeadershipChange, LogEntry, Ready, SnapshotMetadata } from "../../../src/impl/raft/core/index.ts";
import { entryKey, type AppliedState, type ClusterListener, type CoreCluster, type HarnessNode } from "./core-cluster.ts";

export const INVARIANTS = [
  "election-safety",
  "leader-append-only",
  "log-matching",
  "leader-completeness",
  "state-machine-safety",
  "liveness",
] as const;

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

interface LogView {
  readonly id: string;
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly baseIndex: number;
  readonly entries: readonly LogEntry[];
}

function viewOf(node: HarnessNode): LogView {
  const status = node.core.status();
  return {
    id: node.id, role: status.role, term: status.term, commitIndex: status.commitIndex, baseIndex: status.firstIndex - 1,
    entries: node.core.entries(),
  };
}

function entryAt(view: LogView, index: number): LogEntry | undefined {
  return view.entries[index - view.baseIndex - 1];
}

export class InvariantChecker implements ClusterListener {
  private readonly leaderOfTerm = new Map<number, string>();
  private readonly leaderLogs = new Map<string, { term: number; entries: readonly LogEntry[] }>();
  /** index → the committed entry's key and the lowest term at which any server was seen to hold it committed. */
  private readonly committed = new Map<number, { key: string; term: number }>();
  private readonly appliedAt = new Map<number, string>();
  private readonly commitSeen = new Map<string, number>();

  constructor(private readonly enabled: ReadonlySet<InvariantName>) {}

  private violate(invariant: InvariantName, details: () => string): void {
    if (this.enabled.has(invariant)) throw new InvariantViolation(invariant, details());
  }

  readyProduced(node: string, ready: Ready): void {
    if (ready.leadership !== undefined) this.noteLeadership(node, ready.leadership);
  }

  applied(node: string, index: number, key: string): void {
    const previous = this.appliedAt.get(index);
    if (previous !== undefined && previous !== key) {
      this.violate("state-machine-safety", () => `${node} applied ${key} at ${index}, another server applied ${previous}`);
    }
    this.appliedAt.set(index, key);
  }

  snapshotRestored(node: string, metadata: SnapshotMetadata, state: AppliedState): void {
    if (state.length !== metadata.index) this.violate("state-machine-safety", () => `${node} restored a snapshot of ${state.length} entries as ${metadata.index}`);
    state.forEach((key, position) => this.applied(node, position + 1, key));
  }

  private noteLeadership(node: string, change: LeadershipChange): void {
    if (change.role !== "leader") return;
    const other = this.leaderOfTerm.get(change.term);
    if (other !== undefined && other !== node) this.violate("election-safety", () => `${node} and ${other} both lead term ${change.term}`);
    this.leaderOfTerm.set(change.term, node);
  }

  /** Checks the whole cluster (after every action). */
  check(cluster: CoreCluster): void {
    const views = [...cluster.nodes.values()].map(viewOf);
    for (const view of views) {
      if (view.role === "leader") {
        this.noteLeadership(view.id, { role: "leader", leaderId: view.id, term: view.term });
        this.checkAppendOnly(view);
      }
      this.noteCommits(view);
    }
    this.checkLogMatching(views);
    for (const view of views) if (view.role === "leader") this.checkCompleteness(view);
  }

  private checkAppendOnly(view: LogView): void {
    const previous = this.leaderLogs.get(view.id);
    if (previous !== undefined && previous.term === view.term) {
      for (const entry of previous.entries) {
        if (entry.index <= view.baseIndex) continue;
        const now = entryAt(view, entry.index);
        if (now === undefined || entryKey(now) !== entryKey(entry)) {
          this.violate("leader-append-only", () =>
            `${view.id}, leader of term ${view.term}, had ${entryKey(entry)} at ${entry.index} and now has ${now === undefined ? "nothing" : entryKey(now)}`);
        }
      }
    }
    this.leaderLogs.set(view.id, { term: view.term, entries: view.entries });
  }

  private noteCommits(view: LogView): void {
    const seen = this.commitSeen.get(view.id) ?? 0;
    for (let index = Math.max(seen + 1, view.baseIndex + 1); index <= view.commitIndex; index++) {
      const entry = entryAt(view, index);
      if (entry === undefined) continue;
      const key = entryKey(entry);
      const known = this.committed.get(index);
      if (known !== undefined && known.key !== key) {
        this.violate("state-machine-safety", () => `${view.id} committed ${key} at ${index}, another server committed ${known.key}`);
      }
      this.committed.set(index, { key, term: Math.min(known?.term ?? view.term, view.term) });
    }
    this.commitSeen.set(view.id, Math.max(seen, view.commitIndex));
  }

  private checkLogMatching(views: readonly LogView[]): void {
    for (let first = 0; first < views.length; first++) {
      for (let second = first + 1; second < views.length; second++) {
        this.checkPair(views[first] as LogView, views[second] as LogView);
      }
    }
  }

  private checkPair(a: LogView, b: LogView): void {
    const low = Math.max(a.baseIndex, b.baseIndex) + 1;
    const high = Math.min(a.baseIndex + a.entries.length, b.baseIndex + b.entries.length);
    let matched = 0;
    for (let index = high; index >= low; index--) {
      if ((entryAt(a, index) as LogEntry).term === (entryAt(b, index) as LogEntry).term) {
        matched = index;
        break;
      }
    }
    for (let index = low; index <= matched; index++) {
      const left = entryKey(entryAt(a, index) as LogEntry);
      const right = entryKey(entryAt(b, index) as LogEntry);
      if (left !== right) {
        this.violate("log-matching", () => `${a.id} and ${b.id} agree at ${matched} but differ at ${index}: ${left} vs ${right}`);
      }
    }
  }

  private checkCompleteness(leader: LogView): void {
    for (const [index, committed] of this.committed) {
      if (committed.term >= leader.term || index <= leader.baseIndex) continue;
      const entry = entryAt(leader, index);
      if (entry === undefined || entryKey(entry) !== committed.key) {
        this.violate("leader-completeness", () =>
          `${leader.id}, leader of term ${leader.term}, lacks ${committed.key} committed at ${index} by term ${committed.term} (has ${entry === undefined ? "nothing" : entryKey(entry)})`);
      }
    }
  }

  /** Reports a liveness failure (if that invariant is enabled). */
  livenessFailed(details: string): void {
    this.violate("liveness", () => details);
  }
}
