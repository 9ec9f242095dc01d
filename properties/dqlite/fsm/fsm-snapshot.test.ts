/**
 * Examples of DqliteFsm.snapshot and restore: refused while any transaction is
 * registered (leader, follower or zombie) and while the leader's SQLite is using a
 * database (ErrDatabaseBusy), a point-in-time copy of several databases
 * that persist writes even after later applies, a restore that replaces all state
 * (databases, transactions, index) and lets the node go on applying, and a malformed
 * snapshot refused before anything is touched.
 */
import { describe, expect, it } from "vitest";
import {
  ErrDatabaseBusy,
  ErrSnapshotMalformed,
  ErrTransactionInProgress,
} from "../../../src/impl/dqlite/fsm/errors.ts";
import { DqliteFsm } from "../../../src/impl/dqlite/fsm/fsm.ts";
import { PAGE_SIZE } from "../../../src/impl/dqlite/types.ts";
import { FakeDatabaseStore } from "./_support/fake-database-store.ts";
import { recordingEnv } from "./_support/fake-env.ts";
import { ErrSnapshotRefused, readerOf, type FsmSnapshot, type SnapshotSink } from "../../../src/impl/raft/node/fsm.ts";
import { DiskError } from "../../../src/sim/env.ts";
import { fills, frames, FsmNode, TestLog, txidOf } from "./_support/fsm-node.ts";
import { DB, TwoNodes } from "./_support/two-nodes.ts";

const T1 = txidOf(1, 1);

async function persisted(snapshot: FsmSnapshot): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const sink: SnapshotSink = {
    id: "1-1",
    write: async (data) => void chunks.push(data.slice()),
    close: async () => undefined,
    cancel: async () => undefined,
  };
  await snapshot.persist(sink);
  return new Uint8Array(chunks.flatMap((chunk) => [...chunk]));
}

async function images(node: FsmNode): Promise<Record<string, (number | undefined)[]>> {
  const result: Record<string, (number | undefined)[]> = {};
  for (const name of node.store.names()) result[name] = fills(await node.files(name).image());
  return result;
}

describe("snapshot", () => {
  it("is refused with ErrDatabaseBusy while the leader's SQLite uses a database, and taken once it is done", async () => {
    let busy: string | undefined = "app.db";
    const fsm = new DqliteFsm({
      env: recordingEnv(),
      store: new FakeDatabaseStore(PAGE_SIZE),
      busyDatabase: () => busy,
    });
    const refusal = await fsm.snapshot().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ErrDatabaseBusy);
    expect(refusal).toBeInstanceOf(ErrSnapshotRefused);
    busy = undefined;
    await expect(fsm.snapshot()).resolves.toBeDefined();
  });

  it("refuses with ErrTransactionInProgress (an ErrSnapshotRefused) while any transaction is registered", async () => {
    const nodes = await TwoNodes.start();
    const txn = nodes.leader.registry.txnLeaderAdd(DB, T1);
    const refusal = await nodes.leader.fsm.snapshot().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ErrTransactionInProgress);
    expect(refusal).toBeInstanceOf(ErrSnapshotRefused);
    txn.markZombie();
    await expect(nodes.leader.fsm.snapshot()).rejects.toThrow(`transaction ${T1} on ${DB} is in progress`);
    await nodes.commit(frames(T1, DB, [[1, 1]]));
    await expect(nodes.follower.fsm.snapshot()).rejects.toBeInstanceOf(ErrTransactionInProgress);
    await nodes.commit({ kind: "undo", txid: T1 });
    await expect(nodes.follower.fsm.snapshot()).resolves.toBeDefined();
  });

  it("a DiskError reading a database rejects the snapshot", async () => {
    const nodes = await TwoNodes.start();
    nodes.follower.store.failNext("read");
    await expect(nodes.follower.fsm.snapshot()).rejects.toBeInstanceOf(DiskError);
  });

  it("persist cancels the sink when a write fails", async () => {
    const nodes = await TwoNodes.start();
    const snapshot = await nodes.follower.fsm.snapshot();
    let cancelled = false;
    const sink: SnapshotSink = {
      id: "x",
      write: async () => Promise.reject(new Error("full")),
      close: async () => undefined,
      cancel: async () => void (cancelled = true),
    };
    await expect(snapshot.persist(sink)).rejects.toThrow("full");
    expect(cancelled).toBe(true);
  });
});

