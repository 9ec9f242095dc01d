/**
 * The core's in-memory copy of its log: the entries after a base (the last entry
 * compacted away into a snapshot, or index 0), and the base's term.
 *
 * Invariants (asserted): entries are contiguous from `baseIndex + 1`, terms never
 * decrease along the log, and the base never moves backwards except by `resetTo`
 * (installing a snapshot).
 */
import { assert } from "../../../sim/assert.ts";
import type { Configuration, LogEntry } from "./types.ts";

export class RaftLog {
  private base: number;
  private baseTermValue: number;
  private entries: LogEntry[] = [];

  constructor(baseIndex: number, baseTerm: number, entries: readonly LogEntry[]) {
    assert(
      Number.isSafeInteger(baseIndex) && baseIndex >= 0,
      `log base index must be a non-negative integer, got ${baseIndex}`,
    );
    assert(baseIndex > 0 || baseTerm === 0, "the term of index 0 is 0");
    this.base = baseIndex;
    this.baseTermValue = baseTerm;
    this.append(entries);
  }

  /** Index of the last entry not held any more (0 if none was ever compacted). */
  get baseIndex(): number {
    return this.base;
  }

  get baseTerm(): number {
    return this.baseTermValue;
  }

  get firstIndex(): number {
    return this.base + 1;
  }

  get lastIndex(): number {
    return this.base + this.entries.length;
  }

  get lastTerm(): number {
    return this.entries[this.entries.length - 1]?.term ?? this.baseTermValue;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The term at `index`: known from the base through the last entry, undefined elsewhere. */
  termAt(index: number): number | undefined {
    if (index === this.base) return this.baseTermValue;
    return this.entryAt(index)?.term;
  }

  /** The entry at `index`, if this log holds it (not compacted, not beyond the end). */
  entryAt(index: number): LogEntry | undefined {
    if (index <= this.base) return undefined;
    return this.entries[index - this.base - 1];
  }

  /** True when this log holds an entry (or the base) at `index` with `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /** Up to `countMax` entries from `from` (which must be held or one past the end). */
  slice(from: number, countMax: number): LogEntry[] {
    assert(
      from > this.base && from <= this.lastIndex + 1,
      `slice from ${from} outside ${this.firstIndex}..${this.lastIndex + 1}`,
    );
    const start = from - this.base - 1;
    return this.entries.slice(start, start + countMax);
  }

  /** Every entry held, oldest first (a copy). */
  all(): LogEntry[] {
    return this.entries.slice();
  }

  /** Appends entries that start right after the last one. */
  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      assert(entry.index === this.lastIndex + 1, `append of index ${entry.index} after ${this.lastIndex}`);
      assert(entry.term >= this.lastTerm, `append of term ${entry.term} after term ${this.lastTerm}`);
      this.entries.push(entry);
    }
  }

  /** Removes every entry at or after `index` (which must be after the base). */
  truncateFrom(index: number): void {
    assert(index > this.base, `truncate from ${index} at or below the base ${this.base}`);
    if (index > this.lastIndex) return;
    this.entries.length = index - this.base - 1;
  }

  /** Drops the entries through `index` (held, or the base): they are in a snapshot. */
  compactThrough(index: number): void {
    if (index <= this.base) return;
    const term = this.termAt(index);
    assert(term !== undefined, `compact through ${index} beyond the last index ${this.lastIndex}`);
    this.entries = this.entries.slice(index - this.base);
    this.base = index;
    this.baseTermValue = term;
  }

  /** Discards everything: the log restarts after a snapshot's last entry. */
  resetTo(index: number, term: number): void {
    this.entries = [];
    this.base = index;
    this.baseTermValue = term;
  }

  /**
   * The largest index at or below `index` whose term is at most `term`, and not
   * below the base (etcd's findConflictByTerm): where two logs may last agree.
   */
  findConflictByTerm(index: number, term: number): number {
    let candidate = Math.min(index, this.lastIndex);
    while (candidate > this.base) {
      const candidateTerm = this.termAt(candidate) as number;
      if (candidateTerm <= term) return candidate;
      candidate--;
    }
    return this.base;
  }

  /** Raft §5.4.1: a log ending at (lastTerm, lastIndex) is at least as up to date as this one. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  /** The last configuration entry held, if any. */
  lastConfiguration(): { configuration: Configuration; index: number } | undefined {
    for (let position = this.entries.length - 1; position >= 0; position--) {
      const entry = this.entries[position] as LogEntry;
      if (entry.kind === "configuration" && entry.configuration !== undefined)
        return { configuration: entry.configuration, index: entry.index };
    }
    return undefined;
  }

  /** The last configuration entry at or before `index`, if held. */
  configurationAt(index: number): { configuration: Configuration; index: number } | undefined {
    for (let candidate = Math.min(index, this.lastIndex); candidate > this.base; candidate--) {
      const entry = this.entryAt(candidate) as LogEntry;
      if (entry.kind === "configuration" && entry.configuration !== undefined)
        return { configuration: entry.configuration, index: entry.index };
    }
    return undefined;
  }
}
