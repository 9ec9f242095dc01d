/**
 * A Gazette broker process (Gazette's cmd/gazette serve): wires the parts of
 * types.ts together on one host.
 *
 * Start-up: mirror the key space from etcd, serve the Journal and Replicate
 * services, announce this broker's member key under a lease (waiting for a
 * previous incarnation's key to expire), then run the allocator (it only acts
 * while this member is the oldest). Replicas follow the key space: a journal
 * assigned here gets a replica (spool, fragment index with its refresh loop,
 * persister hand-off) and loses it when unassigned (its spool is rolled and
 * persisted). When the lease is lost (a partition from etcd longer than its TTL,
 * a long pause), the broker stops: it closes its replicas and its server and
 * `terminated` resolves, as Gazette's broker exits for its orchestrator to
 * restart it.
 *
 * Seams for test fixtures: BrokerOptions.parts replaces the parts the broker
 * builds (DEFAULT_BROKER_PARTS are the real ones).
 */
import type { Env } from "../../../sim/env.ts";
import { EtcdClient } from "../../etcd/index.ts";
import { FragmentTransports } from "../client/fragment-transport.ts";
import { REFRESH_INTERVAL_MS_MAX, type Journal, type JournalSpec } from "../protocol/journal-spec.ts";
import { serveJournal } from "../protocol/rpc-binding.ts";
import { emptyRoute, parseEndpoint, processSpecIdEqual, type ProcessSpecId } from "../protocol/route.ts";
import { DEFAULT_ALLOCATION_RULES, runAllocator, type AllocationRules } from "./allocator.ts";
import { announce, DEFAULT_ANNOUNCE_RULES, type AnnounceRules, type Announcement } from "./announce.ts";
import { DEFAULT_EXPIRED, FragmentIndex, runIndexRefresh, type ExpiredRule } from "./fragment/index.ts";
import { PERSIST_INTERVAL_MS, Persister } from "./fragment/persister.ts";
import { FragmentStoreClient } from "./fragment/store-client.ts";
import { KeySpace, KEYSPACE_ROOT_DEFAULT } from "./keyspace.ts";
import { applyJournals, DEFAULT_LIST_APPLY_RULES, listJournals, type ListApplyRules } from "./list-apply.ts";
import { serveRead, type ServeRead } from "./read.ts";
import { createReplica, type ReplicaFactory, type ReplicaOptions } from "./replica.ts";
import { replicateOverRpc, serveReplicate } from "./replicate-wire.ts";
import { Resolver } from "./resolver.ts";
import { JournalService } from "./service.ts";
import { BROKER_PORT, type BrokerSpec, type Replica } from "./types.ts";
import { anySignal } from "../../common/any-signal.ts";

export interface BrokerOptions {
  readonly etcdEndpoints: readonly string[];
  readonly zone: string;
  /** Default: the host's name. */
  readonly suffix?: string;
  readonly port?: number;
  readonly root?: string;
  /** Lease of the member key, in seconds (Gazette's --etcd.lease, 20 s by default). Default 20. */
  readonly leaseTtlSeconds?: number;
  readonly journalLimit?: number;
  readonly spoolDirectory?: string;
  readonly replica?: ReplicaOptions;
  /** The persister's round interval (Gazette persists every 60 s). */
  readonly persistIntervalMs?: number;
  readonly callDeadlineMs?: number;
  /** The parts the broker builds (a seam for test fixtures): each one missing is DEFAULT_BROKER_PARTS'. */
  readonly parts?: Partial<BrokerParts>;
}

/** The parts a broker builds, and the rules it gives them: classes a fixture may subclass, rules it may replace. */
export interface BrokerParts {
  readonly keySpace: typeof KeySpace;
  readonly resolver: typeof Resolver;
  readonly persister: typeof Persister;
  readonly fragmentIndex: typeof FragmentIndex;
  /** Builds each journal's replica (its spool and append FSM). */
  readonly replica: ReplicaFactory;
  readonly serveRead: ServeRead;
  readonly listApply: ListApplyRules;
  readonly announce: AnnounceRules;
  readonly allocation: AllocationRules;
  /** Which persisted fragments the index refresh's retention removes. */
  readonly expired: ExpiredRule;
}

