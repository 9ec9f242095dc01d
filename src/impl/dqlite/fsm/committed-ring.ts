/**
 * The IDs of the most recently committed transactions (go-dqlite's registry keeps
 * the last 10,000 in a ring): a leader that lost leadership in the middle of a
 * commit looks its transaction up here to learn whether the commit went through.
 * The oldest ID is evicted first once the ring is full.
 */
import { assert } from "../../../sim/assert.ts";
import type { TxnId } from "../types.ts";

/** How many committed transaction IDs are remembered (go-dqlite's size). */
export const COMMITTED_TXN_IDS_MAX = 10_000;

export class CommittedRing {
  private readonly slots: (TxnId | undefined)[];
  private cursor = 0;
  /** How many slots hold each ID (an ID may in principle be added twice; eviction must not forget the other copy). */
  private readonly counts = new Map<TxnId, number>();

  constructor(readonly capacity: number = COMMITTED_TXN_IDS_MAX) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, `committed ring capacity ${capacity}`);
    this.slots = new Array<TxnId | undefined>(capacity).fill(undefined);
  }

  /** Remembers `txid`, evicting the oldest ID when full. */
  add(txid: TxnId): void {
    const evicted = this.slots[this.cursor];
    if (evicted !== undefined) {
      const count = this.counts.get(evicted);
      assert(count !== undefined && count > 0, `committed ring lost count of ${evicted}`);
      if (count === 1) this.counts.delete(evicted);
      else this.counts.set(evicted, count - 1);
    }
    this.slots[this.cursor] = txid;
    this.counts.set(txid, (this.counts.get(txid) ?? 0) + 1);
    this.cursor = (this.cursor + 1) % this.capacity;
  }

  /** True if `txid` is among the last `capacity` IDs added. */
  has(txid: TxnId): boolean {
    return this.counts.has(txid);
  }

  /** Number of IDs remembered (at most `capacity`). */
  get size(): number {
    let size = 0;
    for (const count of this.counts.values()) size += count;
    return size;
  }
}
