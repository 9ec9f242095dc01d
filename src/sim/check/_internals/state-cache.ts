/**
 * Lowe's cache for WGL: the (linearized set, model state) pairs already
 * explored. Reaching a pair again cannot lead anywhere new, so the search prunes
 * it. An open-addressing hash table (linear probing, load at most 1/2) keyed by
 * the set's Zobrist hash combined with the state's hash. Each slot holds the
 * pair's full hash next to its entry number, so a probe reads one cache line;
 * the sets' words are stored flat in one Uint32Array, so a lookup allocates
 * nothing.
 *
 * Its size is bounded by the caller's step budget: each step adds at most one pair.
 */
import { assert } from "../../assert.ts";
import { combineHashes } from "../hash.ts";
import type { LinearizedSet } from "./linearized-set.ts";

const initialSlotCount = 1024;

/** The set of explored (linearized set, state) pairs of one search. */
export class StateCache<State> {
  /** Slot `i`: the pair's hash at `2i`, its entry number + 1 at `2i + 1` (0: empty). */
  private slots = new Int32Array(2 * initialSlotCount);
  private slotMask = initialSlotCount - 1;
  private words: Uint32Array;
  private readonly states: State[] = [];
  private count = 0;

  constructor(
    private readonly wordCount: number,
    private readonly equal: (first: State, second: State) => boolean,
  ) {
    assert(
      Number.isInteger(wordCount) && wordCount >= 1,
      () => `word count must be a positive integer, got ${wordCount}`,
    );
    this.words = new Uint32Array((initialSlotCount / 2) * wordCount);
  }

  /** Pairs stored. */
  get size(): number {
    return this.count;
  }

  /** Stores (set, state) and returns true, or returns false if it was already stored. */
  addIfAbsent(set: LinearizedSet, state: State, stateHash: number): boolean {
    const hash = combineHashes(set.hash, stateHash) | 0;
    const slots = this.slots;
    let slot = hash & this.slotMask;
    while (true) {
      const stored = slots[2 * slot + 1] as number;
      if (stored === 0) break;
      if (
        slots[2 * slot] === hash &&
        this.sameSet(stored - 1, set.words) &&
        this.equal(this.states[stored - 1] as State, state)
      ) {
        return false;
      }
      slot = (slot + 1) & this.slotMask;
    }
    this.store(slot, hash, set.words, state);
    return true;
  }

  private sameSet(entry: number, words: Uint32Array): boolean {
    const offset = entry * this.wordCount;
    for (let word = 0; word < this.wordCount; word++) {
      if (this.words[offset + word] !== words[word]) return false;
    }
    return true;
  }

  private store(slot: number, hash: number, words: Uint32Array, state: State): void {
    const entry = this.count++;
    const offset = entry * this.wordCount;
    if (offset + this.wordCount > this.words.length) this.growWords();
    for (let word = 0; word < this.wordCount; word++) this.words[offset + word] = words[word] as number;
    this.states.push(state);
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = entry + 1;
    if (this.count * 2 > this.slotMask + 1) this.growSlots();
  }

  private growWords(): void {
    const words = new Uint32Array(this.words.length * 2);
    words.set(this.words);
    this.words = words;
  }

  private growSlots(): void {
    const old = this.slots;
    const slotCount = 2 * (this.slotMask + 1);
    const slots = new Int32Array(2 * slotCount);
    const mask = slotCount - 1;
    for (let index = 0; index < old.length; index += 2) {
      const stored = old[index + 1] as number;
      if (stored === 0) continue;
      const hash = old[index] as number;
      let slot = hash & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = hash;
      slots[2 * slot + 1] = stored;
    }
    this.slots = slots;
    this.slotMask = mask;
  }
}
