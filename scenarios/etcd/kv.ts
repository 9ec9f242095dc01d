/**
 * etcd-kv: the etcd on Raft (src/impl/etcd) is linearizable and its watches
 * deliver every committed revision exactly once, in order, under the swarm's faults.
 *
 * Goal: show that range, put and txn compare-and-swap through EtcdClient form a
 * linearizable history; that a watch which resumes across leader changes and
 * member crashes reports exactly the committed writes in revision order; that the
 * members converge; and that broken variants are caught.
 * Method: three or five members (n1..n5, each a RaftNode with an EtcdFsm, restarted after a
 * fatal disk failure; size and tuning are the seed's knobs, ETCD_KNOBS) and three client hosts (c1..c3) doing random
 * linearizable
 * gets, puts, deletes and txn-cas (`value = expected`, or `createRevision = 0` for
 * "absent") on three keys under "k/", recorded in one history at true virtual time; a fourth
 * client (w1) watches the prefix "k/" from revision 1 and records every event. The
 * swarm's plan partitions, isolates, clogs, pauses, skews clocks, degrades links,
 * crashes members and injects disk faults on a minority. Once a write is
 * acknowledged after the heal, the clients stop.
 * Invariants:
 * - etcd.election-safety, etcd.state-machine-safety (continuous);
 * - etcd.watch-in-order (continuous): the watch never delivers a revision twice or
 *   out of order;
 * - etcd.linearizable (final): the history is linearizable per key (the Jepsen-
 *   verified checker; an exhausted search is etcd.linearizability-unknown, liveness);
 * - etcd.replicas-converge (final): every member holds the same store;
 * - etcd.watch-exact (final): the watch delivered exactly the events of every
 *   revision from 2 to the store's revision, as the store's history holds them;
 * - etcd.key-version (final): in those events, a key put while absent has version
 *   1 and is created there, a key put again has the next version;
 * - progress: a write is acknowledged after the heal, the members caught up, and
 *   the watch reached the store's revision.
 * Variants: the server's "local-reads" (no ReadIndex: caught with a pause of the
 * leader while a new one takes writes, see
 * properties/scenarios/etcd/kv-linearizable.test.ts), and the watch client's
 * "resume-from-last" and "resume-from-current".
 */
import { bytesToString, Compares, EtcdClient, EtcdError, Ops, type WatchEvent } from "../../src/impl/etcd/index.ts";
import type { Model, RegisterState } from "../../src/sim/check/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation, reasonOf, TracedHistory } from "../harness/client-operations.ts";
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
  storeDigest,
  type EtcdCluster,
} from "./cluster.ts";
import { checkHistoryLinearizable } from "../harness/history-check.ts";
import { raftKvModel, type RaftKvInput, type RaftKvOutput } from "../harness/kv-model.ts";
import { SERVER_BROKEN_VARIANTS, WATCH_BROKEN_VARIANTS, withVariant, type WatchBrokenVariant } from "./variants.ts";

const CLIENTS = ["c1", "c2", "c3"] as const;
const WATCHER = "w1";
const KEYS = ["k/x", "k/y", "k/z"] as const;
const PREFIX = "k/";
const LINEARIZABILITY_STEPS_MAX = 4_000_000;

/** The raft-kv model's get, put and cas, and delete (the key is absent after it). */
type EtcdKvInput = RaftKvInput | { readonly f: "delete"; readonly key: string; readonly value: null };

const etcdKvModel: Model<RegisterState, EtcdKvInput, RaftKvOutput> = {
  ...(raftKvModel as unknown as Model<RegisterState, EtcdKvInput, RaftKvOutput>),
  name: "etcd-kv",
  step: (state, input, output) =>
    input.f === "delete" ? { ok: true, newState: null } : raftKvModel.step(state, input, output),
  describeOperation: (input, output) =>
    input.f === "delete" ? `${input.key}: delete` : raftKvModel.describeOperation(input, output),
};

export const ETCD_KV_VARIANTS: Readonly<Record<string, string>> = {
  "local-reads": SERVER_BROKEN_VARIANTS["local-reads"],
  "version-not-reset-on-delete": SERVER_BROKEN_VARIANTS["version-not-reset-on-delete"],
  "resume-from-last": WATCH_BROKEN_VARIANTS["resume-from-last"],
  "resume-from-current": WATCH_BROKEN_VARIANTS["resume-from-current"],
};

export const etcdKv: Scenario = {
  name: "etcd-kv",
  description:
    "etcd on 3 or 5 Raft members (tuned per seed), 3 clients doing get/put/txn-cas and a resuming watch under the swarm's faults; linearizable, watch exact, members converge",
  safetyMs: 2_000,
  livenessMs: 6_000,
  livenessMsOf: etcdLivenessMsOf(6_000),
  variants: ETCD_KV_VARIANTS,
  rareStates: {
    "watch-resumed": "etcd.watch-resumed",
    "leadership-lost-with-pending": "raft.leadership-lost-with-pending",
    "follower-log-truncated": "raft.log-conflict-truncated",
  },
  ...ETCD_SCENARIO_BASE,
  ...ETCD_KNOB_BASE,
  setup,
};

