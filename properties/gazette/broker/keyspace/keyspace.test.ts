/**
 * Invariant (KeySpace): the mirror equals etcd's prefix at the mirror's revision
 * — across an etcd leader crash (the watch resumes from the next revision) and
 * across a compaction of the revisions it missed while cut off (it loads again) —
 * and malformed values are skipped (counted, probed), a malformed update keeps
 * the previous value, a delete always applies.
 * Broken variants: "accept-malformed" (no validate*) and "no-reload-on-compacted"
 * (resumes at the compaction revision without loading) are each caught.
 * Method: synthetic watch responses on one host; then a 3-member etcd cluster
 * with a writer host and a mirroring host, a leader crash or a partition with a
 * compaction, comparing the mirror with a fresh load at its revision.
 */
import { describe, expect, it } from "vitest";
import { ErrCompacted, type EtcdClient, type ResponseHeader } from "../../../../src/impl/etcd/index.ts";
import {
  assignmentKey,
  encodeBrokerSpec,
  encodeJournalSpec,
  itemKey,
  KeySpace,
  memberKey,
} from "../../../../src/impl/gazette/broker/keyspace.ts";
import { KEY_SPACES, type KeySpaceBrokenVariant } from "../../_fixtures/broken-broker.ts";
import type { Env } from "../../../../src/sim/env.ts";
import {
  addHost,
  at,
  createEtcdWorld,
  crashEtcdLeader,
  ETCD_SERVERS,
  etcdClient,
  etcdReady,
  onOneHost,
  runWorld,
} from "./_support/etcd-world.ts";
import {
  assignmentKv,
  brokerSpec,
  itemKv,
  journalSpec,
  keyValue,
  memberKv,
  responseHeader,
  ROOT,
} from "./_support/records.ts";

/** The mirror as text, for comparison. */
function snapshot(keyspace: KeySpace): string[] {
  return [
    ...keyspace.items().map((item) => `item ${item.spec.name} r${item.spec.replication} @${item.modRevision}`),
    ...keyspace.members().map((member) => `member ${member.key} @${member.modRevision} lease ${member.lease}`),
    ...keyspace
      .allAssignments()
      .map((assignment) => `assign ${assignment.key} slot ${assignment.slot} @${assignment.modRevision}`),
  ];
}

function put(kv: ReturnType<typeof keyValue>) {
  return { type: "PUT" as const, kv };
}

async function malformedCase(variant: KeySpaceBrokenVariant | undefined) {
  return onOneHost(1, async (env) => {
    const keyspace = new (variant === undefined ? KeySpace : KEY_SPACES[variant])(env, etcdClient(env));
    const good = journalSpec("jrn/good", 2);
    keyspace.reset(
      [
        itemKv(good, 2),
        memberKv(brokerSpec("za", "brk1"), 3),
        assignmentKv("jrn/good", { zone: "za", suffix: "brk1" }, 0, 4),
      ],
      responseHeader(4),
    );
    const header: ResponseHeader = responseHeader(10);
    keyspace.apply({
      header,
      events: [
        put(keyValue(itemKey(ROOT, "jrn/json"), "{not json", 5)),
        put(keyValue(itemKey(ROOT, "jrn/zero"), encodeJournalSpec(journalSpec("jrn/zero", 0)), 5)),
        put(keyValue(itemKey(ROOT, "jrn/other"), encodeJournalSpec(journalSpec("jrn/named-else", 1)), 6)),
        put(keyValue(memberKey(ROOT, { zone: "za", suffix: "brk2" }), encodeBrokerSpec(brokerSpec("za", "brk9")), 6)),
        put(
          keyValue(
            memberKey(ROOT, { zone: "za", suffix: "brk3" }),
            encodeBrokerSpec({ ...brokerSpec("za", "brk3"), endpoint: "no endpoint" }),
            7,
          ),
        ),
        put(keyValue(assignmentKey(ROOT, "jrn/good", { zone: "zb", suffix: "brk2" }), '{"slot":-1}', 7)),
        put(keyValue(`${ROOT}/assign/jrn/good`, '{"slot":0}', 8)),
        put(keyValue(itemKey(ROOT, "jrn/good"), encodeJournalSpec(journalSpec("jrn/good", 9)), 9)),
        put(keyValue(`${ROOT}/other/left-alone`, "anything", 9)),
      ],
    });
    const afterMalformed = { snapshot: snapshot(keyspace), malformed: keyspace.malformed, revision: keyspace.revision };
    keyspace.apply({
      header: responseHeader(12),
      events: [
        put(keyValue(itemKey(ROOT, "jrn/zero"), encodeJournalSpec(journalSpec("jrn/zero", 1)), 11)),
        { type: "DELETE", kv: keyValue(itemKey(ROOT, "jrn/good"), "", 12) },
      ],
    });
    return { afterMalformed, fixed: snapshot(keyspace) };
  });
}

