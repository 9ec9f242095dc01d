/**
 * The WGL history list: every operation's call entry and return entry, sorted
 * by position, in a doubly linked list over typed arrays. Linearizing an
 * operation "lifts" its two entries out of the list; backtracking "unlifts"
 * them back in exactly where they were (dancing links), so both are O(1).
 *
 * Entry 0 is the head sentinel and entry `2n + 1` the tail sentinel; entries
 * 1..2n are the calls and returns. At equal positions calls sort first (the two
 * operations are then treated as concurrent, the permissive reading).
 */
import { assert } from "../../assert.ts";

/** Marks a return entry in `match`. */
export const isReturnEntry = -1;

export interface EntryBounds {
  readonly call: number;
  readonly return: number;
}

/** The call and return entries of one partition's operations, as a liftable linked list. */
export class EntryList {
  readonly head = 0;
  readonly tail: number;
  readonly next: Int32Array;
  readonly previous: Int32Array;
  /** For a call entry, its return entry; for a return entry, `isReturnEntry`. */
  readonly match: Int32Array;
  /** The operation (its index in the list given to the constructor) of each entry. */
  readonly slotOf: Int32Array;

  constructor(operations: readonly EntryBounds[]) {
    const count = operations.length;
    this.tail = 2 * count + 1;
    this.next = new Int32Array(this.tail + 1);
    this.previous = new Int32Array(this.tail + 1);
    this.match = new Int32Array(this.tail + 1).fill(isReturnEntry);
    this.slotOf = new Int32Array(this.tail + 1).fill(-1);
    const order = sortedEntries(operations);
    const callEntryOf = new Int32Array(count);
    order.forEach((sorted, position) => {
      const entry = position + 1;
      this.slotOf[entry] = sorted.slot;
      if (sorted.isCall) callEntryOf[sorted.slot] = entry;
      else this.match[callEntryOf[sorted.slot] as number] = entry;
    });
    for (let entry = 0; entry <= this.tail; entry++) {
      this.next[entry] = entry + 1;
      this.previous[entry] = entry - 1;
    }
  }

  /** The first entry still in the list (the tail when empty). */
  first(): number {
    return this.next[this.head] as number;
  }

  isEmpty(): boolean {
    return this.next[this.head] === this.tail;
  }

  /** Removes a call entry and its return entry from the list. */
  lift(callEntry: number): void {
    const returnEntry = this.match[callEntry] as number;
    this.unlink(callEntry);
    this.unlink(returnEntry);
  }

  /** Puts back the entries of the most recently lifted call (lifts and unlifts nest). */
  unlift(callEntry: number): void {
    const returnEntry = this.match[callEntry] as number;
    this.relink(returnEntry);
    this.relink(callEntry);
  }

  private unlink(entry: number): void {
    const before = this.previous[entry] as number;
    const after = this.next[entry] as number;
    this.next[before] = after;
    this.previous[after] = before;
  }

  private relink(entry: number): void {
    this.next[this.previous[entry] as number] = entry;
    this.previous[this.next[entry] as number] = entry;
  }
}

interface SortedEntry {
  readonly position: number;
  readonly isCall: boolean;
  readonly slot: number;
}

function sortedEntries(operations: readonly EntryBounds[]): SortedEntry[] {
  const entries: SortedEntry[] = [];
  operations.forEach((operation, slot) => {
    assert(
      Number.isFinite(operation.call),
      () => `operation ${slot}: call position must be finite, got ${operation.call}`,
    );
    assert(
      operation.return > operation.call,
      () => `operation ${slot}: return ${operation.return} is not after call ${operation.call}`,
    );
    entries.push({ position: operation.call, isCall: true, slot }, { position: operation.return, isCall: false, slot });
  });
  return entries.sort(
    (first, second) =>
      first.position - second.position || Number(second.isCall) - Number(first.isCall) || first.slot - second.slot,
  );
}