interface Workload {
  readonly recorder: TracedHistory<EtcdKvInput, RaftKvOutput>;
  readonly counts: { ok: number; fail: number; info: number };
  lastOkAt: number | undefined;
}

interface Watcher {
  readonly delivered: Array<{ readonly revision: number; readonly events: readonly WatchEvent[] }>;
  readonly problems: string[];
  ended: string | undefined;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const variant = context.variant;
  const servers = etcdServersOf(context.knob);
  const cluster = startEtcdCluster(context, {
    servers,
    ...etcdTuningOf(context.knob),
    variant,
  });
  const workload: Workload = {
    recorder: new TracedHistory(),
    counts: { ok: 0, fail: 0, info: 0 },
    lastOkAt: undefined,
  };
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && workload.lastOkAt !== undefined && workload.lastOkAt >= since;
  };
  for (const host of CLIENTS)
    context.world.addHost(host, (env) => clientLoop(env, context, servers, workload, healedAndAcknowledged)).start();
  const watcher: Watcher = { delivered: [], problems: [], ended: undefined };
  const watchVariant =
    variant !== undefined && variant in WATCH_BROKEN_VARIANTS ? (variant as WatchBrokenVariant) : undefined;
  context.world.addHost(WATCHER, (env) => watchLoop(env, servers, watcher, watchVariant)).start();
  let reported = 0;
  let watchReported = 0;
  return {
    check: () => {
      reported = reportProblems(context, cluster, reported);
      for (; watchReported < watcher.problems.length; watchReported++)
        context.world.violate({
          invariant: "etcd.watch-in-order",
          kind: "safety",
          host: WATCHER,
          details: watcher.problems[watchReported] as string,
        });
    },
    progress: () =>
      healedAndAcknowledged() && caughtUpServers(cluster) !== undefined && watchCaughtUp(cluster, watcher),
    finish: () => {
      const running = caughtUpServers(cluster);
      const digests = new Set(running?.map((server) => storeDigest(server)));
      if (running === undefined || digests.size !== 1)
        context.world.violate({
          invariant: "etcd.replicas-converge",
          kind: "safety",
          details: describeMembers(cluster),
        });
      checkWatch(context, cluster, watcher);
      checkVersions(context, watcher);
      checkHistory(context, workload);
    },
    summary: () => ({
      ...workload.counts,
      terms: cluster.leadersByTerm.size,
      revisions: watcher.delivered.at(-1)?.revision ?? 0,
      watchEnded: watcher.ended ?? "",
      ...cluster.failures,
    }),
  };
}

async function clientLoop(
  env: Env,
  context: ScenarioContext,
  servers: readonly string[],
  workload: Workload,
  stop: () => boolean,
): Promise<void> {
  const client = new EtcdClient(env, { endpoints: servers, operationTimeoutMs: 600, callDeadlineMs: 250 });
  const lastSeen = new Map<string, string | null>();
  let generation = 0;
  let counter = 0;
  while (!stop()) {
    const key = env.random.pick(KEYS);
    const draw = env.random.next();
    const fresh = `${env.host}-${++counter}`;
    const input: EtcdKvInput =
      draw < 0.4
        ? { f: "get", key, value: null }
        : draw < 0.6
          ? { f: "put", key, value: fresh }
          : draw < 0.7
            ? { f: "delete", key, value: null }
            : { f: "cas", key, value: [lastSeen.get(key) ?? null, fresh] };
    const process = `${env.host}/${env.lifetime.incarnation}/${generation}`;
    const handle = workload.recorder.invoke(env, process, input, context.world.now);
    try {
      const output = await run(client, input);
      workload.recorder.ok(handle, output, context.world.now);
      workload.counts.ok++;
      workload.lastOkAt = context.world.now;
      if (input.f === "get") lastSeen.set(key, output as string | null);
      else if (input.f === "delete") lastSeen.set(key, null);
      else if (input.f === "put" || output === true)
        lastSeen.set(key, input.f === "put" ? input.value : input.value[1]);
    } catch (error) {
      if (!(error instanceof EtcdError)) throw error;
      if (error.outcomeUnknown) {
        workload.recorder.info(handle, context.world.now, error.message);
        workload.counts.info++;
        generation++;
      } else {
        workload.recorder.fail(handle, context.world.now, error.message);
        workload.counts.fail++;
      }
    }
    await env.clock.sleep(env.random.int(0, 20));
  }
}

async function run(client: EtcdClient, input: EtcdKvInput): Promise<RaftKvOutput> {
  switch (input.f) {
    case "get": {
      const response = await client.get(input.key);
      const kv = response.kvs[0];
      return kv === undefined ? null : bytesToString(kv.value);
    }
    case "put":
      await client.put(input.key, input.value);
      return null;
    case "delete":
      await client.delete(input.key);
      return null;
    case "cas": {
      const [expected, next] = input.value;
      const compare =
        expected === null ? Compares.createRevision(input.key, "=", 0) : Compares.value(input.key, "=", expected);
      const response = await client.txn().if(compare).then(Ops.put(input.key, next)).commit();
      return response.succeeded;
    }
  }
}