export const DEFAULT_BROKER_PARTS: BrokerParts = {
  keySpace: KeySpace,
  resolver: Resolver,
  persister: Persister,
  fragmentIndex: FragmentIndex,
  replica: createReplica,
  serveRead,
  listApply: DEFAULT_LIST_APPLY_RULES,
  announce: DEFAULT_ANNOUNCE_RULES,
  allocation: DEFAULT_ALLOCATION_RULES,
  expired: DEFAULT_EXPIRED,
};

export interface Broker {
  readonly id: ProcessSpecId;
  readonly keyspace: KeySpace;
  readonly replicas: ReadonlyMap<Journal, Replica>;
  readonly storeClient: FragmentStoreClient;
  /** Resolves with why the broker stopped ("lease-lost", "stopped"). */
  readonly terminated: Promise<string>;
  /** Revokes the lease and stops (a graceful exit). */
  stop(): Promise<void>;
}

/**
 * How long a journal's first fragment must have been persisted before reads below
 * it skip to it (FragmentIndexOptions.firstFragmentAgeMs): a persist round for
 * any replica to upload what it holds, and two refresh intervals for brokers to
 * list it; but at most the journal's retention, or readers below a first
 * fragment that retention removes before it is that old would wait for ever.
 */
export function firstFragmentAgeMs(persistIntervalMs: number, spec: JournalSpec | undefined): number {
  const inFlightMs = persistIntervalMs + 2 * (spec?.fragment.refreshIntervalMs ?? REFRESH_INTERVAL_MS_MAX);
  const retentionMs = spec?.fragment.retentionMs ?? 0;
  return retentionMs > 0 ? Math.min(inFlightMs, retentionMs) : inFlightMs;
}

export async function runBroker(env: Env, options: BrokerOptions): Promise<Broker> {
  const id: ProcessSpecId = { zone: options.zone, suffix: options.suffix ?? env.host };
  const port = options.port ?? BROKER_PORT;
  const root = options.root ?? KEYSPACE_ROOT_DEFAULT;
  const spec: BrokerSpec = { id, endpoint: `sim://${env.host}:${port}`, journalLimit: options.journalLimit ?? 0 };
  const stopping = new AbortController();
  // Not tied to env.lifetime: when the process dies nothing of it runs again (Env's contract), so only a stop cancels.
  const signal = stopping.signal;

  const etcd = new EtcdClient(env, {
    endpoints: options.etcdEndpoints,
    operationTimeoutMs: 2_000,
    callDeadlineMs: 500,
  });
  const parts: BrokerParts = { ...DEFAULT_BROKER_PARTS, ...options.parts };
  const keyspace = new parts.keySpace(env, etcd, { root });
  if (!(await keyspace.start(signal))) throw new Error("broker stopped before the key space loaded");

  const assembled = assemble(env, { id, port, etcd, keyspace, parts, signal, options });
  const { server, entries: replicas, storeClient } = assembled;

  let announcement: Announcement;
  try {
    announcement = await announce(env, etcd, root, spec, {
      ttlSeconds: options.leaseTtlSeconds ?? 20,
      signal,
      rules: parts.announce,
    });
  } catch (error) {
    server.close();
    stopping.abort();
    throw error;
  }
  void runAllocator(env, etcd, keyspace, id, {
    signal: anySignal([signal, announcement.lost]),
    rules: parts.allocation,
  }).catch((error: unknown) => env.log.error("allocator failed", { error: String(error) }));

  const { reconcile, closeAll } = replicaSet({ env, id, keyspace, parts, signal, options, ...assembled });
  const unsubscribe = keyspace.onChange(reconcile);
  reconcile();

  const { terminated, shutdown } = termination(env, stopping, () => {
    unsubscribe();
    closeAll();
    server.close();
  });
  announcement.lost.addEventListener("abort", () => {
    env.probe("gazette.broker.lease-lost");
    shutdown("lease-lost");
  });

  return {
    id,
    keyspace,
    get replicas() {
      return new Map([...replicas].map(([journal, entry]) => [journal, entry.replica]));
    },
    storeClient,
    terminated,
    async stop() {
      await announcement.revoke().catch(() => undefined);
      shutdown("stopped");
    },
  };
}

