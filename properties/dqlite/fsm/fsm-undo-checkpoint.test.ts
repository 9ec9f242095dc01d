/**
 * Examples of applyUndo (the three cases of the seed's comment, and the no-op Begin
 * it tolerates for old logs), applyCheckpoint, Open/Begin/End, corrupted entries, and
 * how a violation is reported: recorded (the first ones), logged, traced, returned as
 * a value, the index left where it was.
 */
import { describe, expect, it } from "vitest";
import { ErrCommandMalformed, FsmApplyError } from "../../../src/impl/dqlite/fsm/errors.ts";
import { DqliteFsm } from "../../../src/impl/dqlite/fsm/fsm.ts";
import { PAGE_SIZE } from "../../../src/impl/dqlite/types.ts";
import { DiskError } from "../../../src/sim/env.ts";
import { FakeDatabaseStore } from "./_support/fake-database-store.ts";
import { recordingEnv } from "./_support/fake-env.ts";
import { fills, frames, TestLog, txidOf } from "./_support/fsm-node.ts";
import { DB, TwoNodes } from "./_support/two-nodes.ts";

const T1 = txidOf(1, 1);
const T2 = txidOf(1, 2);

describe("applyUndo", () => {
  it("1. a live leader transaction is undone but stays registered: the leader's End hook removes it", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    await nodes.commit({ kind: "undo", txid: T1 });
    expect(txn.state).toBe("undone");
    expect(nodes.leader.registry.txnById(T1)).toBe(txn);
    expect(nodes.leader.files(DB).calls.get("undo")).toBeUndefined();
  });

  it("2. a follower transaction drops its frames and is unregistered", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(
      frames(T1, DB, [
        [1, 1],
        [2, 2],
      ]),
    );
    await nodes.commit({ kind: "undo", txid: T1 });
    expect(nodes.follower.registry.transactions()).toEqual([]);
    expect(nodes.follower.files(DB).pendingFrames()).toBe(0);
    expect(await nodes.follower.files(DB).image()).toEqual(new Uint8Array());
  });

  it("3. a zombie (leadership lost during its Undo or later frames) is unregistered by the FSM itself", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    txn.markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    await nodes.commit({ kind: "undo", txid: T1 });
    expect(nodes.leader.registry.transactions()).toEqual([]);
    expect(nodes.leader.env.probes.get("dqlite.fsm.zombie-undone")).toBe(1);
    expect(nodes.follower.registry.transactions()).toEqual([]);
  });

  it("an unknown transaction is a violation, unless it is the last no-op Begin's (old logs)", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit({ kind: "begin", txid: T1, name: DB });
    await nodes.commit({ kind: "undo", txid: T1 });
    // The no-op Begin is forgotten once used, and once frames were applied.
    expect((await nodes.applyOn(nodes.follower, { kind: "undo", txid: T1 }))?.violation.message).toBe("txn not found");
    await nodes.commit({ kind: "begin", txid: T2, name: DB });
    await nodes.commit(frames(T1, DB, [[1, 1]], 1));
    expect((await nodes.applyOn(nodes.follower, { kind: "undo", txid: T2 }))?.violation.message).toBe("txn not found");
  });

  it("undo of a finished transaction is a violation", async () => {
    const nodes = await TwoNodes.start();
    nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]], 1));
    const result = await nodes.applyOn(nodes.leader, { kind: "undo", txid: T1 });
    expect(result?.violation.message).toBe(`undo of transaction ${T1} on ${DB} (leader, written)`);
  });

  it("a disk failure while undoing rejects the apply; the transaction stays registered and the index stays", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    const index = nodes.follower.registry.index();
    nodes.follower.store.failNext("undo");
    await expect(nodes.applyOn(nodes.follower, { kind: "undo", txid: T1 })).rejects.toBeInstanceOf(DiskError);
    expect(nodes.follower.registry.txnById(T1)?.state).toBe("writing");
    expect(nodes.follower.registry.index()).toBe(index);
  });
});

