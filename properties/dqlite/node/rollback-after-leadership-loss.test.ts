/**
 * Invariant: a client's ROLLBACK of an interactive transaction that reaches its
 * server after the server stopped being a ready leader still ends SQLite's
 * transaction there: the leader's connection is back in autocommit, its WAL capture
 * holds nothing, and the replica stays sound (integrity_check ok, no row of the
 * transaction anywhere, the replicas identical).
 * Method: three servers on the simulator with a small page cache (SQLite spills the
 * transaction's pages to the WAL mid-statement, so the capture holds frames it has
 * not replicated yet once the INSERT returns). The client begins a transaction,
 * inserts a big batch, has the leader hand leadership over, waits until the old
 * leader is no longer a ready leader, then rolls back on it (refused: not-leader).
 * The property can fail: before the fix (dqlite-zombies seed 100174) the server
 * dropped the session without rolling back; SQLite's transaction stayed open with
 * its held frames, and the next connection to the database on that node (the final
 * integrity check) made the capture replicate them: "disk I/O error". And the
 * rollback must not propose the held frames either (the Frames hook refuses once the
 * node is no longer a ready leader): without that check SQLite's ROLLBACK, which
 * flushes the capture, sends them to Raft from a node that no longer leads.
 */
import { describe, expect, it } from "vitest";
import { DQLITE_PORT } from "../../../src/impl/dqlite/index.ts";
import {
  beginOn,
  caughtUp,
  divergences,
  eventsNamed,
  runClient,
  runUntil,
  startHandDrivenCluster,
  type HandDrivenCluster,
} from "./_support/hand-driven-cluster.ts";

const DATABASE = "db";
const CONVERGE_MS = 10_000;
/** Pages of the leader's page cache: a batch of ROWS rows spills several times. */
const CACHE_SIZE_PAGES = 8;
const ROWS = 60;
const INSERT_SQL =
  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) INSERT INTO t (n, pad) SELECT i, randomblob(400) FROM c";
const SEEDS = [1, 2, 3];

interface Outcome {
  readonly oldLeader: string;
  readonly rollback: string;
  readonly captureInTransaction: boolean | undefined;
  /** Commands the old leader proposed once it had stepped down (its held frames must not be among them). */
  readonly proposedAfterStepDown: readonly string[];
  readonly problems: readonly string[];
}

async function rollbackAfterLoss(seed: number): Promise<Outcome> {
  const cluster: HandDrivenCluster = startHandDrivenCluster(seed, { cacheSizePages: CACHE_SIZE_PAGES });
  await runClient(cluster, (client) => client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, pad BLOB)"));
  await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  const { oldLeader, rollback, steppedDownAt } = await runClient(cluster, async (_client, env) => {
    const call = (server: string, method: string, request: Record<string, unknown>) =>
      env.rpc.call(server, DQLITE_PORT, method, request as never, { deadlineMs: 1_000 });
    const server = [...cluster.live.keys()].find((host) => cluster.live.get(host)?.node.isReadyLeader() === true);
    if (server === undefined) throw new Error("no ready leader");
    const { session } = await beginOn(env, server, DATABASE, 60_000);
    await call(server, "dqlite.session.exec", { session, sql: INSERT_SQL, params: [ROWS] });
    const node = cluster.live.get(server)?.node;
    if (node === undefined) throw new Error("the leader is gone");
    expect(node.methods.capture(DATABASE).inTransaction(), "the INSERT left frames spilled and held").toBe(true);
    void node.raft.leadershipTransfer().catch(() => undefined);
    // The rollback leaves as soon as Raft stepped down, before its leadership observer ran (it waits for the
    // new term to be on disk): the server refuses it (not a ready leader) while the session is still there.
    while (node.raft.state() === "Leader") await env.clock.sleep(0.05);
    const steppedDownAt = cluster.world.now;
    const outcome = await call(server, "dqlite.rollback", { session }).then(
      () => "ok",
      (error: unknown) => `refused: ${String(error)}`,
    );
    return { oldLeader: server, rollback: outcome, steppedDownAt };
  });
  await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  const captureInTransaction = cluster.live.get(oldLeader)?.node.methods.capture(DATABASE).inTransaction();
  const problems = await divergences(cluster, DATABASE, "SELECT count(*) FROM t", [[0]]);
  const proposedAfterStepDown = eventsNamed(cluster, "dqlite.leader.propose", oldLeader)
    .filter((event) => event.time >= steppedDownAt)
    .map((event) => JSON.stringify(event.fields));
  return { oldLeader, rollback, captureInTransaction, proposedAfterStepDown, problems };
}

describe("a ROLLBACK that reaches a server after it stopped leading", () => {
  for (const seed of SEEDS) {
    it(`still ends SQLite's transaction there: nothing held, the replica sound (seed ${seed})`, async () => {
      const outcome = await rollbackAfterLoss(seed);
      expect(outcome.rollback).toMatch(/not-leader/);
      expect(outcome.captureInTransaction).toBe(false);
      expect(outcome.proposedAfterStepDown).toEqual([]);
      expect(outcome.problems).toEqual([]);
    }, 60_000);
  }
});
