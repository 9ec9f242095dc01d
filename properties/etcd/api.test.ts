/**
 * Invariant: the client API over a 3-member cluster behaves as etcd v3 documents:
 * prefix, limit, keysOnly, countOnly and past-revision ranges; prevKv; versions
 * reset by a delete; txn with nested txn; typed errors with etcd's messages for a
 * duplicate key, too many ops, a request too large, a missing lease, a compacted
 * or future revision (range and watch), a malformed request from the wire; lease
 * grant (minimum TTL), time-to-live, keep-alive of a revoked lease, and a watch
 * with prevKv from a past revision.
 * Each expectation fails on a store or server that gets that case wrong (the
 * version one is shown failing on the "version-not-reset-on-delete" variant).
 * Method: a fault-free scenario whose client host runs one script and records
 * what it saw; the test then checks the record.
 */
import { describe, expect, it } from "vitest";
import {
  bytesToString,
  Compares,
  EtcdClient,
  EtcdError,
  ETCD_PORT,
  MAX_TXN_OPS,
  Ops,
  refusalOf,
  type WatchResponse,
} from "../../src/impl/etcd/index.ts";
import type { ServerBrokenVariant } from "../../scenarios/etcd/variants.ts";
import { RpcError, type Env } from "../../src/sim/env.ts";
import { runScenario, type Scenario } from "../../src/sim/runner.ts";
import { ETCD_SCENARIO_BASE, startEtcdCluster } from "../../scenarios/etcd/cluster.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
type Record = { [name: string]: unknown };

async function errorOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return "no error";
  } catch (error) {
    if (error instanceof EtcdError) return `${error.name}: ${error.message}`;
    throw error;
  }
}

