/**
 * Examples of every branch of applyFrames, following the seed's comments: follower
 * transactions, the leader's own transaction in its hook, zombies whose non-commit
 * frames (first or later, having reached a quorum, same leader re-elected or
 * another) go to a surrogate, zombies whose commit frames resurrect them, stale
 * zombies purged, and every state the seed panics on recorded as a violation.
 */
import { describe, expect, it } from "vitest";
import { DiskError } from "../../../src/sim/env.ts";
import { fills, frames, txidOf } from "./_support/fsm-node.ts";
import { DB, TwoNodes } from "./_support/two-nodes.ts";

const T1 = txidOf(1, 1);
const T2 = txidOf(2, 1);

describe("applyFrames: follower transactions", () => {
  it("a new transaction's non-commit frames register a Writing follower; its commit applies and unregisters it", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(
      frames(T1, DB, [
        [1, 10],
        [2, 20],
      ]),
    );
    const txn = nodes.follower.registry.txnById(T1);
    expect(txn?.describe()).toBe(`${T1} on ${DB} (follower, writing)`);
    expect(nodes.follower.files(DB).pendingFrames()).toBe(2);
    await nodes.commit(
      frames(
        T1,
        DB,
        [
          [3, 30],
          [1, 11],
        ],
        3,
      ),
    );
    expect(nodes.follower.registry.txnById(T1)).toBeUndefined();
    expect(nodes.follower.registry.txnCommittedFind(T1)).toBe(true);
    expect(nodes.follower.files(DB).pendingFrames()).toBe(0);
    expect(fills(await nodes.follower.files(DB).image())).toEqual([11, 20, 30]);
    expect(nodes.follower.registry.index()).toBe(nodes.log.index);
  });

  it("a transaction of commit frames alone is applied with begin set and unregistered", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(frames(T1, DB, [[1, 5]], 1));
    expect(nodes.follower.registry.transactions()).toEqual([]);
    expect(fills(await nodes.follower.files(DB).image())).toEqual([5]);
  });

  it("a follower transaction that is not Writing is a violation (the seed panics)", async () => {
    const nodes = await TwoNodes.start();
    // Registered but never given frames: nothing in a sound log leaves it so.
    nodes.follower.registry.txnFollowerAdd(nodes.follower.files(DB), T1);
    const result = await nodes.applyOn(nodes.follower, frames(T1, DB, [[2, 2]]));
    expect(result?.violation.message).toBe(`unexpected transaction ${T1} on ${DB} (follower, pending)`);
  });

  it("a disk failure rejects the apply with the DiskError (not a violation), and every later apply too", async () => {
    const nodes = await TwoNodes.start();
    nodes.follower.store.failNext("applyFrames");
    await expect(nodes.applyOn(nodes.follower, frames(T1, DB, [[1, 1]]))).rejects.toBeInstanceOf(DiskError);
    await expect(nodes.applyOn(nodes.follower, frames(T1, DB, [[2, 2]], 2))).rejects.toBeInstanceOf(DiskError);
    expect(nodes.follower.fsm.violations).toEqual([]);
    expect(nodes.follower.env.probes.get("dqlite.fsm.disk-failed")).toBe(1);
  });

  it("frames of an unknown transaction while a live transaction holds the database are a violation", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    const result = await nodes.applyOn(nodes.follower, frames(T2, DB, [[1, 2]], 1));
    expect(result?.violation).toMatchObject({
      command: "frames",
      txid: T2,
      message: `unexpected transaction ${T1} on ${DB} (follower, writing)`,
    });
    expect(nodes.follower.registry.txnById(T2)).toBeUndefined();
  });
});

describe("applyFrames: the leader's own transaction", () => {
  it("moves the state only: SQLite writes the leader's frames itself; it stays registered after the commit", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    expect(txn.state).toBe("writing");
    expect(txn.leaderBatches).toBe(1);
    await nodes.commit(frames(T1, DB, [[2, 2]], 2));
    expect(txn.state).toBe("written");
    expect(nodes.leader.registry.txnById(T1)).toBe(txn);
    expect(nodes.leader.registry.txnCommittedFind(T1)).toBe(true);
    expect(nodes.leader.files(DB).calls.get("applyFrames")).toBeUndefined();
  });

  it("frames for a finished leader transaction are a violation", async () => {
    const nodes = await TwoNodes.start();
    nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]], 1));
    const result = await nodes.applyOn(nodes.leader, frames(T1, DB, [[1, 1]], 1));
    expect(result?.violation.message).toBe(`frames for transaction ${T1} on ${DB} (leader, written)`);
  });

  it("frames naming another database than the transaction's are a violation", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit({ kind: "open", name: "other.db" });
    nodes.leader.registry.txnLeaderAdd(DB, T1);
    const result = await nodes.applyOn(nodes.leader, frames(T1, "other.db", [[1, 1]]));
    expect(result?.violation.message).toBe(`frames on other.db for transaction ${T1} on ${DB} (leader, pending)`);
  });
});

