/**
 * Invariant (runAllocator over etcd): only the allocator leader — the live member
 * with the lowest createRevision at the txn's revision — commits assignments;
 * at every revision each journal has at most one primary, a live member is never
 * dropped from a journal whose replication did not shrink, and a new primary is
 * one of the previous route's members whenever one of them is still live
 * (promotion of a survivor, never of a freshly added member). With members
 * joining and crashing, assignments converge: every journal ends with
 * min(replication, live members) live members and one primary, and a deleted
 * journal's assignments are removed.
 * Broken variants: "replace-survivors", "promote-newest" (caught by the observer's
 * checks) and "no-leader-election" (caught by the leader check) each fail it.
 * Method: a 3-member etcd cluster, brokers brk1..brk5 (announce + KeySpace +
 * runAllocator), a driver applying journals, an observer mirroring the key
 * space; brk1 (leader, and primary of journals) crashes for good, brk5 joins,
 * journals are added and deleted, then brk3 crashes.
 */
import { describe, expect, it } from "vitest";
import { allocatorLeader, runAllocator, type AllocatorRound } from "../../../../src/impl/gazette/broker/allocator.ts";
import { ALLOCATION_RULES, type AllocatorBrokenVariant } from "../../../../scenarios/gazette/variants/broker.ts";
import { announce } from "../../../../src/impl/gazette/broker/announce.ts";
import { KeySpace, membersPrefix } from "../../../../src/impl/gazette/broker/keyspace.ts";
import { applyJournals } from "../../../../src/impl/gazette/broker/list-apply.ts";
import { processSpecIdEqual, type ProcessSpecId, type Route } from "../../../../src/impl/gazette/protocol/route.ts";
import type { Env } from "../../../../src/sim/env.ts";
import type { World } from "../../../../src/sim/world.ts";
import { decodeBrokerSpec } from "../../../../src/impl/gazette/broker/keyspace.ts";
import { addHost, at, createEtcdWorld, etcdClient, etcdReady, runWorld } from "./_support/etcd-world.ts";
import { journalSpec, ROOT } from "./_support/records.ts";

const FINAL_MS = 16_000;

interface Record {
  readonly rounds: Array<AllocatorRound & { readonly host: string }>;
  readonly problems: string[];
  final?: { journals: string[]; leaderChecks: string[]; deletedAssignments: number; live: number };
  /** The observer's mirror (to pick whom to crash). */
  observed?: KeySpace;
  crashed: string[];
}

const idOf = (host: string): ProcessSpecId => ({ zone: Number(host.slice(3)) % 2 === 1 ? "za" : "zb", suffix: host });

function forever(env: Env): Promise<void> {
  return new Promise((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve()));
}

function broker(
  world: World,
  host: string,
  atMs: number,
  record: Record,
  variant: AllocatorBrokenVariant | undefined,
): void {
  addHost(
    world,
    host,
    async (env) => {
      const id = idOf(host);
      const client = etcdClient(env);
      await etcdReady(env, client);
      await announce(
        env,
        client,
        ROOT,
        { id, endpoint: `sim://${host}:8080`, journalLimit: 0 },
        { ttlSeconds: 2, signal: env.lifetime.signal },
      );
      const keyspace = new KeySpace(env, client);
      await keyspace.start(env.lifetime.signal);
      await runAllocator(env, client, keyspace, id, {
        signal: env.lifetime.signal,
        onRound: (round) => record.rounds.push({ ...round, host }),
        ...(variant !== undefined ? { rules: ALLOCATION_RULES[variant] } : {}),
      });
      await forever(env);
    },
    atMs,
  );
}

function driver(world: World): void {
  addHost(world, "d1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    const keyspace = new KeySpace(env, client);
    await keyspace.start(env.lifetime.signal);
    const processId = { zone: "za", suffix: "driver" };
    while (keyspace.members().length < 4) await env.clock.sleep(50);
    const created = await applyJournals(
      client,
      keyspace,
      { changes: [0, 1, 2, 3].map((index) => ({ expectModRevision: 0, upsert: journalSpec(`jrn/${index}`, 2) })) },
      { processId },
    );
    expect(created.status).toBe("OK");
    while (world.now < 9_000) await env.clock.sleep(100);
    const deleted = keyspace.item("jrn/3")?.modRevision ?? -1;
    const changed = await applyJournals(
      client,
      keyspace,
      {
        changes: [
          { expectModRevision: 0, upsert: journalSpec("jrn/4", 3) },
          { expectModRevision: deleted, delete: "jrn/3" },
        ],
      },
      { processId },
    );
    expect(changed.status).toBe("OK");
    await forever(env);
  });
}

/** Checks every key space change against the previous routes (see the file's comment). */
function checkChange(keyspace: KeySpace, previous: Map<string, Route>, problems: string[], now: number): void {
  for (const item of keyspace.items()) {
    const name = item.spec.name;
    const route = keyspace.route(name);
    const primaries = keyspace.assignments(name).filter((assignment) => assignment.slot === 0).length;
    if (primaries > 1) problems.push(`${now}: ${name} has ${primaries} primaries`);
    const before = previous.get(name);
    previous.set(name, route);
    if (before === undefined) continue;
    const liveBefore = before.members.filter((member) => keyspace.member(member) !== undefined);
    for (const member of liveBefore) {
      if (
        before.members.length <= item.spec.replication &&
        !route.members.some((other) => processSpecIdEqual(other, member))
      ) {
        problems.push(`${now}: ${name} dropped live member ${member.suffix}`);
      }
    }
    const primary = route.members[route.primary];
    const primaryBefore = before.members[before.primary];
    if (
      primary !== undefined &&
      (primaryBefore === undefined || !processSpecIdEqual(primary, primaryBefore)) &&
      liveBefore.length > 0 &&
      !before.members.some((member) => processSpecIdEqual(member, primary))
    ) {
      problems.push(
        `${now}: ${name} promoted ${primary.suffix}, not one of ${before.members.map((member) => member.suffix).join(",")}`,
      );
    }
  }
}