async function script(env: Env, record: Record): Promise<void> {
  const client = new EtcdClient(env, { endpoints: SERVERS, operationTimeoutMs: 2_000 });
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await client.put("warm", "up");
      break;
    } catch {
      await env.clock.sleep(100);
    }
  }
  const first = await client.put("a/1", "one");
  await client.put("a/2", "two");
  await client.put("a/3", "three");
  await client.put("b", "bee");
  const again = await client.put("a/1", "uno", { prevKv: true });
  record.prevKv = again.prevKv === undefined ? null : bytesToString(again.prevKv.value);
  const prefix = await client.get("a/", { prefix: true });
  record.prefix = prefix.kvs.map((kv) => `${bytesToString(kv.key)}=${bytesToString(kv.value)} v${kv.version}`);
  const limited = await client.get("a/", { prefix: true, limit: 2, keysOnly: true });
  record.limited = {
    keys: limited.kvs.map((kv) => `${bytesToString(kv.key)}:${kv.value.length}`),
    more: limited.more,
    count: limited.count,
  };
  record.countOnly = (await client.get("a/", { prefix: true, countOnly: true })).count;
  record.past = (await client.get("a/1", { revision: first.header.revision })).kvs.map((kv) => bytesToString(kv.value));
  record.future = await errorOf(() => client.get("a/1", { revision: 1_000_000 }));
  await client.delete("b");
  await client.put("b", "again");
  const reborn = (await client.get("b")).kvs[0];
  record.reborn =
    reborn === undefined
      ? null
      : { version: reborn.version, createdAfterDelete: reborn.createRevision === reborn.modRevision };
  const txn = await client
    .txn()
    .if(Compares.value("a/1", "=", "uno"), Compares.version("a/2", "=", 1))
    .then(
      Ops.put("t", "x"),
      Ops.txn({ compare: [Compares.createRevision("missing", "=", 0)], success: [Ops.get("t")], failure: [] }),
    )
    .else(Ops.get("a/1"))
    .commit();
  const nested = txn.responses[1];
  record.txn = {
    succeeded: txn.succeeded,
    nested:
      nested !== undefined && "txn" in nested
        ? nested.txn.responses.map((response) =>
            "range" in response ? response.range.kvs.map((kv) => bytesToString(kv.value)) : "?",
          )
        : null,
  };
  record.failedBranch = (
    await client
      .txn()
      .if(Compares.value("missing", "=", ""))
      .then(Ops.put("never", "x"))
      .else(Ops.get("t"))
      .commit()
  ).succeeded;
  record.duplicate = await errorOf(() => client.txn().then(Ops.put("d", "1"), Ops.put("d", "2")).commit());
  record.putInDelete = await errorOf(() =>
    client
      .txn()
      .then(Ops.delete("e/", { prefix: true }), Ops.put("e/1", "x"))
      .commit(),
  );
  record.bothBranches = await errorOf(() =>
    client
      .txn()
      .then(Ops.txn({ compare: [], success: [Ops.put("f", "1")], failure: [Ops.put("f", "2")] }))
      .commit(),
  );
  record.tooMany = await errorOf(() =>
    client
      .txn()
      .then(...Array.from({ length: MAX_TXN_OPS + 1 }, (_, index) => Ops.put(`m/${index}`, "x")))
      .commit(),
  );
  record.tooLarge = await errorOf(() => client.put("big", new Uint8Array(1.5 * 1024 * 1024 + 1)));
  record.noLease = await errorOf(() => client.put("l", "x", { lease: 12345 }));
  record.ignoreValueMissing = await errorOf(() => client.put("nothing-here", "", { ignoreValue: true }));
  record.valueProvided = await errorOf(() => client.put("a/1", "x", { ignoreValue: true }));
  record.emptyKey = await errorOf(() => client.get(""));
  const lease = await client.grant(0);
  record.grantedTtl = lease.ttl;
  await client.put("leased", "x", { lease: lease.id });
  const ttl = await client.timeToLive(lease.id, { keys: true });
  record.timeToLive = { ttl: ttl.ttl, granted: ttl.grantedTtl, keys: ttl.keys.map((key) => bytesToString(key)) };
  await client.revoke(lease.id);
  record.afterRevoke = {
    keepAlive: (await client.keepAliveOnce(lease.id)).ttl,
    timeToLive: (await client.timeToLive(lease.id)).ttl,
    key: (await client.get("leased")).count,
  };
  record.revokeTwice = await errorOf(() => client.revoke(lease.id));
  const before = (await client.get("a/2")).header.revision;
  await client.put("a/2", "deux");
  await client.compact(before);
  record.compactedRange = await errorOf(() => client.get("a/2", { revision: before - 1 }));
  record.atCompaction = (await client.get("a/2", { revision: before })).kvs.map((kv) => bytesToString(kv.value));
  record.compactAgain = await errorOf(() => client.compact(before));
  record.compactedWatch = await errorOf(async () => {
    for await (const response of client.watch("a/", { prefix: true, startRevision: before - 1 })) void response;
  });
  const controller = new AbortController();
  const seen: WatchResponse[] = [];
  for await (const response of client.watch("a/2", {
    startRevision: before,
    prevKv: true,
    signal: controller.signal,
  })) {
    seen.push(response);
    controller.abort();
  }
  record.watch = seen.flatMap((response) =>
    response.events.map(
      (event) =>
        `${event.type} ${bytesToString(event.kv.key)}=${bytesToString(event.kv.value)} prev=${event.prevKv === undefined ? "-" : bytesToString(event.prevKv.value)}`,
    ),
  );
  try {
    await env.rpc.call(
      client.leader ?? "n1",
      ETCD_PORT,
      "etcd.txn",
      { compare: [{ key: "not-bytes", result: "=", target: "value" }] },
      { deadlineMs: 500 },
    );
    record.malformed = "accepted";
  } catch (error) {
    record.malformed = error instanceof RpcError ? (refusalOf(error)?.code ?? error.code) : String(error);
  }
}

function apiScenario(record: Record, variant?: ServerBrokenVariant): Scenario {
  return {
    name: "etcd-api-script",
    description: "one client script on a fault-free cluster",
    safetyMs: 20_000,
    livenessMs: 1,
    ...ETCD_SCENARIO_BASE,
    setup: (context) => {
      startEtcdCluster(context, { servers: SERVERS, ...(variant !== undefined ? { variant } : {}) });
      context.world
        .addHost("c1", async (env) => {
          await script(env, record);
          record.done = true;
        })
        .start();
      return { progress: () => record.done === true };
    },
  };
}

async function runScript(variant?: ServerBrokenVariant): Promise<Record> {
  const record: Record = {};
  const result = await runScenario(apiScenario(record, variant), {
    seed: 1,
    faults: { version: 1, faults: [] },
    safetyMs: 6_000,
  });
  expect(result.violations, JSON.stringify(record)).toEqual([]);
  expect(record.done).toBe(true);
  record.probes = result.stats.probes;
  return record;
}

