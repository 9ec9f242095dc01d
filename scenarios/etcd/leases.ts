/**
 * etcd-leases: leases on the etcd on Raft expire when they should, never earlier,
 * and take their keys with them at one revision.
 *
 * Goal: show that a lease kept alive survives leader failovers (the new leader
 * refreshes every lease: etcd's promote), that a lease left alone expires and one
 * revoked goes at once, each deleting all its keys at one revision, and that the
 * broken variants are caught.
 * Method: three or five members (size and tuning are the seed's knobs, ETCD_KNOBS)
 * and one client host (l1). The client grants lease A (TTL
 * 2 s) with three keys and keeps it alive (renewing at TTL/3), lease B (TTL 1 s)
 * with two keys that it never renews, and lease C (TTL 10 s) with two keys that it
 * revokes. The default plan crashes each member in turn (so the leader fails over
 * at least once after A's first TTL has passed) and restarts it; the swarm's plans
 * work too (the swarm strikes the members).
 * Invariants:
 * - etcd.lease-expired-early (continuous): a revoke on expiry of a lease is applied
 *   no earlier than TTL after the client's last successful grant or renewal call
 *   began (true virtual time; the plan has no clock skew);
 * - etcd.lease-keys-one-revision (final): every key of a revoked or expired lease is
 *   deleted at the revoke's revision, all of them at that one revision;
 * - etcd.election-safety, etcd.state-machine-safety (continuous);
 * - progress: B's and C's keys are gone, A's are there, and the members caught up.
 * Variants: "no-lease-promote" (the new leader keeps stale expiries: A expires on
 * failover), "revoke-key-by-key" (a revoke deletes one key per revision).
 */
import { bytesToString, EtcdClient, EtcdError, type KeepAliveEnd } from "../../src/impl/etcd/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { FaultEvent } from "../../src/sim/faults/plan.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  caughtUpServers,
  describeMembers,
  ETCD_KNOB_BASE,
  ETCD_SCENARIO_BASE,
  etcdLivenessMsOf,
  etcdServersOf,
  etcdTuningOf,
  reportProblems,
  startEtcdCluster,
  type EtcdCluster,
} from "./cluster.ts";
import { SERVER_BROKEN_VARIANTS } from "./variants.ts";

/** The members the failover plan crashes in turn (every run has them). */
const FAILOVER_SERVERS = ["n1", "n2", "n3"] as const;
const CLIENT = "l1";
/** Attempts of one step of the client's script at most. */
const STEP_ATTEMPTS_MAX = 50;

export const ETCD_LEASES_VARIANTS: Readonly<Record<string, string>> = {
  "no-lease-promote": SERVER_BROKEN_VARIANTS["no-lease-promote"],
  "revoke-key-by-key": SERVER_BROKEN_VARIANTS["revoke-key-by-key"],
};

/** The default plan: each member crashes in turn for 800 ms, the first after lease A's first TTL. */
export function etcdLeasesFailoverPlan(): { version: number; faults: FaultEvent[] } {
  const faults: FaultEvent[] = [];
  FAILOVER_SERVERS.forEach((host, index) => {
    faults.push({ atMs: 2_600 + index * 1_400, kind: "crash", host });
    faults.push({ atMs: 3_400 + index * 1_400, kind: "restart", host });
  });
  return { version: 1, faults };
}

export const etcdLeases: Scenario = {
  name: "etcd-leases",
  description:
    "etcd leases under member crashes: a kept-alive lease survives failovers, others expire or are revoked, each taking its keys at one revision",
  safetyMs: 6_500,
  livenessMs: 6_000,
  livenessMsOf: etcdLivenessMsOf(6_000),
  variants: ETCD_LEASES_VARIANTS,
  rareStates: { "lease-expired": "etcd.lease-expired", "leases-promoted-by-new-leader": "etcd.lease-promoted" },
  ...ETCD_SCENARIO_BASE,
  ...ETCD_KNOB_BASE,
  swarm: { ...ETCD_KNOB_BASE.swarm, kinds: ["crash", "partition", "isolate", "pause", "clog"] },
  setup,
};

