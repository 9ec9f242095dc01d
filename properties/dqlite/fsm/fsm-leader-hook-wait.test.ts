/**
 * go-dqlite's HookSyncWait, on one FSM: a command of another transaction on a
 * database waits while this node's own leader transaction there has its last
 * command applied but its hooks (SQLite's WAL write, End) not done; it goes on once
 * End unregisters the transaction, and a wait that outlasts
 * LEADER_HOOK_WAIT_MAX_MS ends in a violation instead of stalling every later entry.
 */
import { setImmediate as macrotask } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { FsmApplyError } from "../../../src/impl/dqlite/fsm/errors.ts";
import { LEADER_HOOK_WAIT_MAX_MS } from "../../../src/impl/dqlite/fsm/fsm.ts";
import { FsmNode, frames, TestLog, txidOf } from "./_support/fsm-node.ts";

const DB = "app.db";
const T1 = txidOf(1, 1);
const T2 = txidOf(2, 1);

/** A node that led T1 on DB: T1's commit frames applied, its End hook not run yet. */
async function leaderWithCommitApplied(node: FsmNode, log: TestLog): Promise<void> {
  expect(await node.apply(log.record({ kind: "open", name: DB }))).toBeUndefined();
  node.registry.txnLeaderAdd(DB, T1);
  expect(await node.apply(log.record(frames(T1, DB, [[1, 1]], 1)))).toBeUndefined();
  expect(node.registry.txnById(T1)?.state).toBe("written");
}

/** Starts applying `record` and tells whether it resolved after the pending work ran. */
function started(
  node: FsmNode,
  record: ReturnType<TestLog["record"]>,
): { readonly result: Promise<FsmApplyError | undefined>; done: () => boolean } {
  let resolved = false;
  const result = node.apply(record).finally(() => (resolved = true));
  return { result, done: () => resolved };
}

describe("a command meeting this node's own finished leader transaction", () => {
  it("waits for its End hook, then applies as a follower transaction", async () => {
    const node = new FsmNode("old-leader");
    const log = new TestLog();
    await leaderWithCommitApplied(node, log);
    log.term = 2;
    const next = started(node, log.record(frames(T2, DB, [[2, 2]], 2)));
    await macrotask();
    expect(next.done(), "applied before the End hook").toBe(false);
    expect(node.env.probes.get("dqlite.fsm.waited-for-leader-end")).toBe(1);
    node.registry.txnDel(T1);
    expect(await next.result).toBeUndefined();
    expect(node.registry.transactions()).toEqual([]);
    expect(node.fsm.violations).toEqual([]);
  });

  it("a checkpoint waits too", async () => {
    const node = new FsmNode("old-leader");
    const log = new TestLog();
    await leaderWithCommitApplied(node, log);
    const checkpoint = started(node, log.record({ kind: "checkpoint", name: DB }));
    await macrotask();
    expect(checkpoint.done()).toBe(false);
    node.registry.txnDel(T1);
    expect(await checkpoint.result).toBeUndefined();
    expect(node.env.probes.get("dqlite.fsm.checkpoint")).toBe(1);
  });

  it(`gives up after ${LEADER_HOOK_WAIT_MAX_MS} ms with a violation, and the index stays`, async () => {
    const node = new FsmNode("old-leader");
    const log = new TestLog();
    await leaderWithCommitApplied(node, log);
    const index = node.registry.index();
    const next = started(node, log.record(frames(T2, DB, [[2, 2]], 2)));
    await macrotask();
    node.env.advance(LEADER_HOOK_WAIT_MAX_MS - 1);
    await macrotask();
    expect(next.done()).toBe(false);
    node.env.advance(1);
    const result = await next.result;
    expect(result?.violation.message).toBe(
      `leader transaction ${T1} on ${DB} (leader, written) did not end within ${LEADER_HOOK_WAIT_MAX_MS} ms of its last command`,
    );
    expect(node.registry.index()).toBe(index);
  });

  it("a command of the leader's own transaction, a zombie's or another database's does not wait", async () => {
    const node = new FsmNode("leader");
    const log = new TestLog();
    await leaderWithCommitApplied(node, log);
    expect(await node.apply(log.record({ kind: "open", name: "other.db" }))).toBeUndefined();
    expect(await node.apply(log.record(frames(T2, "other.db", [[3, 3]], 1)))).toBeUndefined();
    expect(node.env.probes.get("dqlite.fsm.waited-for-leader-end")).toBeUndefined();
  });

  it("fails on the variant no-leader-hook-wait: the next leader's frames meet the written transaction", async () => {
    const node = new FsmNode("old-leader", "no-leader-hook-wait");
    const log = new TestLog();
    await leaderWithCommitApplied(node, log);
    const result = await node.apply(log.record(frames(T2, DB, [[2, 2]], 2)));
    expect(result?.violation.message).toBe(`unexpected transaction ${T1} on ${DB} (leader, written)`);
  });
});
