/**
 * Raft's safety properties across a cluster, checked incrementally from what each
 * server was observed to do: the entries it made durable (and truncated, or
 * replaced by a snapshot), the leaderships it reported, the commit index it
 * reached, the entries it applied, and the appends it acknowledged. The core
 * properties feed it from their in-memory cluster, every Raft-based scenario from
 * its nodes' observers (node/observer.ts); it never reads a server's own state.
 *
 * Invariants (Raft paper, Figure 3, and one of the driver's contract):
 * - election-safety: at most one server leads any term;
 * - leader-append-only: while it leads a term, a server never truncates its log
 *   or replaces it with a snapshot;
 * - log-matching: entries of the same index and term on two servers hold the same
 *   command and follow entries of the same term (so, by induction, the logs agree
 *   up to them);
 * - leader-completeness: a server that becomes leader of term T holds every entry
 *   any server committed in an earlier term (or a snapshot past it);
 * - state-machine-safety: no two servers commit, or apply, different entries at one index;
 * - acknowledged-entries-held: a server acknowledges an append through index M
 *   only once it holds (durably) an entry at M of the leader's term or earlier.
 *
 * Memory: one mirror of each server's durable log, plus the committed entries;
 * entries behind every server's snapshot base are forgotten.
 */
import { assert } from "../../../sim/assert.ts";

export const RAFT_SAFETY_INVARIANTS = [
  "election-safety",
  "leader-append-only",
  "log-matching",
  "leader-completeness",
  "state-machine-safety",
  "acknowledged-entries-held",
] as const;

export type RaftSafetyInvariant = (typeof RAFT_SAFETY_INVARIANTS)[number];

export interface RaftSafetyViolation {
  readonly invariant: RaftSafetyInvariant;
  readonly server: string;
  readonly details: string;
}

/** An entry as the checker sees it: its place and a key naming its content (equal keys: equal commands). */
export interface ObservedEntry {
  readonly index: number;
  readonly term: number;
  readonly key: string;
}

/** One durable change of a server's log, in the order the server made it. */
export interface LogChange {
  /** The server's term when the change was made durable: a later term than the one it led means it leads no more. */
  readonly term?: number;
  /** The log was replaced by a snapshot ending at this entry. */
  readonly snapshot?: { readonly index: number; readonly term: number };
  /** Entries at and after this index were deleted. */
  readonly truncateFrom?: number;
  /** Entries appended (after the truncation). */
  readonly entries: readonly ObservedEntry[];
}

/** A server's durable log, as observed. Invariant: entries[i] is at index base.index + 1 + i. */
interface LogMirror {
  base: { index: number; term: number };
  entries: ObservedEntry[];
}

export class RaftSafetyChecker {
  private readonly logs = new Map<string, LogMirror>();
  private readonly leaderOfTerm = new Map<number, string>();
  /** The term each server leads now, while it leads. */
  private readonly leading = new Map<string, number>();
  /** (index, term) → the key of the entry, and the term of the entry before it. */
  private readonly placed = new Map<string, { key: string; previousTerm: number; server: string }>();
  /** index → the committed entry's key and the term in which it was first seen committed. */
  private readonly committed = new Map<number, { key: string; term: number; server: string }>();
  private readonly commitIndex = new Map<string, number>();
  private readonly appliedAt = new Map<number, { key: string; server: string }>();
  private readonly violations: RaftSafetyViolation[] = [];

  /** The violations found so far, each once. */
  takeViolations(): RaftSafetyViolation[] {
    return this.violations.splice(0);
  }

  /** A server restarted from its durable state: its log is what it read back, and it leads nothing. */
  restored(server: string, base: { index: number; term: number }, entries: readonly ObservedEntry[]): void {
    this.leading.delete(server);
    this.logs.set(server, { base: { ...base }, entries: [] });
    this.logChanged(server, { entries });
  }

  /** `server` made `change` durable. */
  logChanged(server: string, change: LogChange): void {
    const log = this.logOf(server);
    let leads = this.leading.get(server);
    if (leads !== undefined && change.term !== undefined && change.term > leads) {
      // It moved to a later term (its step-down is reported after this change is durable).
      this.leading.delete(server);
      leads = undefined;
    }
    if (change.snapshot !== undefined) {
      if (leads !== undefined)
        this.violate(
          "leader-append-only",
          server,
          `${server}, leader of term ${leads}, replaced its log by a snapshot at ${change.snapshot.index}`,
        );
      log.base = { ...change.snapshot };
      log.entries = [];
    }
    if (change.truncateFrom !== undefined && change.truncateFrom <= log.base.index + log.entries.length) {
      if (leads !== undefined)
        this.violate(
          "leader-append-only",
          server,
          `${server}, leader of term ${leads}, truncated its log from ${change.truncateFrom}`,
        );
      log.entries.length = Math.max(0, change.truncateFrom - log.base.index - 1);
    }
    for (const entry of change.entries) this.append(server, log, entry);
  }

