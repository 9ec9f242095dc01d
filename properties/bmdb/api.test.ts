/**
 * BMDB's API on a 3-server replicated SQLite, scripted step by step: sessions
 * (expiry by partition, by an administrator deleting the row, the lease from the
 * attempt that committed, heartbeat retries after a poke of unknown outcome), work
 * (ErrNothingToDo, ErrWorkConflict, ErrWorkAlreadyDone, cancel/finish/fail with
 * their history, backoff eligibility) and the metrics counters. The checks that
 * guard a broken variant are run against it too, and must fail there.
 */
import { describe, expect, it } from "vitest";
import { withVariant, type BmdbBrokenVariant } from "../../scenarios/bmdb/variants.ts";
import {
  BmdbMetrics,
  Connection,
  ErrNothingToDo,
  ErrSessionExpired,
  ErrWorkAlreadyDone,
  ErrWorkConflict,
  LEASE_MARGIN_MS,
  type Session,
} from "../../src/impl/bmdb/index.ts";
import { DqliteClient } from "../../src/impl/dqlite/index.ts";
import { startDqliteCluster } from "../../scenarios/dqlite/cluster.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import { RpcError, type Env } from "../../src/sim/env.ts";
import { standaloneContext } from "../../src/sim/runner.ts";
import { World } from "../../src/sim/world.ts";

const SERVERS = ["n1", "n2", "n3"];
const STEP_MS = 20;

/**
 * A world with three dqlite servers (the scenarios' kit); `spawn` runs a body on a client host and `until` drives the
 * world until a promise settles.
 */
function cluster(seed: number) {
  const world = new World({ seed, disks: createSimDisks() });
  startDqliteCluster(standaloneContext(world, seed), { servers: SERVERS });
  const spawn = <T>(host: string, body: (env: Env) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      world.addHost(host, async (env) => body(env).then(resolve, reject)).start();
    });
  const until = async <T>(promise: Promise<T>, maxMs = 60_000): Promise<T> => {
    let settled = false;
    const tracked = promise.finally(() => (settled = true));
    tracked.catch(() => undefined);
    const deadline = world.now + maxMs;
    while (!settled && world.now < deadline) await world.scheduler.run({ untilTime: world.now + STEP_MS });
    if (!settled) throw new Error(`not settled within ${maxMs} virtual ms`);
    return tracked;
  };
  const sleep = (ms: number) => until(new Promise<void>((resolve) => world.scheduler.schedule(ms, resolve)));
  return { world, spawn, until, sleep };
}

/** A connection of `env`'s host whose sessions run `variant` (scenarios/bmdb/variants.ts), if given. */
function connect(env: Env, options: { metrics?: BmdbMetrics; variant?: BmdbBrokenVariant } = {}): Promise<Connection> {
  return Connection.connect(
    env,
    withVariant({ servers: SERVERS, componentName: `test-${env.host}`, metrics: options.metrics }, options.variant),
  );
}

async function addMachine(session: Session, machineId: string, tag: string): Promise<void> {
  await session.transact(async (q, now) => {
    await q.machineAdd(machineId, now);
    await q.machineTag(machineId, tag);
  });
}

/** A retrieval of machines tagged `tag` and not `done` for `process`. */
const eligible =
  (process: string, tag: string, done = "done") =>
  (q: Parameters<Parameters<Session["work"]>[1]>[0], now: number) =>
    q.machinesEligible({ process, requiredTag: tag, doneTag: done, now, limit: 1 });

