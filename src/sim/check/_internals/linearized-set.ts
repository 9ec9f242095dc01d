/**
 * The set of operations linearized so far, as a bitset over operation slots
 * (32 per word), with a Zobrist hash kept up to date on every change: each slot
 * has a fixed pseudo-random 32-bit key, and the hash is the XOR of the keys of
 * the members, so `add` and `remove` update it in O(1).
 */
import { assert, AssertionError } from "../../assert.ts";
import { mixInteger } from "../hash.ts";

/** A set of operation slots with an O(1)-maintained Zobrist hash. */
export class LinearizedSet {
  /** The members, slot `i` in bit `i % 32` of word `i >> 5`. */
  readonly words: Uint32Array;
  private readonly keys: Uint32Array;
  private currentHash = 0;
  private currentSize = 0;

  constructor(readonly capacity: number) {
    assert(
      Number.isInteger(capacity) && capacity >= 0,
      () => `capacity must be a non-negative integer, got ${capacity}`,
    );
    this.words = new Uint32Array(Math.max(1, Math.ceil(capacity / 32)));
    this.keys = new Uint32Array(capacity);
    for (let slot = 0; slot < capacity; slot++) this.keys[slot] = mixInteger(Math.imul(slot + 1, 0x9e3779b9));
  }

  /** The Zobrist hash of the current members (unsigned 32-bit). */
  get hash(): number {
    return this.currentHash >>> 0;
  }

  get size(): number {
    return this.currentSize;
  }

  has(slot: number): boolean {
    return ((this.words[slot >>> 5] as number) & (1 << (slot & 31))) !== 0;
  }

  add(slot: number): void {
    if (this.has(slot)) throw new AssertionError(`slot ${slot} is already linearized`);
    this.words[slot >>> 5] = (this.words[slot >>> 5] as number) | (1 << (slot & 31));
    this.currentHash ^= this.keys[slot] as number;
    this.currentSize++;
  }

  remove(slot: number): void {
    if (!this.has(slot)) throw new AssertionError(`slot ${slot} is not linearized`);
    this.words[slot >>> 5] = (this.words[slot >>> 5] as number) & ~(1 << (slot & 31));
    this.currentHash ^= this.keys[slot] as number;
    this.currentSize--;
  }
}