async function watchLoop(
  env: Env,
  servers: readonly string[],
  watcher: Watcher,
  brokenVariant: WatchBrokenVariant | undefined,
): Promise<void> {
  const client = new EtcdClient(
    env,
    withVariant({ endpoints: servers, operationTimeoutMs: 600, callDeadlineMs: 250 }, brokenVariant),
  );
  // One operation for the whole watch: it resumes across failures inside the client.
  const operation = invokeOperation(env, "watch", { key: PREFIX, prefix: true, startRevision: 1 });
  try {
    for await (const response of client.watch(PREFIX, { prefix: true, startRevision: 1, idleTimeoutMs: 800 })) {
      let revision = 0;
      let events: WatchEvent[] = [];
      const flush = () => {
        if (events.length === 0) return;
        const last = watcher.delivered.at(-1)?.revision ?? 1;
        if (revision <= last) watcher.problems.push(`revision ${revision} delivered after revision ${last}`);
        watcher.delivered.push({ revision, events });
      };
      for (const event of response.events) {
        if (event.kv.modRevision !== revision) {
          flush();
          revision = event.kv.modRevision;
          events = [];
        }
        events.push(event);
      }
      flush();
    }
    watcher.ended = "ended";
    operation.ok({ revisions: watcher.delivered.length });
  } catch (error) {
    if (!(error instanceof EtcdError)) throw error;
    watcher.ended = error.message;
    operation.fail({ revisions: watcher.delivered.length, reason: reasonOf(error) });
  }
}

function watchCaughtUp(cluster: EtcdCluster, watcher: Watcher): boolean {
  const running = caughtUpServers(cluster);
  if (running === undefined) return false;
  const revision = (running[0] as (typeof running)[number]).fsm.mvcc.revision;
  return revision <= 1 || (watcher.delivered.at(-1)?.revision ?? 1) >= revision;
}

function describeEvent(event: WatchEvent): string {
  return `${event.type} ${bytesToString(event.kv.key)}=${bytesToString(event.kv.value)}@${event.kv.modRevision}/v${event.kv.version}`;
}

/** The watch delivered exactly the store's history from revision 2 to the last it delivered, every revision once. */
function checkWatch(context: ScenarioContext, cluster: EtcdCluster, watcher: Watcher): void {
  const server = caughtUpServers(cluster)?.[0];
  if (server === undefined) return;
  const store = server.fsm.mvcc;
  const history = store.events(Math.max(2, store.compactRevision), store.revision);
  const violate = (details: string) =>
    context.world.violate({ invariant: "etcd.watch-exact", kind: "safety", host: WATCHER, details });
  if (watcher.delivered.length !== history.length) {
    const delivered = watcher.delivered.map((entry) => entry.revision);
    const missing = history.map((entry) => entry.revision).filter((revision) => !delivered.includes(revision));
    violate(
      `the watch delivered ${watcher.delivered.length} revisions, the store has ${history.length} (missing ${missing.slice(0, 10).join(", ")}; delivered ${delivered.slice(0, 10).join(", ")}...)`,
    );
    return;
  }
  history.forEach((expected, index) => {
    const got = watcher.delivered[index] as Watcher["delivered"][number];
    const want = expected.events.map(describeEvent).join(", ");
    const have = got.events.map(describeEvent).join(", ");
    if (got.revision !== expected.revision || want !== have)
      violate(`revision ${expected.revision}: delivered [${have}] at ${got.revision}, the store holds [${want}]`);
  });
}

/**
 * etcd.key-version: in the events the watch delivered, a key put while absent
 * (never put, or deleted since) has version 1 and was created at that revision;
 * a key put again has the next version and keeps its create revision (etcd's
 * contract: a deletion resets the version, a modification increases it).
 */
function checkVersions(context: ScenarioContext, watcher: Watcher): void {
  const live = new Map<string, { readonly version: number; readonly createRevision: number }>();
  for (const { events } of watcher.delivered) {
    for (const event of events) {
      const key = bytesToString(event.kv.key);
      if (event.type === "DELETE") {
        live.delete(key);
        continue;
      }
      const before = live.get(key);
      const expected =
        before === undefined
          ? { version: 1, createRevision: event.kv.modRevision }
          : { version: before.version + 1, createRevision: before.createRevision };
      if (event.kv.version !== expected.version || event.kv.createRevision !== expected.createRevision) {
        const was =
          before === undefined ? "absent" : `at version ${before.version}, created at ${before.createRevision}`;
        context.world.violate({
          invariant: "etcd.key-version",
          kind: "safety",
          host: WATCHER,
          details: `${describeEvent(event)} created at ${event.kv.createRevision}: the key was ${was}, so version ${expected.version} created at ${expected.createRevision}`,
        });
        return;
      }
      live.set(key, expected);
    }
  }
}

function checkHistory(context: ScenarioContext, workload: Workload): void {
  checkHistoryLinearizable(context, workload.recorder.history(), {
    system: "etcd",
    model: etcdKvModel,
    stepsMax: LINEARIZABILITY_STEPS_MAX,
  });
}
