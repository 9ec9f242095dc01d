/**
 * The server side of the Gazette scenarios: an etcd cluster (scenarios/etcd/cluster.ts),
 * a fragment store host, and brokers, each broker under a supervisor that starts it
 * again when it stops (its lease was lost: Gazette's broker exits then and is
 * restarted by its orchestrator) or fails to start, with a capped backoff, for as
 * long as the run lasts (supervisor.ts). With a membership (scenarios that churn the cluster), a broker host
 * starts its broker only once it joined, and its supervisor never starts again a
 * broker that left for good.
 */
import { runBroker, type Broker, type BrokerOptions } from "../../src/impl/gazette/broker/broker.ts";
import {
  runFragmentStore,
  type FragmentStoreObserver,
  type FragmentStoreOptions,
} from "../../src/impl/gazette/broker/fragment/store.ts";
import { FRAGMENT_STORE_PORT } from "../../src/impl/gazette/broker/fragment/store-url.ts";
import { BROKER_PORT } from "../../src/impl/gazette/broker/types.ts";
import { RouteCache } from "../../src/impl/gazette/client/route-cache.ts";
import { routedJournalClient, type RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import { journalClientOverRpc, routeDialer } from "../../src/impl/gazette/protocol/rpc-binding.ts";
import type { JournalSpec } from "../../src/impl/gazette/protocol/journal-spec.ts";
import { PERSIST_INTERVAL_MS } from "../../src/impl/gazette/broker/fragment/persister.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import type { Env } from "../../src/sim/env.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioSwarm } from "../../src/sim/runner.ts";
import { DISK_SYNC_KNOB, disksOfKnob } from "../harness/disk-knob.ts";
import { startEtcdCluster, type EtcdCluster } from "../etcd/cluster.ts";
import { brokerPartsOf } from "./variants/broker.ts";
import { supervise } from "../harness/supervisor.ts";

export interface BrokerHost {
  readonly host: string;
  readonly zone: string;
}

export interface GazetteClusterOptions {
  readonly etcd: readonly string[];
  readonly brokers: readonly BrokerHost[];
  /** The fragment store's host. */
  readonly store: string;
  /** Told of the store's puts and deletes (scenario checks). */
  readonly storeObserver?: FragmentStoreObserver;
  readonly broker?: Partial<Omit<BrokerOptions, "etcdEndpoints" | "zone">>;
  /** Which broker hosts are members (default: every one, always). */
  readonly membership?: BrokerMembership;
  /**
   * etcd's revision-mode auto compaction keeps this many revisions (default 2,000: brokers never see a compacted
   * watch).
   */
  readonly etcdCompactionRetentionRevisions?: number;
}

/** Brokers that join late and leave for good, decided by the scenario. */
export interface BrokerMembership {
  /** False until the host may start its broker. */
  joined(host: string): boolean;
  /** True once the host's broker left for good: its supervisor does not start it again. */
  departed(host: string): boolean;
}

/** The clients' RouteCache: routes cached at most, and how long one is trusted (ms). */
const ROUTE_CACHE_SIZE = 64;
const ROUTE_CACHE_TTL_MS = 10_000;

/** How often a host that has not joined yet looks again (ms). */
const JOIN_POLL_MS = 100;

export interface GazetteCluster {
  readonly etcd: EtcdCluster;
  readonly brokers: Map<string, Broker>;
  readonly failures: Record<string, number>;
  /** The store URL journals persist to. */
  readonly storeUrl: string;
}

/** Gazette's --etcd.lease default (its broker's member key), in seconds. */
export const GAZETTE_LEASE_TTL_SECONDS_DEFAULT = 20;
/** The broker lease the scenarios' phase lengths were measured with, in seconds. */
export const GAZETTE_LEASE_TTL_SECONDS_BASE = 2;
/**
 * How long a broker takes to rejoin beyond its lease: it announces, is assigned and synced (the sync rolls the
 * primary's spool).
 */
const REJOIN_BEYOND_LEASE_MS = 1_000;
/**
 * What one persist round itself takes against a reachable store: its attempts (Persister: 4, 50-100 ms apart) and their
 * calls.
 */
const PERSIST_ROUND_MS = 1_000;

