/**
 * CoverSet (Gazette's fragment.CoverSet): fragments of one journal, none covered
 * by another, ordered by Begin (and so by End too: with no fragment covering
 * another, both increase strictly).
 *
 * `a` covers `b` when a.begin <= b.begin and b.end <= a.end. Adding a fragment
 * covered by one already present is a no-op (false), unless it has exactly the
 * same span, which it replaces (true: a later copy of the same offsets, such as
 * the persisted fragment of a local spool, takes its place). Adding one removes
 * every fragment it covers.
 *
 * Seam for test fixtures: a subclass overrides `insert` (how an entry not
 * covered by its predecessor goes in) and `empty` (the sets it derives).
 */
import { assert } from "../../../../sim/assert.ts";
import type { Fragment } from "../../protocol/fragment.ts";

/** What a CoverSet holds: anything with a fragment (the index adds local content). */
export interface CoverSetEntry {
  readonly fragment: Fragment;
}

type Span = Pick<Fragment, "begin" | "end">;

/** True when `a` covers `b`. */
export function covers(a: Span, b: Span): boolean {
  return a.begin <= b.begin && b.end <= a.end;
}

export class CoverSet<T extends CoverSetEntry> {
  /** Invariant: ordered by begin, then end; no entry covers another. */
  protected readonly entries: T[] = [];

  /** A set of `entries`, added in order. */
  static of<T extends CoverSetEntry>(entries: Iterable<T>): CoverSet<T> {
    const set = new CoverSet<T>();
    for (const entry of entries) set.add(entry);
    return set;
  }

  get length(): number {
    return this.entries.length;
  }

  at(index: number): T {
    const entry = this.entries[index];
    assert(entry !== undefined, `CoverSet.at(${index}) out of range`);
    return entry;
  }

  toArray(): T[] {
    return [...this.entries];
  }

  /** Adds `entry` (see the file comment); false if it was covered and left out. */
  add(entry: T): boolean {
    const fragment = entry.fragment;
    assert(fragment.begin <= fragment.end, "CoverSet.add: Begin > End");
    const after = this.upperBound(fragment.begin);
    const previous = after > 0 ? this.entries[after - 1] : undefined;
    if (previous !== undefined && covers(previous.fragment, fragment)) {
      if (previous.fragment.begin !== fragment.begin || previous.fragment.end !== fragment.end) return false;
      this.entries[after - 1] = entry;
      return true;
    }
    this.insert(entry, after);
    return true;
  }

  /**
   * Seam: inserts `entry` (its predecessor does not cover it; `after` entries begin at or before it), replacing the
   * entries it covers.
   */
  protected insert(entry: T, _after: number): void {
    const first = this.lowerBound(entry.fragment.begin);
    let last = first;
    while (last < this.entries.length && (this.entries[last] as T).fragment.end <= entry.fragment.end) last++;
    this.entries.splice(first, last - first, entry);
  }

  /** Seam: an empty set of this kind (difference's result). */
  protected empty(): CoverSet<T> {
    return new CoverSet<T>();
  }

  /**
   * LongestOverlappingFragment: the index of the fragment covering `offset` that
   * extends furthest (the last one beginning at or before it), and true; or the
   * index of the first fragment beginning after `offset` (the set's length if
   * none), and false.
   */
  longestOverlapping(offset: number): { index: number; found: boolean } {
    const after = this.upperBound(offset);
    if (after > 0 && (this.entries[after - 1] as T).fragment.end > offset) return { index: after - 1, found: true };
    return { index: after, found: false };
  }

  /** Begin of the first fragment (0 when empty). */
  beginOffset(): number {
    return this.entries.length === 0 ? 0 : (this.entries[0] as T).fragment.begin;
  }

  /** End of the last fragment (0 when empty). */
  endOffset(): number {
    return this.entries.length === 0 ? 0 : (this.entries[this.entries.length - 1] as T).fragment.end;
  }

  /**
   * True when the union of this set's fragments covers every offset of `span` (an empty span: a fragment touching it).
   */
  coversSpan(span: Span): boolean {
    if (span.begin === span.end) {
      const after = this.upperBound(span.begin);
      return after > 0 && (this.entries[after - 1] as T).fragment.end >= span.begin;
    }
    let offset = span.begin;
    for (let steps = 0; offset < span.end; steps++) {
      assert(steps <= this.entries.length, "CoverSet.coversSpan: no progress");
      const { index, found } = this.longestOverlapping(offset);
      if (!found) return false;
      offset = (this.entries[index] as T).fragment.end;
    }
    return true;
  }

  /** CoverSetDifference: the entries of `a` not covered by the union of `b`'s fragments. */
  static difference<T extends CoverSetEntry>(a: CoverSet<T>, b: CoverSet<CoverSetEntry>): CoverSet<T> {
    const out = a.empty();
    for (const entry of a.entries) if (!b.coversSpan(entry.fragment)) out.entries.push(entry);
    return out;
  }

  /** Number of entries whose Begin is <= `offset`. */
  private upperBound(offset: number): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as T).fragment.begin <= offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Number of entries whose Begin is < `offset`. */
  private lowerBound(offset: number): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as T).fragment.begin < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