describe("KeySpace decoding", () => {
  it("skips malformed values (counted), keeps the previous value on a malformed update, applies later fixes and deletes", async () => {
    const { afterMalformed, fixed } = await malformedCase(undefined);
    expect(afterMalformed.malformed).toBe(8);
    expect(afterMalformed.revision).toBe(9);
    expect(afterMalformed.snapshot).toEqual([
      "item jrn/good r2 @2",
      `member ${ROOT}/members/za#brk1 @3 lease 1003`,
      `assign ${ROOT}/assign/jrn/good#za#brk1 slot 0 @4`,
    ]);
    expect(fixed).toEqual([
      "item jrn/zero r1 @11",
      `member ${ROOT}/members/za#brk1 @3 lease 1003`,
      `assign ${ROOT}/assign/jrn/good#za#brk1 slot 0 @4`,
    ]);
  });

  it("catches the accept-malformed variant", async () => {
    const { afterMalformed } = await malformedCase("accept-malformed");
    expect(afterMalformed.snapshot).toContain("item jrn/zero r0 @5");
  });

  it("derives routes: members in (zone, suffix) order, the slot-0 member primary, endpoints from member specs", async () => {
    const route = await onOneHost(2, async (env) => {
      const keyspace = new KeySpace(env, etcdClient(env));
      keyspace.reset(
        [
          itemKv(journalSpec("jrn/one", 3), 2),
          memberKv(brokerSpec("zb", "brk1"), 3),
          memberKv(brokerSpec("za", "brk2"), 4),
          assignmentKv("jrn/one", { zone: "zb", suffix: "brk1" }, 0, 5),
          assignmentKv("jrn/one", { zone: "za", suffix: "brk2" }, 1, 6),
          assignmentKv("jrn/one", { zone: "za", suffix: "gone" }, 2, 7),
        ],
        responseHeader(7),
      );
      return {
        route: keyspace.route("jrn/one"),
        none: keyspace.route("jrn/none"),
        of: keyspace.assignmentsOf({ zone: "za", suffix: "brk2" }).map((a) => a.journal),
      };
    });
    expect(route.route).toEqual({
      members: [
        { zone: "za", suffix: "brk2" },
        { zone: "za", suffix: "gone" },
        { zone: "zb", suffix: "brk1" },
      ],
      primary: 2,
      endpoints: ["sim://brk2:8080", "", "sim://brk1:8080"],
    });
    expect(route.none).toEqual({ members: [], primary: -1, endpoints: [] });
    expect(route.of).toEqual(["jrn/one"]);
  });
});

/** The writer's script: items, members, assignments, deletes and malformed values, one op per 40 ms. */
async function writeWorkload(env: Env, client: EtcdClient, operations: number): Promise<void> {
  for (let index = 0; index < operations; index++) {
    const journal = `jrn/${index % 7}`;
    const member = { zone: index % 2 === 0 ? "za" : "zb", suffix: `brk${index % 4}` };
    try {
      switch (index % 6) {
        case 0:
          await client.put(itemKey(ROOT, journal), encodeJournalSpec(journalSpec(journal, 1 + (index % 3))));
          break;
        case 1:
          await client.put(assignmentKey(ROOT, journal, member), JSON.stringify({ slot: index % 3 }));
          break;
        case 2:
          await client.delete(itemKey(ROOT, `jrn/${(index + 3) % 7}`));
          break;
        case 3:
          await client.put(
            memberKey(ROOT, member),
            encodeBrokerSpec({ id: member, endpoint: `sim://${member.suffix}:8080`, journalLimit: index }),
          );
          break;
        case 4:
          await client.delete(assignmentKey(ROOT, `jrn/${(index + 2) % 7}`, member));
          break;
        default:
          await client.put(
            itemKey(ROOT, "jrn/bad"),
            index % 12 === 5 ? "not json" : encodeJournalSpec(journalSpec("jrn/bad", 0)),
          );
      }
    } catch {
      // Outcome unknown or no leader during the crash: the mirror must match whatever happened.
    }
    await env.clock.sleep(40);
  }
}

/** Compares the mirror with a fresh load at the mirror's revision. */
async function compareWithEtcd(env: Env, keyspace: KeySpace): Promise<{ mirror: string[]; etcd: string[] }> {
  const client = etcdClient(env);
  const fresh = new KeySpace(env, client);
  const response = await client.get(`${ROOT}/`, { prefix: true, revision: keyspace.revision });
  fresh.reset(response.kvs, response.header);
  return { mirror: snapshot(keyspace), etcd: snapshot(fresh) };
}