/**
 * Swarm testing of a Gazette cluster's configuration, what every Gazette scenario
 * draws: the journals' replication (2 or 3; one replica would lose unpersisted
 * content on the first crash, beyond what the fault budget allows), the brokers'
 * etcd lease (Gazette's 20 s default, or 2 or 5 s so that a broker that loses it
 * is replaced within a run), and the disk's sync latency. Each scenario adds the
 * fragment length, refresh and persist intervals and broker count it can take.
 */
export const GAZETTE_KNOBS = {
  replication: pickKnob([2, 3], 3),
  brokerLeaseTtlSeconds: pickKnob(
    [GAZETTE_LEASE_TTL_SECONDS_BASE, 5, GAZETTE_LEASE_TTL_SECONDS_DEFAULT],
    GAZETTE_LEASE_TTL_SECONDS_DEFAULT,
  ),
  ...DISK_SYNC_KNOB,
} as const satisfies Scenario["knobs"];

/** The persist interval knob: rounds every second, or the broker's (and Gazette's) 60 s. */
export const PERSIST_INTERVAL_KNOB = {
  persistIntervalMs: pickKnob([1_000, PERSIST_INTERVAL_MS], PERSIST_INTERVAL_MS),
} as const satisfies Scenario["knobs"];

/**
 * How long a broker counts as down after it came back: until the content its lost
 * spools held is persisted from another replica. A spool is persisted only once
 * complete (Persister, replica.ts): an open one holds everything appended since the
 * last roll. After a loss the primary's spool completes at its first sync with the
 * replacement peer, assigned once the lost broker's lease expired (lease + 1 s,
 * the sync's roll included); the primary attempts a completed spool at once, and
 * a failed round again a persist interval later (Persister.run); then the round.
 */
export function brokerRecoveryMs(knob: KnobReader, persistIntervalMs: number): number {
  return knob<number>("brokerLeaseTtlSeconds") * 1_000 + REJOIN_BEYOND_LEASE_MS + persistIntervalMs + PERSIST_ROUND_MS;
}

/** The persist interval of a scenario that draws it (PERSIST_INTERVAL_KNOB). */
export function persistIntervalOfKnob(knob: KnobReader): number {
  return knob<number>("persistIntervalMs");
}

/** The liveness bound under the run's knobs: `baseMs` (measured with a 2 s lease) plus the wait for a longer lease. */
export function gazetteLivenessMsOf(baseMs: number): (knob: KnobReader) => number {
  return (knob) => baseMs + (knob<number>("brokerLeaseTtlSeconds") - GAZETTE_LEASE_TTL_SECONDS_BASE) * 1_000;
}

/**
 * The swarm's budget for faulting Gazette brokers: at most one broker down at once.
 * A broker isolated or paused past its lease stops and loses its spools like a
 * crashed one, so those count as down too. A broker that rejoins does not get
 * the old content back (its first sync rolls it to a new fragment at the
 * primary's end): what it held stays one replica short until persisted, so it
 * counts as down until then (brokerRecoveryMs: lease + 1 s + a persist interval
 * + 1 s after it came back). `persistIntervalMsOf` gives the run's persist interval.
 */
export function gazetteBrokerFaults(persistIntervalMsOf: (knob: KnobReader) => number) {
  return {
    kinds: ["crash", "pause", "isolate", "partition", "clog", "link-quality"],
    downAtOnceMax: 1,
    downKinds: ["crash", "isolate", "pause"],
    recoveryMs: (knob: KnobReader) => brokerRecoveryMs(knob, persistIntervalMsOf(knob)),
  } as const satisfies Pick<ScenarioSwarm, "kinds" | "downAtOnceMax" | "downKinds" | "recoveryMs">;
}

/** gazetteBrokerFaults of the scenarios that draw the persist interval (PERSIST_INTERVAL_KNOB). */
export const GAZETTE_BROKER_FAULTS = gazetteBrokerFaults(persistIntervalOfKnob);

export const GAZETTE_SCENARIO_BASE = {
  maxEvents: 2_000_000,
  probePrefixes: ["gazette.", "etcd."],
  createDisks: () => createSimDisks(),
} as const;