describe("applyFrames: zombies whose non-commit frames reached a quorum", () => {
  it("first frames, same leader re-elected: a surrogate follower takes them, and the leader's next Begin undoes it", async () => {
    const nodes = await TwoNodes.start();
    const zombie = nodes.leader.registry.txnLeaderAdd(DB, T1);
    zombie.markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    const surrogate = nodes.leader.registry.txnById(T1);
    expect(surrogate?.describe()).toBe(`${T1} on ${DB} (follower, writing)`);
    expect(nodes.leader.env.probes.get("dqlite.fsm.surrogate-created")).toBe(1);
    expect(nodes.leader.files(DB).pendingFrames()).toBe(1);
    // Re-elected, the leader's Begin hook finds the leftover follower and rolls it back.
    await nodes.commit({ kind: "undo", txid: T1 });
    for (const node of [nodes.leader, nodes.follower]) {
      expect(node.registry.transactions()).toEqual([]);
      expect(node.files(DB).pendingFrames()).toBe(0);
    }
  });

  it("later frames, another leader elected: the surrogate replaces a Writing zombie, and the new leader's Undo clears both nodes", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    nodes.leader.files(DB).sqliteWrite(frames(T1, DB, [[1, 1]]));
    txn.markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    await nodes.commit(frames(T1, DB, [[2, 2]]));
    expect(nodes.leader.registry.txnById(T1)?.describe()).toBe(`${T1} on ${DB} (follower, writing)`);
    expect(nodes.follower.files(DB).pendingFrames()).toBe(2);
    // The follower, now leader, undoes the leftover at its first Begin.
    await nodes.commit({ kind: "undo", txid: T1 });
    await nodes.commit(frames(T2, DB, [[1, 9]], 1));
    for (const node of [nodes.leader, nodes.follower]) {
      expect(node.registry.transactions()).toEqual([]);
      expect(fills(await node.files(DB).image())).toEqual([9]);
    }
  });
});

describe("applyFrames: zombies whose commit frames reached a quorum", () => {
  it("commit after non-commit frames: the zombie is resurrected, re-applies its frames, then commits", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(
      frames(T1, DB, [
        [1, 1],
        [2, 2],
      ]),
    );
    nodes.leader.files(DB).sqliteWrite(
      frames(T1, DB, [
        [1, 1],
        [2, 2],
      ]),
    );
    await nodes.commit(frames(T1, DB, [[3, 3]]));
    nodes.leader.files(DB).sqliteWrite(frames(T1, DB, [[3, 3]]));
    txn.markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    await nodes.commit(frames(T1, DB, [[1, 7]], 3));
    expect(nodes.leader.env.probes.get("dqlite.fsm.zombie-resurrected")).toBe(1);
    for (const node of [nodes.leader, nodes.follower]) {
      expect(node.registry.transactions()).toEqual([]);
      expect(node.registry.txnCommittedFind(T1)).toBe(true);
      expect(fills(await node.files(DB).image())).toEqual([7, 2, 3]);
    }
    expect(nodes.leader.files(DB).calls.get("applyFrames")).toBe(3);
  });

  it("commit frames first: the Pending zombie is resurrected and its commit applied with begin set", async () => {
    const nodes = await TwoNodes.start();
    nodes.leader.registry.txnLeaderAdd(DB, T1).markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    await nodes.commit(frames(T1, DB, [[1, 4]], 1));
    expect(nodes.leader.registry.transactions()).toEqual([]);
    expect(fills(await nodes.leader.files(DB).image())).toEqual([4]);
  });

  it("a disk failure while re-applying the zombie's frames rejects the apply and leaves the zombie registered", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    txn.markZombie();
    nodes.leader.store.failNext("applyFrames");
    await expect(nodes.applyOn(nodes.leader, frames(T1, DB, [[2, 2]], 2))).rejects.toBeInstanceOf(DiskError);
    expect(nodes.leader.fsm.violations).toEqual([]);
    expect(nodes.leader.registry.txnById(T1)).toBe(txn);
  });
});

describe("applyFrames: zombies whose first frames never reached a quorum", () => {
  it("the next leader's transaction purges the stale Pending zombie", async () => {
    const nodes = await TwoNodes.start();
    nodes.leader.registry.txnLeaderAdd(DB, T1).markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    await nodes.commit(frames(T2, DB, [[1, 8]], 1));
    expect(nodes.leader.env.probes.get("dqlite.fsm.stale-zombie-purged")).toBe(1);
    expect(nodes.leader.registry.transactions()).toEqual([]);
    expect(fills(await nodes.leader.files(DB).image())).toEqual([8]);
  });

  it("a zombie more recent than the new transaction is a violation", async () => {
    const nodes = await TwoNodes.start();
    nodes.leader.registry.txnLeaderAdd(DB, T2).markZombie();
    const result = await nodes.applyOn(nodes.leader, frames(T1, DB, [[1, 1]], 1));
    expect(result?.violation.message).toBe(`zombie transaction too recent ${T2} on ${DB} (zombie leader, pending)`);
    expect(nodes.leader.registry.txnById(T2)?.isZombie).toBe(true);
  });

  it("a Writing zombie met by another transaction is a violation (its frames committed: it needed an Undo first)", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    txn.markZombie();
    const result = await nodes.applyOn(nodes.leader, frames(T2, DB, [[1, 2]], 1));
    expect(result?.violation.message).toBe(`unexpected transaction state ${T1} on ${DB} (zombie leader, writing)`);
  });
});

describe("applyFrames: malformed situations", () => {
  it("frames for a database never opened are a violation, and the index does not move", async () => {
    const nodes = await TwoNodes.start();
    const before = nodes.follower.registry.index();
    const result = await nodes.applyOn(nodes.follower, frames(T1, "missing.db", [[1, 1]], 1));
    expect(result?.violation.message).toBe("database missing.db was never opened");
    expect(nodes.follower.registry.index()).toBe(before);
  });

  it("frames of another page size than the databases' are a violation", async () => {
    const nodes = await TwoNodes.start();
    const command = { ...frames(T1, DB, [[1, 1]], 1), pageSize: 1024, pageData: new Uint8Array(1024) };
    const result = await nodes.applyOn(nodes.follower, command);
    expect(result?.violation.message).toBe("frames of 1024-byte pages; databases use 4096");
  });
});