describe("BMDB API", () => {
  it("work: ErrNothingToDo with nothing eligible, ErrWorkConflict for a machine another session holds, ErrWorkAlreadyDone after finish", async () => {
    const { spawn, until } = cluster(1);
    const outcome = await until(
      spawn("a", async (env) => {
        const connection = await connect(env);
        const [first, second] = [await connection.startSession(), await connection.startSession()];
        const nothing = await first.work("Install", eligible("Install", "new")).catch((error: unknown) => error);
        await addMachine(first, "m1", "new");
        const work = await first.work("Install", eligible("Install", "new"));
        // The second session is handed m1 by a retrieval that does not look at the work table.
        const conflict = await second.work("Install", async () => ["m1"]).catch((error: unknown) => error);
        await work.finish(async (q) => q.machineTag("m1", "done"));
        const again = await work.finish().catch((error: unknown) => error);
        const failAfter = await work.fail(undefined, "late").catch((error: unknown) => error);
        const canceled = await work.cancel();
        const after = await second.work("Install", eligible("Install", "new")).catch((error: unknown) => error);
        const history = await first.transact((q) => q.history());
        return {
          nothing,
          conflict,
          again,
          failAfter,
          canceled,
          after,
          events: history.map((row) => `${row.machineId}/${row.process}:${row.event}`),
        };
      }),
    );
    expect(outcome.nothing).toBeInstanceOf(ErrNothingToDo);
    expect(outcome.conflict).toBeInstanceOf(ErrWorkConflict);
    expect(outcome.again).toBeInstanceOf(ErrWorkAlreadyDone);
    expect(outcome.failAfter).toBeInstanceOf(ErrWorkAlreadyDone);
    expect(outcome.canceled, "cancel after finish is a no-op").toBe(true);
    expect(outcome.after, "a finished machine tagged done is not eligible").toBeInstanceOf(ErrNothingToDo);
    expect(outcome.events).toEqual(["m1/Install:Started", "m1/Install:Finished"]);
  }, 30_000);

  it("fail puts the machine in backoff: not eligible until it passes, then eligible with the next interval; cancel records Canceled", async () => {
    const { spawn, until } = cluster(2);
    const outcome = await until(
      spawn("a", async (env) => {
        const connection = await connect(env);
        const session = await connection.startSession();
        await addMachine(session, "m1", "new");
        const backoff = { initialMs: 2_000, maximumMs: 60_000, exponent: 2 };
        const first = await (await session.work("Install", eligible("Install", "new"))).fail(backoff, "disk missing");
        const during = await session.work("Install", eligible("Install", "new")).catch((error: unknown) => error);
        await env.clock.sleep(first * 1_000 + 100);
        const retried = await session.work("Install", eligible("Install", "new"));
        const existing = retried.backoff;
        const second = await retried.fail(backoff, "disk missing again");
        await env.clock.sleep(second * 1_000 + 100);
        const third = await session.work("Install", eligible("Install", "new"));
        const released = await third.cancel();
        const history = await session.transact((q) => q.history());
        return {
          first,
          during,
          existing,
          second,
          released,
          events: history.map((row) => `${row.event}${row.failedCause !== null ? `(${row.failedCause})` : ""}`),
        };
      }),
    );
    expect(outcome.first).toBe(2);
    expect(outcome.during).toBeInstanceOf(ErrNothingToDo);
    expect(outcome.existing).toEqual({ lastIntervalSeconds: 2 });
    expect(outcome.second).toBe(4);
    expect(outcome.released).toBe(true);
    expect(outcome.events).toEqual([
      "Started",
      "Failed(disk missing)",
      "Started",
      "Failed(disk missing again)",
      "Started",
      "Canceled",
    ]);
  }, 30_000);

  it("a session cut off past its interval expires: others take its work, its own transactions and its work fail with ErrSessionExpired, its heartbeat stops", async () => {
    const { world, spawn, until, sleep } = cluster(3);
    const a = spawn("a", async (env) => {
      const session = await (await connect(env)).startSession({ intervalSeconds: 2 });
      await addMachine(session, "m1", "new");
      const work = await session.work("Install", eligible("Install", "new"));
      return { env, session, work };
    });
    const held = await until(a);
    world.network.isolate("a");
    await sleep(2_500);
    const taken = await until(
      spawn("b", async (env) => {
        const session = await (await connect(env)).startSession({ intervalSeconds: 2 });
        const work = await session.work("Install", eligible("Install", "new"));
        return work.machineId;
      }),
    );
    world.network.heal();
    const after = await until(
      spawn("a-check", async () => ({
        expired: held.session.expired(),
        transact: await held.session.transact(async () => undefined).catch((error: unknown) => error),
        finish: await held.work.finish().catch((error: unknown) => error),
      })),
    );
    await until(held.session.heartbeatDone(), 5_000);
    expect(taken).toBe("m1");
    expect(after.expired).toBe(true);
    expect(after.transact).toBeInstanceOf(ErrSessionExpired);
    expect(after.finish).toBeInstanceOf(ErrSessionExpired);
  }, 30_000);

  /** Deletes the session row as an administrator would, then runs one transaction of the session. */
  async function afterRowDeleted(variant?: BmdbBrokenVariant) {
    const { spawn, until } = cluster(4);
    return until(
      spawn("a", async (env) => {
        const session = await (await connect(env, { variant })).startSession();
        const admin = new DqliteClient(env, { servers: SERVERS, database: "bmdb" });
        await admin.exec("DELETE FROM sessions WHERE session_id = ?", [session.id]);
        const result = await session
          .transact(async (q, now) => q.machineAdd("m-late", now))
          .then(
            () => "committed",
            (error: unknown) => error,
          );
        return { result, expired: session.expired() };
      }),
    );
  }

  it("a session whose row is gone is expired for good: the session check in the transaction refuses it", async () => {
    const outcome = await afterRowDeleted();
    expect(outcome.result).toBeInstanceOf(ErrSessionExpired);
    expect(outcome.expired).toBe(true);
  }, 30_000);

  it("the same check fails on the no-session-check variant (the transaction commits)", async () => {
    const outcome = await afterRowDeleted("no-session-check");
    expect(outcome.result).toBe("committed");
    expect(outcome.expired).toBe(false);
  }, 30_000);

  /**
   * The session's next commit after 2.4 s (its second heartbeat's poke) fails as if
   * the connection broke while it was in flight (UNAVAILABLE: outcome unknown, so
   * `transact` does not retry it and the heartbeat sees the failure). A heartbeat
   * must retry until the interval's deadline. Then one transaction.
   */
  async function throughOutage(variant?: BmdbBrokenVariant) {
    const { spawn, until, sleep } = cluster(5);
    const metrics = new BmdbMetrics();
    const armed = { commits: 0 };
    const session = await until(
      spawn("a", async (env) => {
        const call: Env["rpc"]["call"] = (address, port, method, request, options) => {
          if (method === "dqlite.commit" && armed.commits > 0) {
            armed.commits--;
            return Promise.reject(
              new RpcError("UNAVAILABLE", "injected: the connection broke while the commit was in flight"),
            );
          }
          return env.rpc.call(address, port, method, request, options);
        };
        const faulty: Env = { ...env, rpc: { ...env.rpc, call } };
        return (await connect(faulty, { metrics, variant })).startSession({ processor: "p" });
      }),
    );
    await sleep(2_400);
    armed.commits = 1;
    await sleep(5_000);
    const result = await until(
      spawn("a-check", async () =>
        session
          .transact(async (q, now) => q.machineAdd("m-after", now))
          .then(
            () => "committed",
            (error: unknown) => error,
          ),
      ),
    );
    return {
      result,
      expired: session.expired(),
      failed: metrics.total("bmdb_transactions_failed_total"),
      injected: armed.commits === 0,
    };
  }

  it("a heartbeat that fails transiently retries until the interval's deadline: a heartbeat whose commit's outcome is unknown does not end the session", async () => {
    const outcome = await throughOutage();
    expect(outcome.injected && outcome.failed, "the heartbeat met the failure").toBe(1);
    expect(outcome.result).toBe("committed");
    expect(outcome.expired).toBe(false);
  }, 30_000);

  it("the same failure ends the session at once on the seed's inverted heartbeat condition", async () => {
    const outcome = await throughOutage("seed-heartbeat-condition");
    expect(outcome.injected).toBe(true);
    expect(outcome.result).toBeInstanceOf(ErrSessionExpired);
    expect(outcome.expired).toBe(true);
  }, 30_000);

  it("a session started through a long outage is live when startSession returns: its lease runs from the attempt that committed", async () => {
    for (const outageMs of [3_000, 4_500, 6_000]) {
      const { world, spawn, until, sleep } = cluster(6);
      const connection = await until(spawn("a", (env) => connect(env)));
      world.network.isolate("a");
      const started = spawn("a-start", async (env) => {
        const session = await connection.startSession({ intervalSeconds: 5 });
        return { expired: session.expired(), at: env.clock.monotonic() };
      });
      await sleep(outageMs);
      world.network.heal();
      const outcome: { expired: boolean } | Error = await until(
        started.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      );
      if (outcome instanceof Error) continue;
      expect(outcome.expired, `outage ${outageMs} ms`).toBe(false);
    }
  }, 60_000);

  it("metrics: sessions started, transactions started/retried/failed per processor, work started/finished by result per process", async () => {
    const { spawn, until } = cluster(7);
    const metrics = new BmdbMetrics();
    await until(
      spawn("a", async (env) => {
        const session = await (await connect(env, { metrics })).startSession({ processor: "agent" });
        await addMachine(session, "m1", "new");
        await addMachine(session, "m2", "new");
        await (
          await session.work("Install", eligible("Install", "new"))
        ).finish(async (q) => q.machineTag("m1", "done"));
        await (await session.work("Install", eligible("Install", "new"))).fail(undefined, "broken");
        await session.work("Install", eligible("Install", "new")).catch(() => undefined);
        session.cancel();
        await session.transact(async () => undefined).catch(() => undefined);
      }),
    );
    const counters = metrics.snapshot();
    expect(counters["bmdb_sessions_started_total{processor=agent}"]).toBe(1);
    expect(counters["bmdb_work_started_total{processor=agent,process=Install}"]).toBe(2);
    expect(counters["bmdb_work_finished_total{processor=agent,process=Install,result=finished}"]).toBe(1);
    expect(counters["bmdb_work_finished_total{processor=agent,process=Install,result=failed}"]).toBe(1);
    // ErrNothingToDo, then the transaction on the canceled session: two failed transactions.
    expect(counters["bmdb_transactions_failed_total{processor=agent}"]).toBe(2);
    expect(metrics.total("bmdb_transactions_started_total")).toBeGreaterThanOrEqual(6);
    expect(LEASE_MARGIN_MS).toBe(500);
  }, 30_000);
});
