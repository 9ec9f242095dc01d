/**
 * The replica around the append FSM, one behaviour per test:
 * - maybeRollFragment rolls on an empty fragment, past the target length, on a
 *   codec change, on an explicit offset, and across a flush interval boundary;
 * - a peer accepts messages only from the pipeline that owns its spool; a new
 *   pipeline's sync takes it over (rolling back partial content); a sync under
 *   another route is answered WRONG_ROUTE with the peer's header;
 * - a peer at a later etcd revision with another route makes the primary
 *   re-resolve, then append under the new route;
 * - pulses keep the journal synced and roll the spool at a flush interval
 *   boundary (handing it to the persister); close() rolls and hands over the
 *   last spool; a persisted spool is dropped after its retention.
 */
import { describe, expect, it } from "vitest";
import { maybeRollFragment } from "../../../../src/impl/gazette/broker/append.ts";
import { emptyFragment, ErrSpoolDropped } from "../../../../src/impl/gazette/broker/fragment/spool.ts";
import { ErrReplicaClosed } from "../../../../src/impl/gazette/broker/replica.ts";
import { ErrReplicateRefused, replicateOverRpc } from "../../../../src/impl/gazette/broker/replicate-wire.ts";
import { BROKER_PORT, type ReplicateRequest } from "../../../../src/impl/gazette/broker/types.ts";
import type { Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import type { JournalSpecFragment } from "../../../../src/impl/gazette/protocol/journal-spec.ts";
import { idOf, JOURNAL, journalSpec, ReplicationCluster, text } from "./_support/replication-cluster.ts";

const HOSTS = ["broker-a", "broker-b", "broker-c"];

describe("gazette broker: maybeRollFragment", () => {
  const spec: JournalSpecFragment = {
    length: 100,
    compressionCodec: "NONE",
    stores: [],
    refreshIntervalMs: 30_000,
    retentionMs: 0,
    flushIntervalMs: 0,
  };
  const fragment: Fragment = { ...emptyFragment(JOURNAL, 10, "NONE"), end: 60, sum: "ab".repeat(20) };
  const spool = (fields: Partial<Fragment> = {}, firstAppendTimeMs = 1_000) => ({
    fragment: { ...fragment, ...fields },
    firstAppendTimeMs,
  });

  it("keeps a fragment within its length, codec and flush interval", () => {
    expect(maybeRollFragment(spool(), 0, spec, 5_000)).toEqual(fragment);
    expect(maybeRollFragment(spool({ end: 110 }), 0, spec, 5_000)).toEqual({ ...fragment, end: 110 });
  });

  it("rolls an empty fragment, one past the target length, one of another codec, and to an explicit offset", () => {
    const rolledAt = (end: number, codec: Fragment["compressionCodec"] = "NONE") => ({
      ...emptyFragment(JOURNAL, end, codec),
    });
    expect(maybeRollFragment(spool({ begin: 60 }), 0, { ...spec, compressionCodec: "GZIP" }, 5_000)).toEqual(
      rolledAt(60, "GZIP"),
    );
    expect(maybeRollFragment(spool({ end: 111 }), 0, spec, 5_000)).toEqual(rolledAt(111));
    expect(maybeRollFragment(spool(), 0, { ...spec, compressionCodec: "GZIP" }, 5_000)).toEqual(rolledAt(60, "GZIP"));
    expect(maybeRollFragment(spool(), 60, spec, 5_000)).toEqual(rolledAt(60));
    expect(maybeRollFragment(spool(), 75, spec, 5_000)).toEqual(rolledAt(75));
    expect(() => maybeRollFragment(spool(), 50, spec, 5_000)).toThrow(/invalid rollToOffset/);
  });

  it("rolls a fragment first written in an earlier flush interval (UTC-aligned)", () => {
    const hourly = { ...spec, flushIntervalMs: 3_600_000 };
    expect(maybeRollFragment(spool({}, 3_600_000), 0, hourly, 7_199_999)).toEqual(fragment);
    expect(maybeRollFragment(spool({}, 3_600_000), 0, hourly, 7_200_000)).toEqual(emptyFragment(JOURNAL, 60, "NONE"));
  });
});

async function cluster(
  seed: number,
  fields: Partial<ConstructorParameters<typeof ReplicationCluster>[0]> = {},
): Promise<ReplicationCluster> {
  const created = new ReplicationCluster({ seed, hosts: HOSTS, ...fields });
  await created.start();
  return created;
}

describe("gazette broker: replica", () => {
  it("a peer takes messages only from its spool's pipeline; a new sync takes the spool over; another route is WRONG_ROUTE", async () => {
    const world = await cluster(21);
    const outcome = await world.on("broker-a", async (node) => {
      const send = replicateOverRpc(node.env, (peer) => `sim://${peer.suffix}:${BROKER_PORT}`);
      const peer = idOf("broker-b");
      const settle = (request: ReplicateRequest) =>
        send(peer, request).then(
          (value) => value,
          (error: unknown) => error,
        );
      const sync = (pipeline: string, header = world.header("broker-a")): ReplicateRequest => ({
        journal: JOURNAL,
        pipeline,
        header,
        proposal: emptyFragment(JOURNAL, 0, "NONE"),
        registers: { labels: [] },
        contentDelta: 0,
        acknowledge: true,
      });
      const content = (pipeline: string, delta: number): ReplicateRequest => ({
        journal: JOURNAL,
        pipeline,
        content: text("abc"),
        contentDelta: delta,
        acknowledge: false,
      });
      const spoolB = () => world.node("broker-b").replica.spool;
      const results: Record<string, unknown> = {};
      results.ghost = await settle(content("ghost", 0));
      results.sync1 = await settle(sync("p1"));
      results.content1 = await settle(content("p1", 0));
      results.deltaAfterContent = spoolB().delta;
      results.sync2 = await settle(sync("p2"));
      results.deltaAfterTakeover = spoolB().delta;
      results.staleContent = await settle(content("p1", 0));
      const otherRoute = {
        ...world.header("broker-a"),
        route: { members: [idOf("broker-a"), idOf("broker-b")], primary: 0, endpoints: [] },
      };
      results.wrongRoute = await settle(sync("p3", otherRoute));
      return results;
    });
    const results = outcome.value ?? {};
    expect(results.ghost).toBeInstanceOf(ErrReplicateRefused);
    expect(results.sync1).toMatchObject({ status: "OK" });
    expect(results.content1).toEqual({ status: "OK" });
    expect(results.deltaAfterContent).toBe(3);
    expect(results.sync2).toMatchObject({ status: "OK" });
    expect(results.deltaAfterTakeover).toBe(0);
    expect(results.staleContent).toBeInstanceOf(ErrReplicateRefused);
    expect(world.probe("gazette.broker.replicate-takeover")).toBe(2);
    expect(results.wrongRoute).toMatchObject({
      status: "WRONG_ROUTE",
      header: { processId: idOf("broker-b"), etcd: { revision: world.revision } },
    });
    expect(world.problems()).toEqual([]);
  });

  it("a peer holding a later route makes the primary re-resolve, then append under the new route", async () => {
    const world = await cluster(22, { members: ["broker-a", "broker-b"], spec: journalSpec({ replication: 2 }) });
    const stale = world.resolution("broker-a");
    world.setRoute(HOSTS, "broker-a");
    world.spec = journalSpec({ replication: 3 });
    const outcome = await world.on("broker-a", (node) =>
      node.replica.append(
        { journal: JOURNAL, doNotProxy: false, offset: 0 },
        (async function* () {
          yield text("after");
        })(),
        stale,
        new AbortController().signal,
      ),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.value?.status).toBe("OK");
    expect(outcome.value?.header.etcd.revision).toBe(world.revision);
    expect(outcome.value?.header.route.members).toHaveLength(3);
    expect(world.probe("gazette.broker.sync-read-through")).toBe(1);
    expect(outcome.value?.commit).toMatchObject({ begin: 0, end: "after".length });
    const fragments = HOSTS.map((host) => world.node(host).replica.spool.fragment);
    expect(fragments[1]).toEqual(fragments[0]);
    expect(fragments[2]).toEqual(fragments[0]);
    expect(world.problems()).toEqual([]);
  });

  it("pulses roll the spool at a flush interval boundary; close() hands the last spool over; persisted spools are dropped after retention", async () => {
    const world = await cluster(23, {
      spec: journalSpec({ fragment: { ...journalSpec().fragment, flushIntervalMs: 60_000 } }),
      replicaOptions: { pulseIntervalMs: 10_000, completedSpoolRetentionMs: 5_000 },
    });
    expect((await world.append([text("first")])).value?.status).toBe("OK");
    expect((await world.append([text("second")])).value?.status).toBe("OK");
    const primary = world.node("broker-a");
    expect(primary.persisted.map((p) => [p.fragment.begin, p.fragment.end])).toEqual([[0, 5]]);
    const persistedAt = world.world.now;
    // The first spool stays readable for its retention, then its file is dropped.
    const early = await world.on(
      "broker-a",
      () => primary.persisted[0]?.local.read(0, 5) ?? Promise.reject(new Error("none")),
    );
    expect(new TextDecoder().decode(early.value)).toBe("first");
    const wall = primary.env.clock.now();
    const boundary = Math.ceil((wall + 1) / 60_000) * 60_000;
    await world.world.scheduler.run({ untilTime: world.world.now + (boundary - wall) - 1_000 });
    expect(primary.persisted.length).toBe(1);
    expect(world.world.now - persistedAt).toBeGreaterThan(5_000);
    const late = await world.on(
      "broker-a",
      () => primary.persisted[0]?.local.read(0, 5) ?? Promise.reject(new Error("none")),
    );
    expect(late.error).toBeInstanceOf(ErrSpoolDropped);
    expect(world.probe("gazette.broker.spool-dropped")).toBeGreaterThanOrEqual(3);
    // Past the boundary, the next pulse rolls the spool on every replica.
    await world.world.scheduler.run({ untilTime: world.world.now + 12_000 });
    expect(primary.persisted.map((p) => [p.fragment.begin, p.fragment.end, p.primary])).toEqual([
      [0, 5, true],
      [5, 11, true],
    ]);
    for (const host of HOSTS) expect(world.node(host).replica.spool.fragment).toMatchObject({ begin: 11, end: 11 });
    expect((await world.append([text("last")])).value?.status).toBe("OK");
    await world.on("broker-a", (node) => node.replica.close());
    expect(primary.persisted.map((p) => [p.fragment.begin, p.fragment.end])).toEqual([
      [0, 5],
      [5, 11],
      [11, 15],
    ]);
    const closed = await world.append([text("refused")]);
    expect(closed.error).toBeInstanceOf(ErrReplicaClosed);
    expect(world.problems()).toEqual([]);
  });
});