/** What a broker starts with: its identity, its etcd client and loaded key space, its parts, and its stop signal. */
interface BrokerBase {
  readonly id: ProcessSpecId;
  readonly port: number;
  readonly etcd: EtcdClient;
  readonly keyspace: KeySpace;
  readonly parts: BrokerParts;
  readonly signal: AbortSignal;
  readonly options: BrokerOptions;
}

/**
 * What the broker builds once its key space has loaded: the fragment stores' client (with its transports) and the
 * persister, the map of its replicas with the resolver that reads it, replication's transport, and its RPC server.
 */
function assemble(
  env: Env,
  base: BrokerBase,
): Pick<ReplicaSetDeps, "persister" | "storeClient" | "transport" | "resolver" | "persistIntervalMs" | "entries"> & {
  readonly server: ReturnType<Env["rpc"]["serve"]>;
} {
  const { id, keyspace, parts, signal, options } = base;
  const storeClient = new FragmentStoreClient(env);
  const transports = new FragmentTransports();
  storeClient.install(transports);
  const persistIntervalMs = options.persistIntervalMs ?? PERSIST_INTERVAL_MS;
  const persister = new parts.persister(env, storeClient, { signal, roundIntervalMs: persistIntervalMs });
  const entries: ReplicaEntries = new Map();
  const resolver = new parts.resolver(keyspace, id, (journal) => entries.get(journal)?.replica);
  const endpointOf = (peer: ProcessSpecId) => keyspace.member(peer)?.spec.endpoint;
  const transport = replicateOverRpc(
    env,
    endpointOf,
    options.callDeadlineMs !== undefined ? { deadlineMs: options.callDeadlineMs } : {},
  );
  const server = serveBroker(env, { ...base, resolver, transports });
  return { persister, storeClient, transport, resolver, persistIntervalMs, entries, server };
}

/**
 * How the broker ends: `shutdown` stops it once (`close` closes its parts, then its signal aborts) and resolves
 * `terminated` with why.
 */
function termination(
  env: Env,
  stopping: AbortController,
  close: () => void,
): { terminated: Promise<string>; shutdown(reason: string): void } {
  let finish: (reason: string) => void = () => undefined;
  const terminated = new Promise<string>((resolve) => {
    finish = resolve;
  });
  const shutdown = (reason: string): void => {
    if (stopping.signal.aborted) return;
    close();
    stopping.abort();
    env.trace("gazette.broker.stopped", { reason });
    finish(reason);
  };
  return { terminated, shutdown };
}

/** The host of a member's endpoint ("sim://broker-1:8080" → "broker-1"). */
export function endpointHost(endpoint: string): string {
  return parseEndpoint(endpoint).host;
}

/** Each replica this broker runs, with its fragment index and what stops it. */
type ReplicaEntries = Map<Journal, { replica: Replica; index: FragmentIndex; stop: AbortController }>;

interface ReplicaSetDeps {
  readonly env: Env;
  readonly id: ProcessSpecId;
  readonly keyspace: KeySpace;
  readonly parts: BrokerParts;
  readonly persister: Persister;
  readonly storeClient: FragmentStoreClient;
  readonly transport: ReturnType<typeof replicateOverRpc>;
  readonly resolver: Resolver;
  readonly signal: AbortSignal;
  readonly persistIntervalMs: number;
  readonly options: BrokerOptions;
  /** Filled and emptied here; read by the broker's resolver. */
  readonly entries: ReplicaEntries;
}

/**
 * The broker's replicas: `reconcile` opens one for each journal the key space
 * assigns to this broker (in journal order) and closes those no longer assigned;
 * `closeAll` closes every one (at shutdown).
 */
