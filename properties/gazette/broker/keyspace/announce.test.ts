/**
 * Invariant (announce): a member key is created only when it does not exist — a
 * restarted broker's announcement waits until its previous incarnation's lease
 * expired and its key was deleted — and `lost` aborts when the lease can no
 * longer be renewed, no later than etcd deletes the key (a partitioned broker
 * learns it lost membership before anyone else can take over its journals).
 * A lease lost locally is never renewed again, so etcd deletes the key
 * within a TTL even when renewals would get through later.
 * Broken variants: "overwrite-existing" (no create-only compare),
 * "ignore-renewal-failures" (`lost` only on an explicit TTL 0) and
 * "renew-after-loss" (renewals go on after `lost`) are each caught.
 * Method: a 3-member etcd cluster, a broker host announcing (crashed and
 * restarted, or partitioned from etcd past its TTL), and an observer host
 * watching the members' keys.
 */
import { describe, expect, it } from "vitest";
import { bytesToString, type WatchEvent } from "../../../../src/impl/etcd/index.ts";
import { announce, ErrAnnounceAborted, type Announcement } from "../../../../src/impl/gazette/broker/announce.ts";
import { ANNOUNCE_RULES, type AnnounceBrokenVariant } from "../../_fixtures/broken-broker.ts";
import { encodeBrokerSpec, memberKey, membersPrefix } from "../../../../src/impl/gazette/broker/keyspace.ts";
import type { Env } from "../../../../src/sim/env.ts";
import type { World } from "../../../../src/sim/world.ts";
import {
  addHost,
  at,
  crashEtcdLeader,
  createEtcdWorld,
  ETCD_SERVERS,
  etcdClient,
  etcdReady,
  runWorld,
} from "./_support/etcd-world.ts";
import { brokerSpec, ROOT } from "./_support/records.ts";

const SPEC = brokerSpec("za", "brk1");
const KEY = memberKey(ROOT, SPEC.id);

interface Seen {
  readonly type: string;
  readonly lease: number;
  readonly revision: number;
  readonly atMs: number;
}

/** An observer host recording every event on the members' keys. */
function observe(world: World, seen: Seen[]): void {
  addHost(world, "o1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    for await (const response of client.watch(membersPrefix(ROOT), {
      prefix: true,
      startRevision: 1,
      signal: env.lifetime.signal,
    })) {
      for (const event of response.events as WatchEvent[]) {
        if (bytesToString(event.kv.key) === KEY)
          seen.push({ type: event.type, lease: event.kv.lease, revision: event.kv.modRevision, atMs: world.now });
      }
    }
  });
}

function forever(env: Env): Promise<void> {
  return new Promise((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve()));
}

async function restartRun(variant: AnnounceBrokenVariant | undefined) {
  const etcd = createEtcdWorld(1);
  const { world } = etcd;
  const seen: Seen[] = [];
  const announced: Array<{ incarnation: number; lease: number; revision: number; atMs: number }> = [];
  observe(world, seen);
  addHost(world, "b1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    const announcement = await announce(env, client, ROOT, SPEC, {
      ttlSeconds: 2,
      signal: env.lifetime.signal,
      ...(variant !== undefined ? { rules: ANNOUNCE_RULES[variant] } : {}),
    });
    announced.push({
      incarnation: env.lifetime.incarnation,
      lease: announcement.lease,
      revision: announcement.revision,
      atMs: world.now,
    });
    await forever(env);
  });
  const crashAtMs = 2_500;
  at(world, crashAtMs, () => {
    world.host("b1").crash();
    world.scheduler.schedule(100, () => world.host("b1").start());
  });
  const problems = await runWorld(etcd, 12_000, () => announced.length === 2 && seen.length >= 3);
  return { problems, seen, announced, crashAtMs, probes: world.probes };
}

async function partitionRun(variant: AnnounceBrokenVariant | undefined) {
  const etcd = createEtcdWorld(2);
  const { world } = etcd;
  const seen: Seen[] = [];
  const state: { lostAtMs?: number; lostReason?: unknown; announcement?: Announcement } = {};
  observe(world, seen);
  addHost(world, "b1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    const announcement = await announce(env, client, ROOT, SPEC, {
      ttlSeconds: 2,
      signal: env.lifetime.signal,
      ...(variant !== undefined ? { rules: ANNOUNCE_RULES[variant] } : {}),
    });
    state.announcement = announcement;
    announcement.lost.addEventListener("abort", () => {
      state.lostAtMs = world.now;
      state.lostReason = announcement.lost.reason;
    });
    await forever(env);
  });
  const partitionAtMs = 2_500;
  at(world, partitionAtMs, () => world.network.partition([["b1"], [...ETCD_SERVERS, "o1"]]));
  at(world, 7_000, () => world.network.heal());
  const problems = await runWorld(etcd, 9_000);
  return { problems, seen, state, partitionAtMs };
}

/**
 * b1 is cut off for 2.1 s, longer than its TTL, while etcd's leader fails: the
 * new leader gives every lease a fresh TTL plus its election timeout (etcd's
 * promote), so b1's lease outlives b1's own deadline, and renewals sent after
 * the heal would succeed.
 */
