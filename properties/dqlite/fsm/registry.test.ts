/**
 * The registry and its transactions: one transaction per database (assertion),
 * surrogates and resurrections replacing zombies under the same ID, the index, and
 * the committed-ID ring. Invariant of the ring (property): an ID is found exactly
 * when it is among the last `capacity` IDs added; shown to fail on a ring that evicts
 * the newest ID (_fixtures/newest-evicting-ring.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/sim/assert.ts";
import { CommittedRing, COMMITTED_TXN_IDS_MAX } from "../../../src/impl/dqlite/fsm/committed-ring.ts";
import { Registry } from "../../../src/impl/dqlite/fsm/registry.ts";
import { Transaction } from "../../../src/impl/dqlite/fsm/transaction.ts";
import { PAGE_SIZE } from "../../../src/impl/dqlite/types.ts";
import { DiskError } from "../../../src/sim/env.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { NewestEvictingRing } from "./_fixtures/newest-evicting-ring.ts";
import { FakeDatabaseStore } from "./_support/fake-database-store.ts";
import { fills, frames } from "./_support/fsm-node.ts";

const DB = "r.db";

async function filesOf(): Promise<{ store: FakeDatabaseStore; files: Awaited<ReturnType<FakeDatabaseStore["open"]>> }> {
  const store = new FakeDatabaseStore(PAGE_SIZE);
  return { store, files: await store.open(DB) };
}

describe("registry", () => {
  it("holds at most one transaction per database and one per ID (assertions)", async () => {
    const { files } = await filesOf();
    const registry = new Registry();
    registry.txnLeaderAdd(DB, 1);
    expect(() => registry.txnFollowerAdd(files, 2)).toThrow(AssertionError);
    expect(() => registry.txnLeaderAdd("other.db", 1)).toThrow(AssertionError);
    registry.txnDel(1);
    expect(() => registry.txnDel(1)).toThrow(AssertionError);
    expect(registry.txnFollowerAdd(files, 2)).toBe(registry.txnByFilename(DB));
  });

  it("a surrogate replaces a zombie under the same ID; only zombies may be replaced", async () => {
    const { files } = await filesOf();
    const registry = new Registry();
    const leader = registry.txnLeaderAdd(DB, 5);
    expect(() => registry.txnFollowerSurrogate(leader, files)).toThrow(AssertionError);
    leader.markZombie();
    const surrogate = registry.txnFollowerSurrogate(leader, files);
    expect(surrogate.describe()).toBe(`5 on ${DB} (follower, pending)`);
    expect(registry.txnById(5)).toBe(surrogate);
    expect(registry.transactions()).toEqual([surrogate]);
  });

  it("a resurrected follower replaces its zombie", async () => {
    const { files } = await filesOf();
    const registry = new Registry();
    const zombie = registry.txnLeaderAdd(DB, 5);
    await zombie.frames(true, frames(5, DB, [[1, 1]]));
    zombie.markZombie();
    const follower = await zombie.resurrect(files);
    registry.txnFollowerResurrected(follower);
    expect(registry.txnByFilename(DB)).toBe(follower);
    expect(follower.state).toBe("writing");
    expect(() => registry.txnFollowerResurrected(follower)).toThrow(AssertionError);
  });

  it("the index only moves forward, except when a snapshot restores it", () => {
    const registry = new Registry();
    registry.indexUpdate(4);
    expect(() => registry.indexUpdate(3)).toThrow(AssertionError);
    registry.indexRestore(2);
    expect(registry.index()).toBe(2);
  });

  it(`remembers the last ${COMMITTED_TXN_IDS_MAX} committed IDs, evicting the oldest first`, () => {
    const registry = new Registry();
    for (let txid = 1; txid <= COMMITTED_TXN_IDS_MAX; txid++) registry.txnCommittedAdd(txid);
    expect(registry.txnCommittedFind(1)).toBe(true);
    registry.txnCommittedAdd(COMMITTED_TXN_IDS_MAX + 1);
    expect(registry.txnCommittedFind(1)).toBe(false);
    expect(registry.txnCommittedFind(2)).toBe(true);
    expect(registry.txnCommittedFind(COMMITTED_TXN_IDS_MAX + 1)).toBe(true);
    registry.txnCommittedAdd(COMMITTED_TXN_IDS_MAX + 2);
    expect(registry.txnCommittedFind(2)).toBe(false);
    expect(registry.txnCommittedFind(3)).toBe(true);
  });
});

describe("committed ring", () => {
  interface Ring {
    add(txid: number): void;
    has(txid: number): boolean;
  }
  const lastIdsFound = (makeRing: (capacity: number) => Ring) =>
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 40 }),
      (capacity, txids) => {
        const ring = makeRing(capacity);
        const added: number[] = [];
        for (const txid of txids) {
          ring.add(txid);
          added.push(txid);
          const recent = new Set(added.slice(-capacity));
          for (let probe = 1; probe <= 12; probe++)
            expect(ring.has(probe), `ID ${probe} after ${added.join(",")}`).toBe(recent.has(probe));
        }
      },
    );

  it("dqlite-fsm.committed-ring: an ID is found exactly when it is among the last `capacity` added", () => {
    fc.assert(
      lastIdsFound((capacity) => new CommittedRing(capacity)),
      propertyParameters("dqlite-fsm.committed-ring", 300),
    );
  });

  it("the property catches a ring that evicts the newest ID", () => {
    const outcome = fc.check(
      lastIdsFound((capacity) => new NewestEvictingRing(capacity)),
      { ...propertyParameters("dqlite-fsm.committed-ring-catches-newest", 300), reporter: undefined },
    );
    expect(outcome.failed).toBe(true);
  });
});

describe("transaction", () => {
  it("a leader transaction moves its state without touching files and remembers its non-commit batches", async () => {
    const txn = Transaction.leader(DB, 1);
    await txn.frames(true, frames(1, DB, [[1, 1]]));
    await txn.frames(false, frames(1, DB, [[2, 2]]));
    expect([txn.state, txn.leaderBatches]).toEqual(["writing", 2]);
    await txn.frames(false, frames(1, DB, [[3, 3]], 3));
    expect([txn.state, txn.leaderBatches]).toEqual(["written", 2]);
    await expect(txn.frames(false, frames(1, DB, [[3, 3]], 3))).rejects.toThrow(AssertionError);
  });

  it("a follower writes through its files, with begin on its first frames only", async () => {
    const { files } = await filesOf();
    const txn = Transaction.follower(files, 1);
    await expect(txn.frames(false, frames(1, DB, [[1, 1]]))).rejects.toThrow(AssertionError);
    await txn.frames(true, frames(1, DB, [[1, 1]]));
    await txn.frames(false, frames(1, DB, [[2, 2]], 2));
    expect(fills(await files.image())).toEqual([1, 2]);
    expect(txn.state).toBe("written");
  });

  it("a DiskError leaves the state where it was", async () => {
    const { store, files } = await filesOf();
    const txn = Transaction.follower(files, 1);
    store.failNext("applyFrames");
    await expect(txn.frames(true, frames(1, DB, [[1, 1]]))).rejects.toBeInstanceOf(DiskError);
    expect(txn.state).toBe("pending");
  });

  it("a zombie takes no frames, is resurrected Pending without frames or Writing with them re-applied", async () => {
    const { files } = await filesOf();
    const pending = Transaction.leader(DB, 1);
    pending.markZombie();
    await expect(pending.frames(true, frames(1, DB, [[1, 1]]))).rejects.toThrow(AssertionError);
    expect((await pending.resurrect(files)).state).toBe("pending");
    expect(files.calls.get("applyFrames")).toBeUndefined();

    const writing = Transaction.leader(DB, 2);
    await writing.frames(true, frames(2, DB, [[1, 1]]));
    await writing.frames(false, frames(2, DB, [[2, 2]]));
    writing.markZombie();
    const follower = await writing.resurrect(files);
    expect([follower.id, follower.isLeader, follower.state, files.pendingFrames()]).toEqual([2, false, "writing", 2]);
  });

  it("undo: a follower drops its frames, a leader only moves; finished transactions refuse", async () => {
    const { files } = await filesOf();
    const follower = Transaction.follower(files, 1);
    await follower.frames(true, frames(1, DB, [[1, 1]]));
    await follower.undo();
    expect([follower.state, files.pendingFrames()]).toEqual(["undone", 0]);
    await expect(follower.undo()).rejects.toThrow(AssertionError);
    const leader = Transaction.leader(DB, 2);
    await leader.undo();
    expect(leader.state).toBe("undone");
    expect(() => leader.markZombie()).toThrow(AssertionError);
    expect(() => Transaction.follower(files, 3).markZombie()).toThrow(AssertionError);
  });
});
