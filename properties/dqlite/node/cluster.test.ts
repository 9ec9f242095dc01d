/**
 * End-to-end: three dqlite servers and a client on the simulator. Writes commit
 * through Raft and appear on every replica; a crashed leader is replaced and its
 * copy is rebuilt from the Raft log when it comes back; every replica ends with a
 * byte-identical logical database and integrity_check = ok. Calls whose callers
 * gave up while waiting for a database held by an idle transaction do not run (nor
 * hold the database in turn): once the idle transaction expires, a live client gets
 * in at once; on the "serve-abandoned-calls" variant it starves.
 */
import { describe, expect, it } from "vitest";
import { withVariant, type DqliteLeaderBrokenVariant } from "../../../scenarios/dqlite/variants.ts";
import { DqliteClient, DQLITE_PORT } from "../../../src/impl/dqlite/index.ts";
import { SESSION_IDLE_MS } from "../../../src/impl/dqlite/node/server.ts";
import type { ServerRotation } from "../../../src/impl/common/leader-caller.ts";
import { plainRoundRobin } from "../../common/_fixtures/plain-round-robin.ts";
import {
  SERVERS,
  fsmViolations,
  readyLeader,
  replicas,
  runClient,
  startHandDrivenCluster,
  type HandDrivenCluster,
} from "./_support/hand-driven-cluster.ts";

function startCluster(seed: number, variant?: DqliteLeaderBrokenVariant): HandDrivenCluster {
  return startHandDrivenCluster(seed, withVariant({}, variant));
}

/** Each replica's logical database (the file with its committed WAL frames applied), hex. */
async function images(cluster: HandDrivenCluster): Promise<string[]> {
  return [...(await replicas(cluster, "db", "SELECT 1")).values()].map((replica) => replica.image);
}

describe("dqlite cluster", () => {
  it("replicates writes to every node and survives the leader's crash", async () => {
    const cluster = startCluster(7);
    const rows = await runClient(cluster, async (clientOf) => {
      const client = clientOf();
      await client.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
      for (let i = 0; i < 20; i++) await client.exec("INSERT INTO t (v) VALUES (?)", [`row ${i}`]);
      await client.transaction(async (tx) => {
        const count = await tx.query("SELECT count(*) FROM t");
        await tx.exec("INSERT INTO t (v) VALUES (?)", [`count was ${String(count.rows[0]?.[0])}`]);
      });
      return (await client.query("SELECT count(*) FROM t")).rows[0]?.[0];
    });
    expect(rows).toBe(21);
    await cluster.world.scheduler.run({ untilTime: cluster.world.now + 1_000 });
    const before = await images(cluster);
    expect(new Set(before).size).toBe(1);

    const leader = readyLeader(cluster);
    expect(leader).toBeDefined();
    cluster.world.host(leader as string).crash();
    const after = await runClient(cluster, async (clientOf) => {
      const client = clientOf();
      for (let i = 0; i < 5; i++) await client.exec("INSERT INTO t (v) VALUES (?)", [`after ${i}`]);
      return (await client.query("SELECT count(*) FROM t")).rows[0]?.[0];
    });
    expect(after).toBe(26);
    cluster.world.host(leader as string).restart();
    const deadline = cluster.world.now + 30_000;
    while (cluster.world.now < deadline) {
      await cluster.world.scheduler.run({ untilTime: cluster.world.now + 200 });
      if (cluster.live.size === 3 && new Set(await images(cluster)).size === 1) break;
    }
    const final = await images(cluster);
    expect(new Set(final).size).toBe(1);
    expect(fsmViolations(cluster)).toEqual([]);
  });

  /**
   * A client opens a transaction and goes silent (it holds the database until the
   * session idles out); meanwhile 10 begins with a 100 ms deadline give up waiting.
   * Then a live client writes: how long after the idle transaction expired does it
   * get in?
   */
  async function abandonedBegins(
    seed: number,
    variant?: DqliteLeaderBrokenVariant,
  ): Promise<{ waitedMs: number; ok: boolean }> {
    const cluster = startCluster(seed, variant);
    const leader = await runClient(cluster, async (client) => {
      await client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
      return readyLeader(cluster) as string;
    });
    return runClient(cluster, async (_client, env) => {
      // The idle transaction's caller stays (its begin stream open) but sends nothing; the others' streams pass their
      // deadline while they wait.
      const begin = (deadlineMs: number) =>
        env.rpc
          .serverStream(leader, DQLITE_PORT, "dqlite.begin", { db: "db" }, { deadlineMs })
          [Symbol.asyncIterator]()
          .next();
      await begin(60_000);
      const openedAt = env.clock.now();
      for (let i = 0; i < 10; i++) await begin(100).catch(() => undefined);
      const patient = new DqliteClient(env, {
        servers: SERVERS,
        operationTimeoutMs: 10_000,
        callDeadlineMs: 5_000,
        attemptsMax: 5,
      });
      const ok = await patient.exec("INSERT INTO t (v) VALUES ('live')").then(
        () => true,
        () => false,
      );
      return { waitedMs: env.clock.now() - openedAt - SESSION_IDLE_MS, ok };
    });
  }

  it("a begin whose caller gave up while waiting never holds the database: a live write gets in once the idle one expires (seed 8)", async () => {
    const { waitedMs, ok } = await abandonedBegins(8);
    expect(ok).toBe(true);
    expect(waitedMs).toBeLessThan(500);
  });

  it("the abandoned-begin check fails on the variant serve-abandoned-calls (seed 8)", async () => {
    const { waitedMs, ok } = await abandonedBegins(8, "serve-abandoned-calls");
    expect(!ok || waitedMs >= 500).toBe(true);
  });
});

