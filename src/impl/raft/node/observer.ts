/**
 * RaftObserver: what a node was seen to do, reported as it does it, for checkers
 * that judge a cluster from observations (testing/safety-checker.ts). Every call
 * is made at the point where the fact becomes true for the outside world: a log
 * change once it is durable, a message when it leaves, a leadership change once it
 * is reported, an entry when the state machine applied it. Optional: a node
 * without an observer pays nothing.
 */
import type { Crc32 } from "../../../sim/env.ts";
import type { LogEntry, RaftRole } from "../core/index.ts";
import type { LogChange, ObservedEntry, RaftSafetyChecker } from "../testing/safety-checker.ts";

export interface RaftObserver {
  /** The node started from its durable state: the log base and the entries it read back. */
  restored(base: { readonly index: number; readonly term: number }, entries: readonly LogEntry[]): void;
  /** A change of the log is durable (a snapshot replacing it, a truncation, appended entries, in that order). */
  persisted(change: {
    readonly term: number;
    readonly snapshot?: { readonly index: number; readonly term: number };
    readonly truncateFrom?: number;
    readonly entries: readonly LogEntry[];
  }): void;
  /** The log was compacted through `index` behind a snapshot of this node's own. */
  compacted(index: number): void;
  leadership(role: RaftRole, term: number): void;
  /** The node's commit index reached `commitIndex`, in its term `term`. */
  committed(commitIndex: number, term: number): void;
  applied(entry: LogEntry): void;
  /**
   * The node told the leader of `term` that it holds the log through `matchIndex` (a successful append response left).
   */
  acknowledged(matchIndex: number, term: number): void;
}

/** An observer that feeds a RaftSafetyChecker under the name `server`, keying entries by their content's CRC-32. */
export function safetyObserver(checker: RaftSafetyChecker, server: string, crc32: Crc32): RaftObserver {
  const observed = (entry: LogEntry): ObservedEntry => ({
    index: entry.index,
    term: entry.term,
    key: entryKey(entry, crc32),
  });
  return {
    restored: (base, entries) => checker.restored(server, base, entries.map(observed)),
    persisted: (change) => {
      const logChange: LogChange = {
        term: change.term,
        entries: change.entries.map(observed),
        ...(change.snapshot !== undefined ? { snapshot: change.snapshot } : {}),
        ...(change.truncateFrom !== undefined ? { truncateFrom: change.truncateFrom } : {}),
      };
      checker.logChanged(server, logChange);
    },
    compacted: (index) => checker.compacted(server, index),
    leadership: (role, term) => checker.leadership(server, role, term),
    committed: (commitIndex, term) => checker.committedThrough(server, commitIndex, term),
    applied: (entry) => checker.applied(server, entry.index, entryKey(entry, crc32)),
    acknowledged: (matchIndex, term) => checker.acknowledged(server, matchIndex, term),
  };
}

/** An entry's content as a short key: term, kind, data length and CRC-32, and a configuration's voters. */
export function entryKey(entry: LogEntry, crc32: Crc32): string {
  const voters = entry.configuration === undefined ? "" : `[${entry.configuration.voters.join(",")}]`;
  return `${entry.term}:${entry.kind}:${entry.data.length}:${crc32(entry.data).toString(16)}${voters}`;
}
