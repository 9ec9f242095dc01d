/**
 * Lowe's cache for WGL: the (linearized set, model state) pairs already
 * explored. Reaching a pair again cannot lead anywhere new, so the search prunes
 * it. An open-addressing hash table (linear probing, load at most 1/2) keyed by
 * the set's Zobrist hash combined with the state's hash; members are stored flat
 * (the set's words in one Uint32Array) so that a lookup allocates nothing.
 *
 * Its size is bounded by the caller's step budget: each step adds at most one pair.
 */
import { assert } from "../assert.ts";
import { combineHashes } from "../hash.ts";
import type { LinearizedSet } from "./linearized-set.ts";

const initialSlotCount = 1024;

export class StateCache<State> {
  private slots = new Int32Array(initialSlotCount);
  private hashes = new Uint32Array(initialSlotCount / 2);
  private words: Uint32Array;
  private readonly states: State[] = [];
  private count = 0;

  constructor(
    private readonly wordCount: number,
    private readonly equal: (first: State, second: State) => boolean,
  ) {
    assert(Number.isInteger(wordCount) && wordCount >= 1, () => `word count must be a positive integer, got ${wordCount}`);
    this.words = new Uint32Array((initialSlotCount / 2) * wordCount);
  }

  /** Pairs stored. */
  get size(): number {
    return this.count;
  }

  /** Stores (set, state) and returns true, or returns false if it was already stored. */
  addIfAbsent(set: LinearizedSet, state: State, stateHash: number): boolean {
    const hash = combineHashes(set.hash, stateHash);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (true) {
      const stored = this.slots[slot] as number;
      if (stored === 0) break;
      const entry = stored - 1;
      if (this.hashes[entry] === hash && this.sameSet(entry, set.words) && this.equal(this.states[entry] as State, state)) {
        return false;
      }
      slot = (slot + 1) & mask;
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
    if (entry >= this.hashes.length) this.growEntries();
    this.hashes[entry] = hash;
    this.words.set(words.subarray(0, this.wordCount), entry * this.wordCount);
    this.states.push(state);
    this.slots[slot] = entry + 1;
    if (this.count * 2 > this.slots.length) this.growSlots();
  }

  private growEntries(): void {
    const hashes = new Uint32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const words = new Uint32Array(this.words.length * 2);
    words.set(this.words);
    this.words = words;
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = (this.hashes[entry] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry + 1;
    }
    this.slots = slots;
  }
}
