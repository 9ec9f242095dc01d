/**
 * The server side of the Gazette scenarios: an etcd cluster (scenarios/etcd-cluster.ts),
 * a fragment store host, and brokers, each broker under a supervisor that starts it
 * again when it stops (its lease was lost: Gazette's broker exits then and is
 * restarted by its orchestrator) or fails to start, with a capped backoff, for as
 * long as the run lasts (supervisor.ts). With a membership (scenarios that churn the cluster), a broker host
 * starts its broker only once it joined, and its supervisor never starts again a
 * broker that left for good.
 */
import { runBroker, type Broker, type BrokerOptions } from "../src/impl/gazette/broker/broker.ts";
import { runFragmentStore, type FragmentStoreObserver, type FragmentStoreOptions } from "../src/impl/gazette/broker/fragment/store.ts";
import { FRAGMENT_STORE_PORT } from "../src/impl/gazette/broker/fragment/store-url.ts";
import { BROKER_PORT } from "../src/impl/gazette/broker/types.ts";
import { RouteCache } from "../src/impl/gazette/client/route-cache.ts";
import { routedJournalClient, type RoutedJournalClient } from "../src/impl/gazette/protocol/journal-client.ts";
import { journalClientOverRpc, routeDialer } from "../src/impl/gazette/protocol/rpc-binding.ts";
import type { JournalSpec } from "../src/impl/gazette/protocol/journal-spec.ts";
import { createSimDisks } from "../src/sim/disk/system.ts";
import type { Env } from "../src/sim/env.ts";
import type { Scenario, ScenarioContext } from "../src/sim/runner.ts";
import { startEtcdCluster, type EtcdCluster } from "./etcd-cluster.ts";
import { brokerVariantsOf, storeVariantOf } from "./gazette-variants.ts";
import { supervise } from "./supervisor.ts";


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
  /** etcd's revision-mode auto compaction keeps this many revisions (default 2,000: brokers never see a compacted watch). */
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

/**
 * The swarm's budget for faulting Gazette brokers with replication 3: at most one
 * broker down at once, so the spools holding not-yet-persisted content survive.
 * A broker isolated or paused past its lease stops and loses its spools like a
 * crashed one, so those count as down too, and a broker stays counted as down for
 * 3 s after it came back: the time it takes to rejoin (its old lease expires, it
 * announces, is assigned and synced).
 */
export const GAZETTE_BROKER_FAULTS = {
  faultKinds: ["crash", "pause", "isolate", "partition", "clog", "link-quality"],
  downAtOnceMax: 1,
  downKinds: ["crash", "isolate", "pause"],
  recoveryMs: 3_000,
} as const satisfies Pick<Scenario, "faultKinds" | "downAtOnceMax" | "downKinds" | "recoveryMs">;

export const GAZETTE_SCENARIO_BASE = {
  maxEvents: 2_000_000,
  probePrefixes: ["gazette.", "etcd."],
  createDisks: () => createSimDisks(),
} as const;

/**
 * Starts the cluster. A run's variant that breaks the brokers or the store
 * (scenarios/gazette-variants.ts) reaches every broker, or the store.
 */
export function startGazetteCluster(context: ScenarioContext, options: GazetteClusterOptions): GazetteCluster {
  const brokenVariants = brokerVariantsOf(context.variant);
  if (brokenVariants !== undefined) options = { ...options, broker: { ...options.broker, brokenVariants: { ...options.broker?.brokenVariants, ...brokenVariants } } };
  const etcd = startEtcdCluster(context, { servers: options.etcd, raft: { snapshotThresholdEntries: 256, trailingLogEntries: 64 }, autoCompactionRetentionRevisions: options.etcdCompactionRetentionRevisions ?? 2_000 });
  const cluster: GazetteCluster = { etcd, brokers: new Map(), failures: {}, storeUrl: `sim://${options.store}:${FRAGMENT_STORE_PORT}/` };
  const storeVariant = storeVariantOf(context.variant);
  context.world.addHost(options.store, (env) => runStore(env, { observer: options.storeObserver, brokenVariant: storeVariant })).start();
  for (const broker of options.brokers) context.world.addHost(broker.host, (env) => superviseBroker(env, cluster, options, broker)).start();
  return cluster;
}

async function runStore(env: Env, options: FragmentStoreOptions): Promise<void> {
  await runFragmentStore(env, options).closed;
}


async function superviseBroker(env: Env, cluster: GazetteCluster, options: GazetteClusterOptions, host: BrokerHost): Promise<void> {
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
export function scenarioJournalSpec(name: string, storeUrl: string, overrides: Partial<JournalSpec["fragment"]> & { replication?: number; flags?: number } = {}): JournalSpec {
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
export function brokersClient(env: Env, brokers: readonly BrokerHost[] | (() => readonly BrokerHost[]), deadlines: { callDeadlineMs: number; readDeadlineMs: number }): RoutedJournalClient {
  const random = env.random.fork("dial");
  const fallback = () => random.pick(typeof brokers === "function" ? brokers() : brokers).host;
  const dial = journalClientOverRpc(env, (dispatch) => routeDialer({ fallback: { address: fallback(), port: BROKER_PORT }, random, buggify: (point) => env.buggify(point) })(dispatch), deadlines);
  return routedJournalClient(dial, new RouteCache(ROUTE_CACHE_SIZE, ROUTE_CACHE_TTL_MS, env.clock));
}
