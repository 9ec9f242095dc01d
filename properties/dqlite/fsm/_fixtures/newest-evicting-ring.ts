/**
 * A broken committed-ID ring, to show the ring property can fail: once full, it
 * overwrites its last slot, evicting the newest ID instead of the oldest.
 */
export class NewestEvictingRing {
  private readonly slots: number[] = [];
  constructor(readonly capacity: number) {}

  add(txid: number): void {
    if (this.slots.length < this.capacity) this.slots.push(txid);
    else this.slots[this.capacity - 1] = txid;
  }

  has(txid: number): boolean {
    return this.slots.includes(txid);
  }
}