function replicaSet(deps: ReplicaSetDeps): { reconcile(): void; closeAll(): void } {
  const { env, id, keyspace, signal, entries: replicas } = deps;
  const close = (journal: Journal): void => {
    const entry = replicas.get(journal);
    if (entry === undefined) return;
    replicas.delete(journal);
    entry.stop.abort();
    env.trace("gazette.broker.replica-close", { journal });
    void entry.replica
      .close()
      .catch((error: unknown) => env.log.warn("replica close failed", { journal, error: String(error) }))
      .finally(() => entry.index.close());
  };

  const reconcile = (): void => {
    if (signal.aborted) return;
    const assigned = new Set(
      keyspace
        .assignmentsOf(id)
        .map((assignment) => assignment.journal)
        .filter((journal) => keyspace.item(journal) !== undefined),
    );
    for (const journal of [...replicas.keys()]) if (!assigned.has(journal)) close(journal);
    for (const journal of [...assigned].sort()) if (!replicas.has(journal)) openReplica(deps, journal);
  };
  const closeAll = (): void => {
    for (const journal of [...replicas.keys()]) close(journal);
  };
  return { reconcile, closeAll };
}

/** Opens `journal`'s replica on this broker: its fragment index, the replica itself and the index's refresh loop. */
function openReplica(deps: ReplicaSetDeps, journal: Journal): void {
  const { env, id, keyspace, parts, persister, storeClient, resolver, signal, persistIntervalMs, options } = deps;
  const specOf = (): JournalSpec | undefined => keyspace.item(journal)?.spec;
  const index = new parts.fragmentIndex(env, journal, {
    firstFragmentAgeMs: () => firstFragmentAgeMs(persistIntervalMs, specOf()),
  });
  const stop = new AbortController();
  const replicaSignal = anySignal([signal, stop.signal]);
  const replica = parts.replica(env, {
    journal,
    localId: id,
    index,
    persist: async (fragment, local, stores, primary) => {
      const persisted = await persister.persist(fragment, local, stores, primary);
      // The replica drops its local copy once this resolves: only a persisted fragment may be dropped.
      if (persisted === undefined && stores.length > 0 && fragment.end > fragment.begin)
        throw new Error(`fragment ${fragment.begin}-${fragment.end} of ${journal} was not persisted`);
    },
    transport: deps.transport,
    storeHealthy: (journalSpec) => {
      const store = journalSpec.fragment.stores[0];
      return store === undefined || storeClient.healthy(store);
    },
    resolve: async ({ minEtcdRevision, signal: resolveSignal }) => {
      if (minEtcdRevision > keyspace.revision) await keyspace.waitForRevision(minEtcdRevision, resolveSignal);
      return resolver.resolve({ journal, requirePrimary: true, mayProxy: false, signal: resolveSignal });
    },
    spoolDirectory: `${options.spoolDirectory ?? "/spools"}/${journal.replaceAll("/", "%2F")}`,
    ...(options.replica !== undefined ? { options: options.replica } : {}),
  });
  void runIndexRefresh(env, index, storeClient, specOf, {
    signal: replicaSignal,
    isPrimary: () => isPrimary(keyspace, id, journal),
    expired: parts.expired,
  }).catch((error: unknown) => env.log.warn("index refresh stopped", { journal, error: String(error) }));
  deps.entries.set(journal, { replica, index, stop });
  env.trace("gazette.broker.replica-open", { journal });
}

/** Whether the key space's route of `journal` names broker `id` its primary. */
function isPrimary(keyspace: KeySpace, id: ProcessSpecId, journal: Journal): boolean {
  const route = keyspace.route(journal);
  const primary = route.members[route.primary];
  return primary !== undefined && processSpecIdEqual(primary, id);
}

/** The broker's RPC server: the Journal service (List, Apply, Read, Append) and replication, on `port`. */
function serveBroker(
  env: Env,
  deps: BrokerBase & { readonly resolver: Resolver; readonly transports: FragmentTransports },
): ReturnType<Env["rpc"]["serve"]> {
  const { id, port, etcd, keyspace, resolver, transports, parts, signal, options } = deps;
  const service = new JournalService({
    env,
    resolve: (args) => resolver.resolve(args),
    list: (request) => listJournals(keyspace, request, keyspace.header(id, emptyRoute()), { rules: parts.listApply }),
    apply: (request) => applyJournals(etcd, keyspace, request, { processId: id, signal, rules: parts.listApply }),
    transports,
    port,
    ...(options.callDeadlineMs !== undefined ? { callDeadlineMs: options.callDeadlineMs } : {}),
    serveRead: parts.serveRead,
  });
  const server = env.rpc.serve(port);
  serveJournal(server, service);
  serveReplicate(server, (request, context) => service.replicate(request, context));
  return server;
}