describe("KeySpace mirroring a 3-member etcd cluster", () => {
  for (const seed of [1, 2]) {
    it(`equals etcd's prefix at its revision after an etcd leader crash (seed ${seed})`, async () => {
      const etcd = createEtcdWorld(seed);
      const { world, cluster } = etcd;
      const outcome: {
        finalRevision?: number;
        compared?: { mirror: string[]; etcd: string[] };
        malformed?: number;
        crashed?: string | undefined;
      } = {};
      addHost(world, "w1", async (env) => {
        const client = etcdClient(env);
        await etcdReady(env, client);
        await writeWorkload(env, client, 90);
        outcome.finalRevision = (
          await client.put(itemKey(ROOT, "jrn/final"), encodeJournalSpec(journalSpec("jrn/final", 1)))
        ).header.revision;
      });
      addHost(world, "b1", async (env) => {
        const client = etcdClient(env);
        await etcdReady(env, client);
        const keyspace = new KeySpace(env, client);
        expect(await keyspace.start(env.lifetime.signal)).toBe(true);
        while (outcome.finalRevision === undefined || keyspace.revision < outcome.finalRevision)
          await env.clock.sleep(50);
        outcome.compared = await compareWithEtcd(env, keyspace);
        outcome.malformed = keyspace.malformed;
      });
      at(world, 2_000, () => void (outcome.crashed = crashEtcdLeader(world, cluster, 600)));
      const problems = await runWorld(etcd, 30_000, () => outcome.compared !== undefined);
      expect(problems).toEqual([]);
      expect(outcome.crashed).toBeDefined();
      expect(outcome.compared?.mirror.length).toBeGreaterThan(5);
      expect(outcome.compared?.mirror).toEqual(outcome.compared?.etcd);
      expect(outcome.compared?.mirror.some((line) => line.includes("jrn/bad"))).toBe(false);
      expect(outcome.malformed).toBeGreaterThan(3);
      expect(world.probes.get("etcd.watch-resumed")).toBeGreaterThan(0);
      expect(world.probes.get("gazette.keyspace.malformed-value")).toBeGreaterThan(3);
    });
  }

  async function compactionRun(variant: KeySpaceBrokenVariant | undefined) {
    const etcd = createEtcdWorld(3);
    const { world } = etcd;
    const state: {
      partitioned: boolean;
      phase1?: number;
      finalRevision?: number;
      compacted?: number;
      compared?: { mirror: string[]; etcd: string[] };
    } = { partitioned: false };
    addHost(world, "w1", async (env) => {
      const client = etcdClient(env);
      await etcdReady(env, client);
      for (let index = 0; index < 10; index++)
        state.phase1 = (
          await client.put(itemKey(ROOT, `jrn/${index}`), encodeJournalSpec(journalSpec(`jrn/${index}`, 1)))
        ).header.revision;
      while (!state.partitioned) await env.clock.sleep(20);
      for (let index = 0; index < 5; index++) await client.delete(itemKey(ROOT, `jrn/${index}`));
      let revision = 0;
      for (let index = 10; index < 13; index++)
        revision = (await client.put(itemKey(ROOT, `jrn/${index}`), encodeJournalSpec(journalSpec(`jrn/${index}`, 2))))
          .header.revision;
      await client.compact(revision);
      state.compacted = revision;
      state.finalRevision = (
        await client.put(itemKey(ROOT, "jrn/13"), encodeJournalSpec(journalSpec("jrn/13", 3)))
      ).header.revision;
    });
    addHost(world, "b1", async (env) => {
      const client = etcdClient(env);
      await etcdReady(env, client);
      const keyspace = new (variant === undefined ? KeySpace : KEY_SPACES[variant])(env, client);
      await keyspace.start(env.lifetime.signal);
      while (state.finalRevision === undefined || keyspace.revision < state.finalRevision) await env.clock.sleep(50);
      state.compared = await compareWithEtcd(env, keyspace);
    });
    // Cut the mirror off once it has seen the first phase; heal after the compaction.
    const cut = () => {
      if (state.phase1 === undefined) return void world.scheduler.schedule(50, cut);
      world.network.partition([["b1"], [...ETCD_SERVERS, "w1"]]);
      state.partitioned = true;
      world.scheduler.schedule(2_500, () => world.network.heal());
    };
    at(world, 1_000, cut);
    const problems = await runWorld(etcd, 30_000, () => state.compared !== undefined);
    return { problems, state, probes: world.probes };
  }

  it("loads again when the revisions it missed were compacted away", async () => {
    const { problems, state, probes } = await compactionRun(undefined);
    expect(problems).toEqual([]);
    expect(state.compared?.mirror).toEqual(state.compared?.etcd);
    expect(state.compared?.mirror).toContain(`item jrn/13 r3 @${state.finalRevision}`);
    expect(probes.get("gazette.keyspace.reloaded")).toBeGreaterThan(0);
    expect(ErrCompacted.name).toBe("ErrCompacted");
  });

  it("catches the no-reload-on-compacted variant", async () => {
    const { problems, state } = await compactionRun("no-reload-on-compacted");
    expect(problems).toEqual([]);
    expect(state.compared?.mirror).not.toEqual(state.compared?.etcd);
  });
});
