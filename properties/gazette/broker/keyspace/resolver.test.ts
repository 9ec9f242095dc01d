/**
 * Invariant (Resolver): a journal resolves to Gazette's statuses —
 * JOURNAL_NOT_FOUND, NO_JOURNAL_PRIMARY_BROKER, INSUFFICIENT_JOURNAL_BROKERS,
 * NOT_JOURNAL_PRIMARY_BROKER, NOT_JOURNAL_BROKER — or to local service or a
 * proxy target (the primary for appends; a same-zone member first for reads),
 * with a valid Header naming who serves; a request whose Header names a later
 * etcd revision is resolved only at that revision; a local replica not created
 * yet is waited for (bounded), then treated as absent.
 * Broken variant: "ignore-proxy-header-revision" resolves on the stale view (caught).
 * Method: a key space fed with synthetic etcd values on one simulated host.
 */
import { describe, expect, it } from "vitest";
import { KeySpace } from "../../../../src/impl/gazette/broker/keyspace.ts";
import { Resolver, ResolverError } from "../../../../src/impl/gazette/broker/resolver.ts";
import { RESOLVERS, type ResolverBrokenVariant } from "../../_fixtures/broken-broker.ts";
import type { Replica, Resolution, ResolveArgs } from "../../../../src/impl/gazette/broker/types.ts";
import { validateHeader, type Header } from "../../../../src/impl/gazette/protocol/route.ts";
import type { Env } from "../../../../src/sim/env.ts";
import { etcdClient, onOneHost } from "./_support/etcd-world.ts";
import {
  assignmentKv,
  brokerSpec,
  CLUSTER_ID,
  itemKv,
  journalSpec,
  memberKv,
  responseHeader,
} from "./_support/records.ts";

const LOCAL = { zone: "za", suffix: "local" };
const P = { zone: "za", suffix: "peer1" };
const Q = { zone: "zb", suffix: "peer2" };

function keyspaceOf(env: Env): KeySpace {
  const keyspace = new KeySpace(env, etcdClient(env));
  const items = ["jrn/a", "jrn/b", "jrn/c", "jrn/d", "jrn/e", "jrn/empty"].map((name, index) =>
    itemKv(journalSpec(name, 2), index + 1),
  );
  const members = [
    memberKv(brokerSpec("za", "local"), 7),
    memberKv(brokerSpec("za", "peer1"), 8),
    memberKv(brokerSpec("zb", "peer2"), 9),
  ];
  const assignments = [
    assignmentKv("jrn/a", P, 0, 10),
    assignmentKv("jrn/a", LOCAL, 1, 10),
    assignmentKv("jrn/b", LOCAL, 0, 10),
    assignmentKv("jrn/b", Q, 1, 10),
    assignmentKv("jrn/c", Q, 0, 10),
    assignmentKv("jrn/d", Q, 0, 10),
    assignmentKv("jrn/d", P, 1, 10),
    assignmentKv("jrn/e", LOCAL, 0, 10),
    assignmentKv("jrn/e", P, 1, 10),
  ];
  keyspace.reset([...items, ...members, ...assignments], responseHeader(10));
  return keyspace;
}

const replicas = new Map<string, Replica>(
  ["jrn/a", "jrn/b", "jrn/c"].map((journal) => [journal, { journal } as unknown as Replica]),
);

function describeResolution(resolution: Resolution): string {
  validateHeader(resolution.header);
  return `${resolution.status} local=${resolution.local} primary=${resolution.primary} by=${resolution.header.processId.suffix} proxy=${resolution.proxyTo?.id.suffix ?? "-"} replica=${resolution.replica === undefined ? "no" : "yes"}`;
}

const read = (journal: string, mayProxy: boolean): ResolveArgs => ({ journal, requirePrimary: false, mayProxy });
const append = (journal: string, mayProxy: boolean): ResolveArgs => ({ journal, requirePrimary: true, mayProxy });