async function lostButAliveRun(variant: AnnounceBrokenVariant | undefined) {
  const etcd = createEtcdWorld(4);
  const { world, cluster } = etcd;
  const seen: Seen[] = [];
  const state: { lostAtMs?: number } = {};
  observe(world, seen);
  addHost(world, "b1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    const announcement = await announce(env, client, ROOT, SPEC, {
      ttlSeconds: 2,
      signal: env.lifetime.signal,
      ...(variant !== undefined ? { rules: ANNOUNCE_RULES[variant] } : {}),
    });
    announcement.lost.addEventListener("abort", () => (state.lostAtMs = world.now));
    await forever(env);
  });
  const cutAtMs = 2_500;
  at(world, cutAtMs, () => {
    world.network.isolate("b1");
    crashEtcdLeader(world, cluster, 300);
  });
  at(world, cutAtMs + 2_100, () => world.network.heal());
  const problems = await runWorld(etcd, 12_000);
  return { problems, seen, state, cutAtMs };
}

describe("announce", () => {
  it("waits while the previous incarnation's key lives, and announces once its lease expired", async () => {
    const { problems, seen, announced, crashAtMs, probes } = await restartRun(undefined);
    expect(problems).toEqual([]);
    const [first, second] = announced;
    expect(first?.incarnation).toBe(1);
    expect(second?.incarnation).toBe(2);
    expect(second?.lease).not.toBe(first?.lease);
    expect(
      seen.map(
        (event) => `${event.type}:${event.lease === 0 ? "-" : event.lease === first?.lease ? "first" : "second"}`,
      ),
    ).toEqual(["PUT:first", "DELETE:-", "PUT:second"]);
    expect(second?.revision).toBe(seen[2]?.revision);
    expect((second?.atMs ?? 0) - crashAtMs).toBeGreaterThan(1_000);
    expect(probes.get("gazette.announce.key-exists")).toBeGreaterThan(0);
  });

  it("catches the overwrite-existing variant", async () => {
    const { seen, announced } = await restartRun("overwrite-existing");
    expect(announced.length).toBe(2);
    expect(seen.map((event) => event.type).slice(0, 2)).toEqual(["PUT", "PUT"]);
  });

  it("aborts `lost` when partitioned from etcd past its TTL, before etcd deletes the key", async () => {
    const { problems, seen, state, partitionAtMs } = await partitionRun(undefined);
    expect(problems).toEqual([]);
    const deleted = seen.find((event) => event.type === "DELETE");
    expect(deleted).toBeDefined();
    expect(state.lostAtMs).toBeDefined();
    expect(state.lostReason).toBe("lost");
    expect(state.lostAtMs as number).toBeGreaterThan(partitionAtMs);
    expect((state.lostAtMs as number) - partitionAtMs).toBeLessThanOrEqual(2_000);
    expect(state.lostAtMs as number).toBeLessThanOrEqual(deleted?.atMs as number);
  });

  it("catches the ignore-renewal-failures variant", async () => {
    const { seen, state } = await partitionRun("ignore-renewal-failures");
    expect(seen.some((event) => event.type === "DELETE")).toBe(true);
    expect(state.lostAtMs).toBeUndefined();
  });

  it("never renews a lease it lost: etcd deletes the key within a TTL of the loss although renewals would get through", async () => {
    const { problems, seen, state, cutAtMs } = await lostButAliveRun(undefined);
    expect(problems).toEqual([]);
    expect(state.lostAtMs).toBeDefined();
    expect(state.lostAtMs as number).toBeGreaterThan(cutAtMs);
    const deleted = seen.find((event) => event.type === "DELETE");
    expect(deleted).toBeDefined();
    // TTL 2 s, plus the lessor's check interval and the watch's delivery.
    expect((deleted?.atMs as number) - (state.lostAtMs as number)).toBeLessThan(3_000);
  });

  it("catches the renew-after-loss variant", async () => {
    const { seen, state } = await lostButAliveRun("renew-after-loss");
    expect(state.lostAtMs).toBeDefined();
    expect(seen.some((event) => event.type === "DELETE")).toBe(false);
  });

  it("gives up with ErrAnnounceAborted when its signal aborts while the key is held; revoke() removes the key and aborts `lost`", async () => {
    const etcd = createEtcdWorld(3);
    const { world } = etcd;
    const outcome: { aborted?: unknown; revoked?: { count: number; lost: boolean; reason: unknown } } = {};
    addHost(world, "b1", async (env) => {
      const client = etcdClient(env);
      await etcdReady(env, client);
      const holder = await client.grant(30);
      await client.put(KEY, encodeBrokerSpec(SPEC), { lease: holder.id });
      const controller = new AbortController();
      env.clock.setTimer(1_500, () => controller.abort());
      try {
        await announce(env, client, ROOT, SPEC, { ttlSeconds: 2, signal: controller.signal });
      } catch (error) {
        outcome.aborted = error;
      }
      await client.revoke(holder.id);
      const announcement = await announce(env, client, ROOT, SPEC, { ttlSeconds: 2, signal: env.lifetime.signal });
      await announcement.revoke();
      outcome.revoked = {
        count: (await client.get(KEY)).count,
        lost: announcement.lost.aborted,
        reason: announcement.lost.reason,
      };
    });
    const problems = await runWorld(etcd, 20_000, () => outcome.revoked !== undefined);
    expect(problems).toEqual([]);
    expect(outcome.aborted).toBeInstanceOf(ErrAnnounceAborted);
    expect(outcome.revoked).toEqual({ count: 0, lost: true, reason: "revoked" });
  });
});