/** 40 puts on one key with auto compaction keeping 10 revisions: old revisions become unreadable. */
async function autoCompactionRun(retention: number | undefined): Promise<Record> {
  const record: Record = {};
  const scenario: Scenario = {
    name: "etcd-api-auto-compaction",
    description: "auto compaction on a fault-free cluster",
    safetyMs: 3_000,
    livenessMs: 1,
    ...ETCD_SCENARIO_BASE,
    setup: (context) => {
      startEtcdCluster(context, {
        servers: SERVERS,
        ...(retention !== undefined ? { autoCompactionRetentionRevisions: retention } : {}),
      });
      context.world
        .addHost("c1", async (env) => {
          const client = new EtcdClient(env, { endpoints: SERVERS, operationTimeoutMs: 2_000 });
          let first = 0;
          for (let index = 0; index < 40; index++) {
            const response = await client.put("counter", String(index));
            if (index === 0) first = response.header.revision;
          }
          await env.clock.sleep(600);
          record.old = await errorOf(() => client.get("counter", { revision: first }));
          record.recent = (await client.get("counter")).kvs.map((kv) => bytesToString(kv.value));
          record.done = true;
        })
        .start();
      return { progress: () => record.done === true };
    },
  };
  const result = await runScenario(scenario, { seed: 1, faults: { version: 1, faults: [] } });
  expect(result.violations, JSON.stringify(record)).toEqual([]);
  return record;
}

describe("etcd client API on a cluster", () => {
  it("auto compaction (revision mode) keeps the history bounded", async () => {
    const compacted = await autoCompactionRun(10);
    expect(compacted.old).toBe("ErrCompacted: etcdserver: mvcc: required revision has been compacted");
    expect(compacted.recent).toEqual(["39"]);
    const kept = await autoCompactionRun(undefined);
    expect(kept.old).toBe("no error");
  }, 30_000);

  it("answers as etcd v3 documents", async () => {
    const record = await runScript();
    expect(record.prevKv).toBe("one");
    expect(record.prefix).toEqual(["a/1=uno v2", "a/2=two v1", "a/3=three v1"]);
    expect(record.limited).toEqual({ keys: ["a/1:0", "a/2:0"], more: true, count: 3 });
    expect(record.countOnly).toBe(3);
    expect(record.past).toEqual(["one"]);
    expect(record.future).toBe("ErrFutureRev: etcdserver: mvcc: required revision is a future revision");
    expect(record.reborn).toEqual({ version: 1, createdAfterDelete: true });
    expect(record.txn).toEqual({ succeeded: true, nested: [["x"]] });
    expect(record.failedBranch).toBe(false);
    expect(record.duplicate).toBe("ErrDuplicateKey: etcdserver: duplicate key given in txn request");
    expect(record.putInDelete).toBe("ErrDuplicateKey: etcdserver: duplicate key given in txn request");
    expect(record.bothBranches).toBe("no error");
    expect(record.tooMany).toBe("ErrTooManyOps: etcdserver: too many operations in txn request");
    expect(record.tooLarge).toBe("ErrRequestTooLarge: etcdserver: request is too large");
    expect(record.noLease).toBe("ErrLeaseNotFound: etcdserver: requested lease not found");
    expect(record.ignoreValueMissing).toBe("ErrKeyNotFound: etcdserver: key not found");
    expect(record.valueProvided).toBe("ErrValueProvided: etcdserver: value is provided");
    expect(record.emptyKey).toBe("ErrEmptyKey: etcdserver: key is not provided");
    expect(record.grantedTtl).toBe(1);
    expect(record.timeToLive).toEqual({ ttl: 1, granted: 1, keys: ["leased"] });
    expect(record.afterRevoke).toEqual({ keepAlive: 0, timeToLive: -1, key: 0 });
    expect(record.revokeTwice).toBe("ErrLeaseNotFound: etcdserver: requested lease not found");
    expect(record.compactedRange).toBe("ErrCompacted: etcdserver: mvcc: required revision has been compacted");
    expect(record.atCompaction).toEqual(["two"]);
    expect(record.compactAgain).toBe("ErrCompacted: etcdserver: mvcc: required revision has been compacted");
    expect(record.compactedWatch).toBe("ErrCompacted: etcdserver: mvcc: required revision has been compacted");
    expect(record.watch).toEqual(["PUT a/2=deux prev=two"]);
    expect(record.malformed).toBe("invalid-request");
    const probes = record.probes as { [name: string]: number };
    expect(probes["etcd.compacted-revision-refused"]).toBeGreaterThanOrEqual(3);
    expect(probes["etcd.txn-failure-branch"]).toBeGreaterThan(0);
  }, 30_000);

  it("shows the version-not-reset-on-delete variant (a re-created key keeps counting)", async () => {
    const record = await runScript("version-not-reset-on-delete");
    expect(record.reborn).not.toEqual({ version: 1, createdAfterDelete: true });
  }, 30_000);
});
