/**
 * Invariant: a transaction whose caller is gone does not hold its database. When
 * the client that began it crashes, is cut off, or leaves its begin stream (it gave
 * up on the begin just as the session was sent), the server rolls it back at once,
 * as dqlite rolls back the transaction of a client connection that closes: another
 * client's write gets in within WAIT_MS_MAX, not after SESSION_IDLE_MS, and nothing
 * of the dropped transaction commits. And the client leaves the stream of a begin
 * attempt it gave up on, even when the session is on its way.
 * Method: three servers on the simulator; a holder host begins a transaction on the
 * leader and writes a row, then goes (crashed, isolated, or leaving the stream); a
 * patient client writes at once. The client half runs against a stand-in server
 * whose session reaches the client only after the attempt's deadline.
 * The property can fail: on the leader's "keep-dropped-transactions" (and before the
 * begin stream, for a crash or a cut) the write waits for the idle timeout. Found by
 * bmdb-sessions seeds 100048 (x1 crashed with its transaction open on the leader:
 * every client waited 2 s, and c3's session lost its lease) and 100075 (a begin
 * answered as its caller's deadline passed held the database 2 s more).
 */
import { describe, expect, it } from "vitest";
import { withVariant, type DqliteLeaderBrokenVariant } from "../../../scenarios/dqlite/variants.ts";
import { DQLITE_PORT, DqliteClient } from "../../../src/impl/dqlite/index.ts";
import { SESSION_IDLE_MS } from "../../../src/impl/dqlite/node/server.ts";
import { World } from "../../../src/sim/world.ts";
import {
  beginOn,
  caughtUp,
  divergences,
  readyLeader,
  runClient,
  runUntil,
  SERVERS,
  startHandDrivenCluster,
} from "./_support/hand-driven-cluster.ts";

const DATABASE = "db";
const CONVERGE_MS = 10_000;
/** How long the live write may wait once the holder is gone (the idle timeout is SESSION_IDLE_MS). */
const WAIT_MS_MAX = SESSION_IDLE_MS / 4;
const SEEDS = [1, 2, 3];

type Departure = "crash" | "isolate" | "leave";

/**
 * How long a live write waited after the holder of an open transaction went, and the rows of that transaction left on
 * every replica.
 */
async function writeAfterDeparture(
  seed: number,
  departure: Departure,
  variant?: DqliteLeaderBrokenVariant,
): Promise<{ waitedMs: number; problems: string[] }> {
  const cluster = startHandDrivenCluster(seed, withVariant({}, variant));
  await runClient(cluster, (client) => client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"));
  await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  const leader = readyLeader(cluster) as string;
  let goneAt: number | undefined;
  let holding = false;
  cluster.world
    .addHost("holder", async (env) => {
      const open = await beginOn(env, leader, DATABASE, 60_000);
      await env.rpc.call(
        leader,
        DQLITE_PORT,
        "dqlite.session.exec",
        { session: open.session, sql: "INSERT INTO t (v) VALUES ('dropped')", params: [] },
        { deadlineMs: 1_000 },
      );
      holding = true;
      if (departure === "leave") {
        open.leave();
        goneAt = cluster.world.now;
      }
      await env.clock.sleep(60_000);
    })
    .start();
  await runUntil(cluster, () => holding, CONVERGE_MS);
  if (departure === "crash") cluster.world.host("holder").crash();
  if (departure === "isolate") cluster.world.network.isolate("holder");
  goneAt ??= cluster.world.now;
  const waitedMs = await runClient(cluster, async (_client, env) => {
    const patient = new DqliteClient(env, {
      servers: SERVERS,
      operationTimeoutMs: 10_000,
      callDeadlineMs: 5_000,
      attemptsMax: 5,
    });
    await patient.exec("INSERT INTO t (v) VALUES ('live')");
    return cluster.world.now - (goneAt as number);
  });
  await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  return { waitedMs, problems: await divergences(cluster, DATABASE, "SELECT v FROM t", [["live"]]) };
}

describe("a transaction whose caller is gone", () => {
  for (const departure of ["crash", "isolate", "leave"] as const) {
    for (const seed of SEEDS) {
      it(`is rolled back at once when its client goes (${departure}): a live write gets in, nothing of it commits (seed ${seed})`, async () => {
        const { waitedMs, problems } = await writeAfterDeparture(seed, departure);
        expect(waitedMs).toBeLessThan(WAIT_MS_MAX);
        expect(problems).toEqual([]);
      });
    }
    it(`holds the database until it idles out on the variant keep-dropped-transactions (${departure}, seed 1)`, async () => {
      const { waitedMs } = await writeAfterDeparture(1, departure, "keep-dropped-transactions");
      expect(waitedMs).toBeGreaterThanOrEqual(WAIT_MS_MAX);
    });
  }
});

describe("the dqlite client's begin", () => {
  /**
   * A stand-in server sends the session at once, on a link to the client that holds
   * its traffic past the deadline of the client's attempt: the client has given up
   * by the time it arrives. Resolves with what the server saw: the session was sent,
   * and whether the caller then left the stream.
   */
  async function lateSession(seed: number): Promise<{ sent: boolean; left: boolean; failed: string }> {
    const world = new World({ seed });
    const callDeadlineMs = 100;
    const seen = { sent: false, left: false, failed: "" };
    world
      .addHost("n1", async (env) => {
        const server = env.rpc.serve(DQLITE_PORT);
        server.unary("dqlite.leader", async () => ({ leader: "n1" }));
        server.serverStream("dqlite.begin", async (_request, send, context) => {
          world.links.clog("n1", "client", world.now + 2 * callDeadlineMs);
          await send({ session: "n1/1/1" }).then(
            () => (seen.sent = true),
            () => undefined,
          );
          if (!context.signal.aborted)
            await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
          seen.left = true;
        });
        await env.clock.sleep(60_000);
      })
      .start();
    world
      .addHost("client", async (env) => {
        const client = new DqliteClient(env, {
          servers: ["n1"],
          operationTimeoutMs: 10 * callDeadlineMs,
          callDeadlineMs,
          attemptsMax: 1,
        });
        seen.failed = await client.transaction(async () => "committed").then(String, (error: unknown) => String(error));
      })
      .start();
    await world.scheduler.run({ untilTime: 5_000 });
    return seen;
  }

  for (const seed of SEEDS) {
    it(`leaves the stream of an attempt it gave up on, so the server can roll back what it began (seed ${seed})`, async () => {
      const seen = await lateSession(seed);
      expect(seen.failed).toMatch(/ErrNoLeader/);
      expect(seen.sent).toBe(true);
      expect(seen.left).toBe(true);
    });
  }
});