/**
 * What the Gazette scenarios that draw knobs take besides GAZETTE_SCENARIO_BASE: disks whose sync latency is a knob.
 */
export const GAZETTE_KNOB_BASE = {
  createDisks: disksOfKnob,
} as const satisfies Partial<Scenario>;

/**
 * Starts the cluster. A run's variant that breaks the brokers
 * (scenarios/gazette/variants/broker.ts) reaches every broker, as its parts.
 */
export function startGazetteCluster(context: ScenarioContext, options: GazetteClusterOptions): GazetteCluster {
  const parts = brokerPartsOf(context.variant);
  if (parts !== undefined)
    options = { ...options, broker: { ...options.broker, parts: { ...options.broker?.parts, ...parts } } };
  const etcd = startEtcdCluster(context, {
    servers: options.etcd,
    raft: { snapshotThresholdEntries: 256, trailingLogEntries: 64 },
    autoCompactionRetentionRevisions: options.etcdCompactionRetentionRevisions ?? 2_000,
  });
  const cluster: GazetteCluster = {
    etcd,
    brokers: new Map(),
    failures: {},
    storeUrl: `sim://${options.store}:${FRAGMENT_STORE_PORT}/`,
  };
  context.world.addHost(options.store, (env) => runStore(env, { observer: options.storeObserver })).start();
  for (const broker of options.brokers)
    context.world.addHost(broker.host, (env) => superviseBroker(env, cluster, options, broker)).start();
  return cluster;
}

async function runStore(env: Env, options: FragmentStoreOptions): Promise<void> {
  await runFragmentStore(env, options).closed;
}

async function superviseBroker(
  env: Env,
  cluster: GazetteCluster,
  options: GazetteClusterOptions,
  host: BrokerHost,
): Promise<void> {
  env.lifetime.signal.addEventListener("abort", () => cluster.brokers.delete(env.host));
  const membership = options.membership;
  if (membership !== undefined) while (!membership.joined(env.host)) await env.clock.sleep(JOIN_POLL_MS);
  await supervise(env, cluster.failures, {
    start: () => runBroker(env, { etcdEndpoints: options.etcd, zone: host.zone, port: BROKER_PORT, ...options.broker }),
    run: async (broker) => {
      cluster.brokers.set(env.host, broker);
      const reason = await broker.terminated;
      cluster.brokers.delete(env.host);
      // A broker always stops for a reason, even when it left: the supervisor then retires it.
      return reason;
    },
    retired: () => membership?.departed(env.host) === true,
  });
}

/** A journal spec for the scenarios: replication, fragment length, retention and refresh on the store. */
export function scenarioJournalSpec(
  name: string,
  storeUrl: string,
  overrides: Partial<JournalSpec["fragment"]> & { replication?: number; flags?: number } = {},
): JournalSpec {
  const { replication, flags, ...fragment } = overrides;
  return {
    name,
    replication: replication ?? 3,
    labels: { labels: [] },
    fragment: {
      length: 4 * 1024,
      compressionCodec: "NONE",
      stores: [storeUrl],
      refreshIntervalMs: 2_000,
      retentionMs: 0,
      flushIntervalMs: 0,
      ...fragment,
    },
    flags: flags ?? 0,
  };
}

/**
 * A routed journal client of `brokers` (a random one when no route is known), with
 * a RouteCache. `brokers` may be a function, asked at each dial: the brokers a
 * service address resolves to at that moment (a cluster whose members change).
 */
export function brokersClient(
  env: Env,
  brokers: readonly BrokerHost[] | (() => readonly BrokerHost[]),
  deadlines: { callDeadlineMs: number; readDeadlineMs: number },
): RoutedJournalClient {
  const random = env.random.fork("dial");
  const fallback = () => random.pick(typeof brokers === "function" ? brokers() : brokers).host;
  const dial = journalClientOverRpc(
    env,
    (dispatch) =>
      routeDialer({
        fallback: { address: fallback(), port: BROKER_PORT },
        random,
        buggify: (point) => env.buggify(point),
      })(dispatch),
    deadlines,
  );
  return routedJournalClient(dial, new RouteCache(ROUTE_CACHE_SIZE, ROUTE_CACHE_TTL_MS, env.clock));
}