function observer(world: World, record: Record): void {
  addHost(world, "o1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    const keyspace = new KeySpace(env, client);
    record.observed = keyspace;
    const previous = new Map<string, Route>();
    keyspace.onChange(() => checkChange(keyspace, previous, record.problems, world.now));
    await keyspace.start(env.lifetime.signal);
    while (world.now < FINAL_MS) await env.clock.sleep(200);
    const journals = keyspace.items().map((item) => {
      const route = keyspace.route(item.spec.name);
      const live = route.members.filter((member) => keyspace.member(member) !== undefined).length;
      return `${item.spec.name} r${item.spec.replication}: ${route.members.map((member, index) => `${member.suffix}${index === route.primary ? "*" : ""}`).join(",")} (${live} live)`;
    });
    // The leader at each commit: the lowest createRevision among member keys just before the txn's revision.
    const leaderChecks: string[] = [];
    for (const round of record.rounds) {
      if (round.committedAt === undefined) continue;
      const members = (await client.get(membersPrefix(ROOT), { prefix: true, revision: round.committedAt - 1 })).kvs;
      const leader = [...members].sort((first, second) => first.createRevision - second.createRevision)[0];
      const leaderId = leader === undefined ? "none" : decodeBrokerSpec(leader.value).id.suffix;
      if (leaderId !== round.host)
        leaderChecks.push(`${round.host} committed at ${round.committedAt} while ${leaderId} led`);
    }
    const deletedAssignments = keyspace.assignments("jrn/3").length;
    record.final = { journals, leaderChecks, deletedAssignments, live: keyspace.members().length };
  });
}

async function clusterRun(seed: number, variant: AllocatorBrokenVariant | undefined) {
  const etcd = createEtcdWorld(seed);
  const { world } = etcd;
  const record: Record = { rounds: [], problems: [], crashed: [] };
  ["brk1", "brk2", "brk3", "brk4"].forEach((host, index) => broker(world, host, index * 300, record, variant));
  broker(world, "brk5", 9_000, record, variant);
  driver(world);
  observer(world, record);
  // brk1 (a primary: first in zone order) and the allocator leader (first to announce) crash for good.
  at(world, 5_000, () => {
    const leader =
      record.observed === undefined ? undefined : allocatorLeader(record.observed.members())?.spec.id.suffix;
    for (const host of new Set(["brk1", leader ?? "brk1"])) {
      world.host(host).crash();
      record.crashed.push(host);
    }
  });
  at(world, 11_000, () => {
    if (record.crashed.includes("brk3")) return;
    world.host("brk3").crash();
    record.crashed.push("brk3");
  });
  const problems = await runWorld(etcd, FINAL_MS + 5_000, () => record.final !== undefined);
  return { problems, record, probes: world.probes };
}

describe("runAllocator in a cluster", () => {
  for (const seed of [1, 2]) {
    it(`converges with members joining and crashing, keeps survivors, promotes one, and only the leader commits (seed ${seed})`, async () => {
      const { problems, record, probes } = await clusterRun(seed, undefined);
      expect(problems).toEqual([]);
      expect(record.problems).toEqual([]);
      expect(record.final?.leaderChecks).toEqual([]);
      expect(record.final?.deletedAssignments).toBe(0);
      // Live at the end: brk2..brk5 but brk3 and the crashed leader; every journal at min(replication, live) live
      // members, one primary.
      const live = record.final?.live ?? 0;
      expect(live).toBe(5 - record.crashed.length);
      expect(record.final?.journals.length).toBe(4);
      for (const line of record.final?.journals ?? []) {
        expect(line).toMatch(/^jrn\/\d r(\d): /);
        const replication = Number(/ r(\d):/.exec(line)?.[1]);
        const members = line.slice(line.indexOf(": ") + 2, line.indexOf(" (")).split(",");
        expect(members.length, line).toBe(Math.min(replication, live));
        expect(members.filter((member) => member.endsWith("*")).length, line).toBe(1);
        expect(line, line).toContain(`(${members.length} live)`);
      }
      expect(probes.get("gazette.allocator.primary-promoted")).toBeGreaterThan(0);
      // Leadership moved when the leader crashed.
      const committers = new Set(
        record.rounds.filter((round) => round.outcome === "committed").map((round) => round.host),
      );
      expect(committers.size).toBeGreaterThan(1);
      expect([...committers].some((host) => record.crashed.includes(host))).toBe(true);
    });
  }

  it("catches the replace-survivors variant", async () => {
    const { record } = await clusterRun(1, "replace-survivors");
    expect(record.problems.join("\n")).toMatch(/dropped live member/);
  });

  it("catches the promote-newest variant", async () => {
    const { record } = await clusterRun(1, "promote-newest");
    expect(record.problems.join("\n")).toMatch(/promoted \S+, not one of/);
  });

  it("catches the no-leader-election variant", async () => {
    const { record } = await clusterRun(1, "no-leader-election");
    expect(record.final?.leaderChecks.length).toBeGreaterThan(0);
  });
});