interface LeaseRecord {
  readonly name: string;
  id: number;
  ttl: number;
  readonly keys: string[];
  /** True virtual time at which the last successful grant or keep-alive call began. */
  renewedFrom: number;
}

interface Revoke {
  readonly id: number;
  readonly revision: number;
  readonly expired: boolean;
  readonly time: number;
}

interface Script {
  readonly leases: Map<string, LeaseRecord>;
  keepAlive: KeepAliveEnd | undefined;
  done: boolean;
  failure: string | undefined;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const revokes = new Map<number, Revoke>();
  const servers = etcdServersOf(context.knob);
  const cluster = startEtcdCluster(context, {
    servers,
    ...etcdTuningOf(context.knob),
    variant: context.variant,
    minLeaseTtlSeconds: 1,
    onApplied: (_host, index, command, result) => {
      // The first member to apply each index records it: its true time is the earliest the revoke took effect.
      if (command?.type !== "leaseRevoke" || !result.ok || revokes.has(index)) return;
      revokes.set(index, {
        id: command.id,
        expired: command.expired,
        revision: result.revision,
        time: context.world.now,
      });
    },
  });
  const script: Script = { leases: new Map(), keepAlive: undefined, done: false, failure: undefined };
  context.world.addHost(CLIENT, (env) => runScript(env, context, servers, script)).start();
  let reported = 0;
  let checkedRevokes = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      const list = [...revokes.values()];
      for (; checkedRevokes < list.length; checkedRevokes++)
        checkEarly(context, script, list[checkedRevokes] as Revoke);
    },
    progress: () => script.done && caughtUpServers(cluster) !== undefined && settled(cluster, script),
    finish: () => {
      checkOneRevision(context, cluster, revokes);
      if (!settled(cluster, script))
        context.world.violate({
          invariant: "etcd.lease-outcome",
          kind: "safety",
          details: `leases did not end as expected: ${describeMembers(cluster)}`,
        });
    },
    summary: () => ({
      revokes: revokes.size,
      expired: [...revokes.values()].filter((revoke) => revoke.expired).length,
      keepAlive: script.keepAlive?.reason ?? "running",
      failure: script.failure ?? "",
      terms: cluster.leadersByTerm.size,
      ...cluster.failures,
    }),
  };
}

/**
 * One step of the script, `op` with `fields` (traced per attempt), tried until it succeeds, `accept` takes its error,
 * or STEP_ATTEMPTS_MAX.
 */
async function retry<T>(
  env: Env,
  op: string,
  fields: Record<string, unknown>,
  step: () => Promise<T>,
  accept?: (error: EtcdError) => T | undefined,
): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < STEP_ATTEMPTS_MAX; attempt++) {
    const operation = invokeOperation(env, op, fields);
    try {
      const result = await step();
      operation.ok();
      return result;
    } catch (error) {
      if (!(error instanceof EtcdError)) throw error;
      operation.failedWith(error, error.outcomeUnknown);
      const accepted = accept?.(error);
      if (accepted !== undefined) return accepted;
      last = error;
      await env.clock.sleep(50);
    }
  }
  throw last;
}

async function grantWithKeys(
  env: Env,
  context: ScenarioContext,
  client: EtcdClient,
  script: Script,
  name: string,
  ttl: number,
  keys: number,
): Promise<LeaseRecord> {
  const record: LeaseRecord = { name, id: 0, ttl, keys: [], renewedFrom: 0 };
  await retry(env, "grant", { lease: name, ttl }, async () => {
    const began = context.world.now;
    const granted = await client.grant(ttl);
    record.id = granted.id;
    record.ttl = granted.ttl;
    record.renewedFrom = began;
  });
  script.leases.set(name, record);
  for (let index = 1; index <= keys; index++) {
    const key = `lease/${name}/${index}`;
    record.keys.push(key);
    await retry(env, "put", { key, lease: record.id }, () => client.put(key, `${name}${index}`, { lease: record.id }));
  }
  return record;
}