describe("dqlite client: finding the leader as go-dqlite's connector does", () => {
  const CALL_DEADLINE_MS = 700;

  /** Virtual ms a linearizable query takes once the client's leader is cut off (the client first wrote through it). */
  async function queryAfterLeaderCutOff(seed: number, probing: boolean, rotation?: ServerRotation): Promise<number> {
    const cluster = startCluster(seed);
    return runClient(cluster, async (_client, env) => {
      const client = new DqliteClient(env, {
        servers: SERVERS,
        operationTimeoutMs: 10_000,
        callDeadlineMs: CALL_DEADLINE_MS,
        attemptsMax: 100,
        ...(probing ? {} : { probe: undefined }),
        ...(rotation !== undefined ? { rotation } : {}),
      });
      await client.exec("CREATE TABLE t (k INTEGER)");
      cluster.world.network.isolate(client.leader as string);
      const start = env.clock.monotonic();
      await client.query("SELECT count(*) FROM t");
      return env.clock.monotonic() - start;
    });
  }

  it("a cut-off leader costs one call deadline: the client probes every server for the new one (seeds 1..8)", async () => {
    for (let seed = 1; seed <= 8; seed++)
      expect(await queryAfterLeaderCutOff(seed, true), `seed ${seed}`).toBeLessThan(2 * CALL_DEADLINE_MS);
  }, 120_000);

  it("without probing, trying servers in turn past the cut-off one also costs one call deadline (seeds 1..8)", async () => {
    for (let seed = 1; seed <= 8; seed++)
      expect(await queryAfterLeaderCutOff(seed, false), `seed ${seed}`).toBeLessThan(2 * CALL_DEADLINE_MS);
  }, 120_000);

  it("with neither (no probe, the rotation plainRoundRobin), some seed waits a second call deadline on the dead leader", async () => {
    const took: number[] = [];
    for (let seed = 1; seed <= 8; seed++) took.push(await queryAfterLeaderCutOff(seed, false, plainRoundRobin));
    expect(Math.max(...took), took.join(", ")).toBeGreaterThanOrEqual(2 * CALL_DEADLINE_MS);
  }, 120_000);
});
