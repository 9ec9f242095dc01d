/**
 * go-dqlite's registry, the part the FSM shares with the leader's replication code:
 * the transactions of this node (by ID and by database: at most one per database),
 * the IDs of recently committed transactions, and the FSM index (the last applied
 * Raft index).
 *
 * The registry is synchronous and in memory: JavaScript runs one continuation at a
 * time, so the seed's registry lock is the FSM's own serialisation of apply,
 * snapshot and restore. Breaking "one transaction per database" or removing an
 * unknown transaction is a programmer error (assertion): callers look first.
 */
import { assert } from "../../../sim/assert.ts";
import type { DatabaseFiles, TxnId } from "../types.ts";
import { CommittedRing, COMMITTED_TXN_IDS_MAX } from "./committed-ring.ts";
import { Transaction } from "./transaction.ts";

export class Registry {
  private readonly byId = new Map<TxnId, Transaction>();
  private readonly byFilename = new Map<string, Transaction>();
  private readonly committed: CommittedRing;
  private currentIndex = 0;
  /** Who waits for a transaction to leave the registry (`txnUnregistered`). */
  private readonly unregisterWaiters = new Map<
    Transaction,
    { readonly promise: Promise<void>; readonly resolve: () => void }
  >();

  constructor(committedCapacity: number = COMMITTED_TXN_IDS_MAX) {
    this.committed = new CommittedRing(committedCapacity);
  }

  /** Registers a leader transaction (the leader's replication code does, when SQLite begins a write). */
  txnLeaderAdd(filename: string, txid: TxnId): Transaction {
    return this.add(Transaction.leader(filename, txid));
  }

  /** Registers a follower transaction writing through `files`. */
  txnFollowerAdd(files: DatabaseFiles, txid: TxnId): Transaction {
    return this.add(Transaction.follower(files, txid));
  }

  /**
   * Replaces a zombie leader transaction with a fresh (Pending) follower
   * transaction with the same ID on `files`, which takes the zombie's late
   * non-commit frames. It does not re-apply the zombie's earlier frames: no commit
   * can follow (the only SQLite connection that had the transaction rolled it back),
   * so the next leader will undo it.
   */
  txnFollowerSurrogate(zombie: Transaction, files: DatabaseFiles): Transaction {
    assert(zombie.isLeader && zombie.isZombie, `surrogate for ${zombie.describe()}`);
    assert(this.byId.get(zombie.id) === zombie, `surrogate for unregistered ${zombie.describe()}`);
    this.txnDel(zombie.id);
    return this.txnFollowerAdd(files, zombie.id);
  }

  /** Replaces the registered zombie with `follower`, the result of its `resurrect`. */
  txnFollowerResurrected(follower: Transaction): void {
    assert(!follower.isLeader, `resurrected ${follower.describe()} is not a follower`);
    const zombie = this.byId.get(follower.id);
    assert(zombie !== undefined && zombie.isZombie, `resurrected ${follower.describe()} replaces no zombie`);
    this.txnDel(zombie.id);
    this.add(follower);
  }

  /** Unregisters a transaction; it must be registered. */
  txnDel(txid: TxnId): void {
    const txn = this.byId.get(txid);
    assert(txn !== undefined, `txnDel: unknown transaction ${txid}`);
    // Messages built on failure only: this runs for every transaction.
    if (this.byFilename.get(txn.filename) !== txn)
      assert(false, `txnDel: ${txn.describe()} not registered for its database`);
    this.byId.delete(txid);
    this.byFilename.delete(txn.filename);
    this.wake(txn);
  }

  /**
   * Resolves once `txn` has left the registry (txnDel or txnClear); at once if it
   * is not registered. The FSM waits on it for a leader transaction whose last
   * command applied but whose hooks have not finished (go-dqlite's HookSyncWait).
   */
  txnUnregistered(txn: Transaction): Promise<void> {
    if (this.byId.get(txn.id) !== txn) return Promise.resolve();
    let waiter = this.unregisterWaiters.get(txn);
    if (waiter === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      waiter = { promise, resolve };
      this.unregisterWaiters.set(txn, waiter);
    }
    return waiter.promise;
  }

  private wake(txn: Transaction): void {
    const waiter = this.unregisterWaiters.get(txn);
    if (waiter === undefined) return;
    this.unregisterWaiters.delete(txn);
    waiter.resolve();
  }

  txnById(txid: TxnId): Transaction | undefined {
    return this.byId.get(txid);
  }

  txnByFilename(filename: string): Transaction | undefined {
    return this.byFilename.get(filename);
  }

  /** Every registered transaction, in registration order. */
  transactions(): readonly Transaction[] {
    return [...this.byId.values()];
  }

  /** Forgets every transaction (a snapshot restore replaces all state). */
  txnClear(): void {
    const cleared = [...this.byId.values()];
    this.byId.clear();
    this.byFilename.clear();
    for (const txn of cleared) this.wake(txn);
  }

  /** Remembers that `txid` committed (go-dqlite's TxnCommittedAdd). */
  txnCommittedAdd(txid: TxnId): void {
    this.committed.add(txid);
  }

  /** True if `txid` is among the last 10,000 committed transactions. */
  txnCommittedFind(txid: TxnId): boolean {
    return this.committed.has(txid);
  }

  /** Records the last applied Raft index; it never goes backwards (see `indexRestore`). */
  indexUpdate(index: number): void {
    assert(Number.isSafeInteger(index) && index >= this.currentIndex, `FSM index ${index} after ${this.currentIndex}`);
    this.currentIndex = index;
  }

  /** Sets the index to a snapshot's, which may be anywhere relative to the current one. */
  indexRestore(index: number): void {
    assert(Number.isSafeInteger(index) && index >= 0, `FSM index ${index}`);
    this.currentIndex = index;
  }

  /** The last applied Raft index (0 before any). */
  index(): number {
    return this.currentIndex;
  }

  private add(txn: Transaction): Transaction {
    assert(!this.byId.has(txn.id), `transaction ${txn.id} already registered`);
    const other = this.byFilename.get(txn.filename);
    if (other !== undefined) assert(false, `${txn.describe()} while ${other.describe()} is registered`);
    this.byId.set(txn.id, txn);
    this.byFilename.set(txn.filename, txn);
    return txn;
  }
}