async function runScript(
  env: Env,
  context: ScenarioContext,
  servers: readonly string[],
  script: Script,
): Promise<void> {
  const client = new EtcdClient(env, { endpoints: servers, operationTimeoutMs: 600, callDeadlineMs: 250 });
  try {
    const kept = await grantWithKeys(env, context, client, script, "a", 2, 3);
    // The renewal call began `ago` ms of the client's clock before now: the leader renewed no earlier than that.
    const onRenewed = (_ttl: number, sentAtMs: number) =>
      (kept.renewedFrom = context.world.now - (env.clock.monotonic() - sentAtMs));
    const keepAlive = client.keepAlive(kept.id, { onRenewed });
    const keeping = invokeOperation(env, "keep-alive", { lease: kept.id });
    void keepAlive.done.then((end) => {
      script.keepAlive = end;
      keeping.complete(end.reason === "lost" ? "fail" : "ok", { reason: end.reason });
    });
    await grantWithKeys(env, context, client, script, "b", 1, 2);
    const revoked = await grantWithKeys(env, context, client, script, "c", 10, 2);
    await env.clock.sleep(500);
    await retry(
      env,
      "revoke",
      { lease: revoked.id },
      () => client.revoke(revoked.id),
      (error) =>
        error.code === "lease-not-found"
          ? { header: { clusterId: 0, memberId: 0, revision: 0, raftTerm: 0 } }
          : undefined,
    );
  } catch (error) {
    if (!(error instanceof EtcdError)) throw error;
    script.failure = error.message;
  }
  script.done = true;
}

/** B's and C's keys are gone and A's are all there (on a caught-up member). */
function settled(cluster: EtcdCluster, script: Script): boolean {
  const server = caughtUpServers(cluster)?.[0];
  if (server === undefined || script.failure !== undefined) return false;
  const live = (key: string) =>
    server.fsm.mvcc.range({ key: new TextEncoder().encode(key) }, () => ({
      clusterId: 0,
      memberId: 0,
      revision: 0,
      raftTerm: 0,
    }));
  const present = (key: string) => {
    const response = live(key);
    return !(response instanceof EtcdError) && response.count === 1;
  };
  const lease = (name: string) => script.leases.get(name);
  const a = lease("a");
  const b = lease("b");
  const c = lease("c");
  if (a === undefined || b === undefined || c === undefined) return false;
  const aliveAsExpected = script.keepAlive === undefined ? a.keys.every(present) : true;
  return aliveAsExpected && !b.keys.some(present) && !c.keys.some(present);
}

/** A revoke on expiry must come no earlier than TTL after the last grant or renewal call began. */
function checkEarly(context: ScenarioContext, script: Script, revoke: Revoke): void {
  if (!revoke.expired) return;
  const lease = [...script.leases.values()].find((record) => record.id === revoke.id);
  if (lease === undefined) return;
  const earliest = lease.renewedFrom + lease.ttl * 1000;
  if (revoke.time < earliest) {
    context.world.violate({
      invariant: "etcd.lease-expired-early",
      kind: "safety",
      details: `lease ${lease.name} (${revoke.id}, TTL ${lease.ttl} s) expired at ${revoke.time.toFixed(1)} ms, its last renewal call began at ${lease.renewedFrom.toFixed(1)} ms (keep-alive: ${script.keepAlive?.reason ?? "running"})`,
    });
  }
}

/** Every key of a revoked lease was deleted at the revoke's revision. */
function checkOneRevision(context: ScenarioContext, cluster: EtcdCluster, revokes: Map<number, Revoke>): void {
  const server = caughtUpServers(cluster)?.[0];
  if (server === undefined) return;
  const store = server.fsm.mvcc;
  const history = store.events(Math.max(2, store.compactRevision), store.revision);
  for (const revoke of revokes.values()) {
    const deletes = history.flatMap(({ revision, events }) =>
      events
        .filter((event) => event.type === "DELETE" && event.prevKv?.lease === revoke.id)
        .map((event) => ({ revision, key: bytesToString(event.kv.key) })),
    );
    const elsewhere = deletes.filter((entry) => entry.revision !== revoke.revision);
    if (elsewhere.length > 0) {
      context.world.violate({
        invariant: "etcd.lease-keys-one-revision",
        kind: "safety",
        details: `lease ${revoke.id} was revoked at revision ${revoke.revision}, but its keys were deleted at ${deletes.map((entry) => `${entry.key}@${entry.revision}`).join(", ")}`,
      });
      return;
    }
  }
}