describe("applyCheckpoint", () => {
  it("copies the committed frames into the database file and empties the WAL", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(
      frames(
        T1,
        DB,
        [
          [1, 1],
          [2, 2],
        ],
        2,
      ),
    );
    await nodes.commit({ kind: "checkpoint", name: DB });
    const files = nodes.follower.files(DB);
    expect(files.committedFrames()).toBe(0);
    expect(fills(await files.image())).toEqual([1, 2]);
    expect(fills((await files.read()).database)).toEqual([1, 2]);
    expect(nodes.follower.env.probes.get("dqlite.fsm.checkpoint")).toBe(1);
  });

  it("refuses (violation) while a transaction is in flight on the database, and leaves the files alone", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(frames(T1, DB, [[1, 1]], 1));
    await nodes.commit(frames(T2, DB, [[2, 2]]));
    const result = await nodes.applyOn(nodes.follower, { kind: "checkpoint", name: DB });
    expect(result?.violation.message).toBe(
      `can't run checkpoint concurrently with transaction ${T2} on ${DB} (follower, writing)`,
    );
    expect(nodes.follower.files(DB).committedFrames()).toBe(1);
    expect(nodes.follower.files(DB).calls.get("checkpoint")).toBeUndefined();
  });

  it("drops this node's stale Pending zombie (its first frames never reached a quorum) and checkpoints (bmdb-sessions seed 37 --buggify)", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(frames(T1, DB, [[1, 1]], 1));
    nodes.leader.registry.txnLeaderAdd(DB, T2).markZombie();
    nodes.leader.files(DB).noteLeaderRollback();
    expect(await nodes.applyOn(nodes.leader, { kind: "checkpoint", name: DB })).toBeUndefined();
    expect(nodes.leader.registry.transactions()).toEqual([]);
    expect(nodes.leader.env.probes.get("dqlite.fsm.stale-zombie-purged")).toBe(1);
    expect(nodes.leader.files(DB).committedFrames()).toBe(0);
    expect(fills(await nodes.leader.files(DB).image())).toEqual([1]);
  });

  it("the stale zombie is a violation on the variant no-stale-zombie-purge, and a Writing zombie always is", async () => {
    const broken = await TwoNodes.start({ variant: "no-stale-zombie-purge" });
    broken.leader.registry.txnLeaderAdd(DB, T2).markZombie();
    expect((await broken.applyOn(broken.leader, { kind: "checkpoint", name: DB }))?.violation.message).toBe(
      `can't run checkpoint concurrently with transaction ${T2} on ${DB} (zombie leader, pending)`,
    );
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    txn.markZombie();
    expect((await nodes.applyOn(nodes.leader, { kind: "checkpoint", name: DB }))?.violation.message).toBe(
      `can't run checkpoint concurrently with transaction ${T1} on ${DB} (zombie leader, writing)`,
    );
  });

  it("refuses (violation) with uncommitted frames and no transaction, and for a database never opened", async () => {
    const nodes = await TwoNodes.start();
    nodes.leader.files(DB).sqliteWrite(frames(T1, DB, [[1, 1]]));
    expect((await nodes.applyOn(nodes.leader, { kind: "checkpoint", name: DB }))?.violation.message).toBe(
      "1 uncommitted frames are still in the WAL",
    );
    expect((await nodes.applyOn(nodes.leader, { kind: "checkpoint", name: "nope.db" }))?.violation.message).toBe(
      "database nope.db was never opened",
    );
  });

  it("a disk failure rejects the apply with the DiskError and is logged and traced, not recorded as a violation", async () => {
    const nodes = await TwoNodes.start();
    nodes.follower.store.failNext("checkpoint");
    await expect(nodes.applyOn(nodes.follower, { kind: "checkpoint", name: DB })).rejects.toThrow(
      /^EIO: checkpoint app\.db/,
    );
    expect(nodes.follower.fsm.violations).toEqual([]);
    expect(nodes.follower.env.probes.get("dqlite.fsm.disk-failed")).toBe(1);
  });
});

describe("Open, Begin, End and the index", () => {
  it("Open creates the database; Begin and End are no-ops that still move the index", async () => {
    const nodes = await TwoNodes.start();
    expect(nodes.follower.store.names()).toEqual([DB]);
    await nodes.commit({ kind: "begin", txid: T1, name: DB });
    await nodes.commit({ kind: "end", txid: T1 });
    expect(nodes.follower.registry.index()).toBe(3);
    expect(nodes.follower.registry.transactions()).toEqual([]);
  });

  it("a failed Open rejects with the DiskError", async () => {
    const nodes = await TwoNodes.start();
    nodes.follower.store.failNext("open");
    await expect(nodes.applyOn(nodes.follower, { kind: "open", name: "x.db" })).rejects.toBeInstanceOf(DiskError);
  });
});

describe("violations", () => {
  it("a corrupted entry is recorded, logged and traced; apply returns it and the index stays", async () => {
    const env = recordingEnv();
    const fsm = new DqliteFsm({ env, store: new FakeDatabaseStore(PAGE_SIZE) });
    const result = await fsm.apply({ index: 7, term: 3, data: new Uint8Array([0xc1]) });
    expect(result).toBeInstanceOf(FsmApplyError);
    expect(result?.cause).toBeInstanceOf(ErrCommandMalformed);
    expect(fsm.violations).toEqual([
      {
        index: 7,
        term: 3,
        command: "malformed",
        txid: undefined,
        message: expect.stringMatching(/^corrupted command data/),
      },
    ]);
    expect(env.errors).toHaveLength(1);
    expect(env.traces.filter((trace) => trace.kind === "dqlite.fsm-violation")).toHaveLength(1);
    expect(fsm.registry.index()).toBe(0);
  });

  it("keeps the first ones only, and counts them all", async () => {
    const fsm = new DqliteFsm({ env: recordingEnv(), store: new FakeDatabaseStore(PAGE_SIZE), violationsKeptMax: 2 });
    const log = new TestLog();
    for (let count = 1; count <= 3; count++) await fsm.apply(log.record({ kind: "undo", txid: count }));
    expect(fsm.violationCount).toBe(3);
    expect(fsm.violations.map((violation) => violation.index)).toEqual([1, 2]);
  });

  it("a programmer error in the files is not swallowed", async () => {
    const nodes = await TwoNodes.start();
    await nodes.commit(frames(T1, DB, [[1, 1]], 1));
    const files = nodes.follower.files(DB);
    files.checkpoint = async () => {
      throw new TypeError("bug");
    };
    await expect(nodes.applyOn(nodes.follower, { kind: "checkpoint", name: DB })).rejects.toThrow("bug");
  });
});