  /** `server` compacted its log through `index` (a snapshot of its own): entries up to it are no longer held. */
  compacted(server: string, index: number): void {
    const log = this.logOf(server);
    if (index <= log.base.index) return;
    const through = log.entries[index - log.base.index - 1];
    assert(through !== undefined, `checker: ${server} compacted through ${index}, beyond its log`);
    log.entries = log.entries.slice(index - log.base.index);
    log.base = { index, term: through.term };
  }

  /** `server` reported a leadership change (after it was durable). */
  leadership(server: string, role: string, term: number): void {
    if (role !== "leader") {
      this.leading.delete(server);
      return;
    }
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== server)
      this.violate("election-safety", server, `${server} and ${other} both lead term ${term}`);
    this.leaderOfTerm.set(term, server);
    this.leading.set(server, term);
    this.checkCompleteness(server, term);
  }

  /** `server`'s commit index reached `commitIndex` (in its current term `term`). */
  committedThrough(server: string, commitIndex: number, term: number): void {
    const log = this.logOf(server);
    const seen = this.commitIndex.get(server) ?? 0;
    for (let index = Math.max(seen + 1, log.base.index + 1); index <= commitIndex; index++) {
      const entry = log.entries[index - log.base.index - 1];
      if (entry === undefined) break;
      const known = this.committed.get(index);
      if (known !== undefined && known.key !== entry.key) {
        this.violate(
          "state-machine-safety",
          server,
          `${server} committed ${entry.key} at ${index}, ${known.server} committed ${known.key}`,
        );
      }
      if (known === undefined || term < known.term) this.committed.set(index, { key: entry.key, term, server });
    }
    this.commitIndex.set(server, Math.max(seen, commitIndex));
  }

  /** `server` applied the entry `key` at `index` to its state machine. */
  applied(server: string, index: number, key: string): void {
    const previous = this.appliedAt.get(index);
    if (previous !== undefined && previous.key !== key) {
      this.violate(
        "state-machine-safety",
        server,
        `${server} applied ${key} at ${index}, ${previous.server} applied ${previous.key}`,
      );
    }
    this.appliedAt.set(index, { key, server });
  }

  /** `server` acknowledged to the leader of `term` that it holds the log through `matchIndex`. */
  acknowledged(server: string, matchIndex: number, term: number): void {
    const log = this.logOf(server);
    if (matchIndex <= log.base.index) return;
    const entry = log.entries[matchIndex - log.base.index - 1];
    if (entry === undefined || entry.term > term) {
      const held =
        entry === undefined
          ? `its durable log ends at ${log.base.index + log.entries.length}`
          : `it holds term ${entry.term} there`;
      this.violate(
        "acknowledged-entries-held",
        server,
        `${server} acknowledged the log through ${matchIndex} to the leader of term ${term}, but ${held}`,
      );
    }
  }

  private append(server: string, log: LogMirror, entry: ObservedEntry): void {
    const expected = log.base.index + log.entries.length + 1;
    assert(entry.index === expected, `checker: ${server} appended ${entry.index}, expected ${expected}`);
    const previousTerm = log.entries[log.entries.length - 1]?.term ?? log.base.term;
    const place = `${entry.index}/${entry.term}`;
    const known = this.placed.get(place);
    if (known === undefined) {
      this.placed.set(place, { key: entry.key, previousTerm, server });
    } else if (known.key !== entry.key || known.previousTerm !== previousTerm) {
      const what =
        known.key !== entry.key
          ? `${entry.key}, ${known.server} holds ${known.key}`
          : `after term ${previousTerm}, ${known.server}'s follows term ${known.previousTerm}`;
      this.violate("log-matching", server, `${server} holds entry ${place} as ${what}`);
    }
    log.entries.push(entry);
  }

  private checkCompleteness(server: string, term: number): void {
    const log = this.logOf(server);
    for (const [index, entry] of this.committed) {
      if (entry.term >= term || index <= log.base.index) continue;
      const held = log.entries[index - log.base.index - 1];
      if (held === undefined || held.key !== entry.key) {
        this.violate(
          "leader-completeness",
          server,
          `${server}, leader of term ${term}, lacks ${entry.key} committed at ${index} in term ${entry.term} (holds ${held?.key ?? "nothing"})`,
        );
      }
    }
  }

  private logOf(server: string): LogMirror {
    let log = this.logs.get(server);
    if (log === undefined) this.logs.set(server, (log = { base: { index: 0, term: 0 }, entries: [] }));
    return log;
  }

  private violate(invariant: RaftSafetyInvariant, server: string, details: string): void {
    this.violations.push({ invariant, server, details });
  }
}