describe("restore", () => {
  /** A source with three databases: one checkpointed then written again, one with WAL frames only, one empty. */
  async function source(): Promise<{ node: FsmNode; log: TestLog }> {
    const node = new FsmNode("source");
    const log = new TestLog();
    const apply = async (command: Parameters<typeof log.record>[0]) =>
      expect(await node.apply(log.record(command))).toBeUndefined();
    for (const name of ["a.db", "b.db", "c.db"]) await apply({ kind: "open", name });
    await apply(
      frames(
        txidOf(1, 1),
        "a.db",
        [
          [1, 1],
          [2, 2],
        ],
        2,
      ),
    );
    await apply({ kind: "checkpoint", name: "a.db" });
    await apply(frames(txidOf(1, 2), "a.db", [[2, 3]], 2));
    await apply(
      frames(
        txidOf(1, 3),
        "b.db",
        [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
        3,
      ),
    );
    return { node, log };
  }

  it("several databases round-trip; the copy is of the snapshot's moment even if persisted after later applies", async () => {
    const { node, log } = await source();
    const snapshot = await node.fsm.snapshot();
    const before = await images(node);
    const index = node.registry.index();
    const later = log.record(frames(txidOf(1, 4), "b.db", [[1, 9]], 3));
    expect(await node.apply(later)).toBeUndefined();
    const bytes = await persisted(snapshot);

    const target = new FsmNode("target");
    const targetLog = new TestLog();
    await target.apply(targetLog.record({ kind: "open", name: "old.db" }));
    await target.apply(targetLog.record(frames(txidOf(1, 1), "old.db", [[1, 1]])));
    target.registry.txnLeaderAdd("other.db", txidOf(1, 7)).markZombie();
    await target.fsm.restore(readerOf(bytes, 7));

    expect(target.store.names()).toEqual(["a.db", "b.db", "c.db"]);
    expect(await images(target)).toEqual(before);
    expect(before).toEqual({ "a.db": [1, 3], "b.db": [4, 5, 6], "c.db": [] });
    expect(target.registry.transactions()).toEqual([]);
    expect(target.registry.index()).toBe(index);
    // The restored node goes on with the log after the snapshot.
    expect(await target.apply(later)).toBeUndefined();
    expect(await images(target)).toEqual(await images(node));
    expect(target.fsm.violationCount).toBe(0);
  });

  it("a malformed snapshot is refused before any state is touched", async () => {
    const { node } = await source();
    const bytes = await persisted(await node.fsm.snapshot());
    const target = await TwoNodes.start();
    await target.commit(frames(T1, DB, [[1, 1]]));
    const index = target.follower.registry.index();
    await expect(target.follower.fsm.restore(readerOf(bytes.slice(0, bytes.length - 1)))).rejects.toBeInstanceOf(
      ErrSnapshotMalformed,
    );
    expect(target.follower.store.names()).toEqual([DB]);
    expect(target.follower.registry.txnById(T1)?.state).toBe("writing");
    expect(target.follower.registry.index()).toBe(index);
  });

  it("an empty FSM snapshots and restores to an empty FSM", async () => {
    const empty = new FsmNode("empty");
    const target = await TwoNodes.start();
    await target.follower.fsm.restore(readerOf(await persisted(await empty.fsm.snapshot())));
    expect(target.follower.store.names()).toEqual([]);
    expect(target.follower.registry.index()).toBe(0);
  });
});