describe("Resolver", () => {
  it("answers Gazette's statuses, local service or a proxy target", async () => {
    const results = await onOneHost(1, async (env) => {
      const resolver = new Resolver(keyspaceOf(env), LOCAL, (journal) => replicas.get(journal));
      const cases: Array<[string, ResolveArgs]> = [
        ["unknown", read("jrn/none", true)],
        ["empty append", append("jrn/empty", true)],
        ["empty read", read("jrn/empty", true)],
        ["replica append", append("jrn/a", false)],
        ["replica append proxied", append("jrn/a", true)],
        ["replica read", read("jrn/a", false)],
        ["primary append", append("jrn/b", false)],
        ["other read", read("jrn/c", false)],
        ["other read proxied", read("jrn/c", true)],
        ["other append proxied", append("jrn/c", true)],
        ["same zone first", read("jrn/d", true)],
      ];
      const out: Record<string, string> = {};
      for (const [name, args] of cases) out[name] = describeResolution(await resolver.resolve(args));
      out.notFoundRoute = JSON.stringify((await resolver.resolve(read("jrn/none", true))).header.route);
      return out;
    });
    expect(results).toEqual({
      unknown: "JOURNAL_NOT_FOUND local=false primary=false by=local proxy=- replica=no",
      "empty append": "NO_JOURNAL_PRIMARY_BROKER local=false primary=false by=local proxy=- replica=no",
      "empty read": "INSUFFICIENT_JOURNAL_BROKERS local=false primary=false by=local proxy=- replica=no",
      "replica append": "NOT_JOURNAL_PRIMARY_BROKER local=true primary=false by=local proxy=- replica=yes",
      "replica append proxied": "OK local=true primary=false by=peer1 proxy=peer1 replica=yes",
      "replica read": "OK local=true primary=false by=local proxy=- replica=yes",
      "primary append": "OK local=true primary=true by=local proxy=- replica=yes",
      "other read": "NOT_JOURNAL_BROKER local=false primary=false by=local proxy=- replica=no",
      "other read proxied": "OK local=false primary=false by=peer2 proxy=peer2 replica=no",
      "other append proxied": "OK local=false primary=false by=peer2 proxy=peer2 replica=no",
      "same zone first": "OK local=false primary=false by=peer1 proxy=peer1 replica=no",
      notFoundRoute: JSON.stringify({ members: [], primary: -1, endpoints: [] }),
    });
  });

  it("waits briefly for a local replica not created yet, then answers as a non-member", async () => {
    const results = await onOneHost(2, async (env) => {
      const late = new Map(replicas);
      const resolver = new Resolver(keyspaceOf(env), LOCAL, (journal) => late.get(journal), { replicaWaitMs: 1_000 });
      const started = env.clock.now();
      const append1 = describeResolution(await resolver.resolve(append("jrn/e", true)));
      const waited = env.clock.now() - started;
      const read1 = describeResolution(await resolver.resolve(read("jrn/e", true)));
      env.clock.setTimer(200, () => late.set("jrn/e", { journal: "jrn/e" } as unknown as Replica));
      const again = env.clock.now();
      const append2 = describeResolution(await resolver.resolve(append("jrn/e", false)));
      return { append1, waited, read1, append2, waitedAgain: env.clock.now() - again };
    });
    expect(results.append1).toBe("NOT_JOURNAL_PRIMARY_BROKER local=false primary=false by=local proxy=- replica=no");
    expect(results.waited).toBeGreaterThanOrEqual(1_000);
    expect(results.read1).toBe("OK local=false primary=false by=peer1 proxy=peer1 replica=no");
    expect(results.append2).toBe("OK local=true primary=true by=local proxy=- replica=yes");
    expect(results.waitedAgain).toBeGreaterThanOrEqual(200);
    expect(results.waitedAgain).toBeLessThan(300);
  });

  async function proxyHeaderCase(variant: ResolverBrokenVariant | undefined) {
    return onOneHost(3, async (env) => {
      const keyspace = keyspaceOf(env);
      const resolver = new (variant === undefined ? Resolver : RESOLVERS[variant])(keyspace, LOCAL, (journal) =>
        replicas.get(journal),
      );
      // A peer resolved jrn/c at revision 12, where this broker became its primary; our mirror is at 10.
      env.clock.setTimer(100, () =>
        keyspace.apply({
          header: responseHeader(12),
          events: [
            { type: "PUT", kv: assignmentKv("jrn/c", LOCAL, 0, 11) },
            { type: "PUT", kv: assignmentKv("jrn/c", Q, 1, 12) },
          ],
        }),
      );
      const proxyHeader: Header = {
        processId: LOCAL,
        route: { members: [], primary: -1, endpoints: [] },
        etcd: { clusterId: CLUSTER_ID, memberId: 11, revision: 12, raftTerm: 2 },
      };
      const started = env.clock.now();
      const resolution = await resolver.resolve({ ...append("jrn/c", false), proxyHeader });
      return {
        resolution: describeResolution(resolution),
        revision: resolution.header.etcd.revision,
        waited: env.clock.now() - started,
      };
    });
  }

  it("resolves a request whose Header names a later revision only at that revision", async () => {
    const result = await proxyHeaderCase(undefined);
    expect(result).toEqual({
      resolution: "OK local=true primary=true by=local proxy=- replica=yes",
      revision: 12,
      waited: 100,
    });
  });

  it("catches the ignore-proxy-header-revision variant", async () => {
    const result = await proxyHeaderCase("ignore-proxy-header-revision");
    expect(result.resolution).toBe("NOT_JOURNAL_PRIMARY_BROKER local=false primary=false by=local proxy=- replica=no");
    expect(result.revision).toBe(10);
  });

  it("refuses a Header of another etcd cluster, and bounds the wait for a revision", async () => {
    const errors = await onOneHost(4, async (env) => {
      const resolver = new Resolver(keyspaceOf(env), LOCAL, (journal) => replicas.get(journal), {
        revisionWaitMs: 300,
      });
      const header = (clusterId: number, revision: number): Header => ({
        processId: P,
        route: { members: [], primary: -1, endpoints: [] },
        etcd: { clusterId, memberId: 1, revision, raftTerm: 1 },
      });
      const codeOf = async (args: ResolveArgs) => {
        try {
          await resolver.resolve(args);
          return "resolved";
        } catch (error) {
          if (error instanceof ResolverError) return error.code;
          throw error;
        }
      };
      const mismatch = await codeOf({ ...read("jrn/a", true), proxyHeader: header(CLUSTER_ID + 1, 5) });
      let started = env.clock.now();
      const timeout = `${await codeOf({ ...read("jrn/a", true), proxyHeader: header(CLUSTER_ID, 99) })} after ${env.clock.now() - started}`;
      const controller = new AbortController();
      env.clock.setTimer(100, () => controller.abort());
      started = env.clock.now();
      const cancelled = `${await codeOf({ ...read("jrn/a", true), proxyHeader: header(CLUSTER_ID, 99), signal: controller.signal })} after ${env.clock.now() - started}`;
      return [
        mismatch,
        timeout,
        cancelled,
        await codeOf({ ...read("jrn/a", true), proxyHeader: header(CLUSTER_ID, 3) }),
      ];
    });
    expect(errors).toEqual(["cluster-mismatch", "revision-timeout after 300", "cancelled after 100", "resolved"]);
  });
});
