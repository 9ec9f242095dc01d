/**
 * gazette-churn: Gazette brokers under membership churn (brokers leave for
 * good and new ones join) as well as the swarm's faults, with writers whose
 * appends depend on one another, retrying readers, and a PolledList watcher.
 *
 * Goal: show, against real brokers, what the client package promises when
 * journals move between brokers: a RoutedJournalClient corrects the stale
 * routes it holds from the brokers' response headers, a PolledList follows the
 * journals' routes, and an AppendService honours dependencies (an append goes
 * out only after its dependencies succeeded, a failed dependency fails it, a
 * failure is terminal for its journal in that service); and that appends stay
 * whole, ordered and readable while routes move.
 * Method: 3 etcd members (not faulted), a fragment store host, 6 brokers in two
 * zones, four of them members from the start; journals orders/part-000 and
 * orders/part-001 (replication 3; the journals' fragment length and refresh
 * interval, and the brokers' lease and persist interval are the seed's knobs,
 * GAZETTE_CHURN_KNOBS) and orders/archive, read-only (brokers refuse
 * appends with NOT_ALLOWED, which AppendService does not retry). A controller
 * (scenarios/gazette/membership.ts) joins the two other brokers and makes up to
 * two members leave (a graceful stop, never restarted), preferring a primary,
 * only when that keeps within the swarm's budget: at most one broker down or
 * leaving at once, a broker counting as down after a swarm episode until what
 * it held is persisted elsewhere (brokerRecoveryMs: lease + 1 s + a persist
 * interval + 1 s) and 1.5 s after a leave (its journals move). Writers w1, w2, w3 each append
 * record pairs through ONE AppendService (scenarios/gazette/dependencies.ts),
 * the second record depending on the first; once, w3's second depends on an
 * append to orders/archive instead. Readers r1, r2 and r3 (DoNotProxy) read the
 * two journals from offset 0 with blocking RetryReaders, r4 reads
 * orders/archive. A lister application follows a PolledList (ListJournals in
 * pages of two journals), taking its listing on each update signal. Clients dial
 * the live brokers when they know no route (a service address).
 * Invariants: gazette.whole-records, gazette.offsets-agree (continuous);
 * gazette.acknowledged-readable, gazette.append-order (final;
 * scenarios/gazette/records.ts); gazette.no-jump-without-retention (final;
 * scenarios/gazette/workload.ts); gazette.append-dependencies and
 * gazette.read-only (continuous and final; scenarios/gazette/dependencies.ts);
 * gazette.route-converged (final, once the liveness phase showed progress and
 * the live brokers' key spaces agree): for each journal a writer had an append
 * acknowledged after the heal, its RouteCache holds the journal's route in the
 * key space (members and primary), and the listing the lister took last holds
 * every journal's route, each journal once. Liveness: after the heal every
 * writer and every writable journal has an append acknowledged, every reader
 * reaches the acknowledged end of its journal, each writer is acknowledged
 * after the last route change of the journals it writes, and the lister took
 * two updates after it.
 */
import type { PolledList } from "../../src/impl/gazette/client/polled-list.ts";
import type { RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import { JOURNAL_FLAGS, type JournalSpec } from "../../src/impl/gazette/protocol/journal-spec.ts";
import { listRequest, type ListResponse } from "../../src/impl/gazette/protocol/messages.ts";
import { routesEquivalent, type Route } from "../../src/impl/gazette/protocol/route.ts";
import type { Env } from "../../src/sim/env.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  brokerRecoveryMs,
  brokersClient,
  GAZETTE_BROKER_FAULTS,
  GAZETTE_KNOB_BASE,
  GAZETTE_KNOBS,
  GAZETTE_SCENARIO_BASE,
  gazetteLivenessMsOf,
  PERSIST_INTERVAL_KNOB,
  persistIntervalOfKnob,
  scenarioJournalSpec,
  startGazetteCluster,
  type BrokerHost,
  type GazetteCluster,
} from "./cluster.ts";
import { DependencyLedger, dependentWriteLoop, type WriterRole } from "./dependencies.ts";
import { journalHooks, writersAcknowledgedSinceHeal } from "./journal-hooks.ts";
import {
  agreedRoute,
  controlMembership,
  Membership,
  routeKey,
  type ChurnCounts,
  type ChurnOptions,
} from "./membership.ts";
import { pickVariants } from "./variants/broker.ts";
import { clientPartsOf, type AppendServiceBrokenVariant } from "./variants/client.ts";
import {
  acknowledgedEnd,
  applySpecs,
  checkNoJumps,
  newJournalWorkload,
  startReaders,
  type JournalWorkload,
} from "./workload.ts";

const ETCD = ["etcd-1", "etcd-2", "etcd-3"] as const;
/** broker-1 to broker-6; broker-5 and broker-6 join later. */
const BROKERS: readonly BrokerHost[] = ["zone-a", "zone-a", "zone-b", "zone-b", "zone-a", "zone-b"].map(
  (zone, index) => ({ host: `broker-${index + 1}`, zone }),
);
const JOINERS = ["broker-5", "broker-6"] as const;
const STORE = "fragments";
const JOURNALS = ["orders/part-000", "orders/part-001"] as const;
const READ_ONLY = "orders/archive";
const ALL_JOURNALS = [...JOURNALS, READ_ONLY] as const;
const READERS = [
  { host: "r1", journal: JOURNALS[0], doNotProxy: false },
  { host: "r2", journal: JOURNALS[1], doNotProxy: false },
  { host: "r3", journal: JOURNALS[0], doNotProxy: true },
  { host: "r4", journal: READ_ONLY, doNotProxy: false },
] as const;
const WRITERS = ["w1", "w2", "w3"] as const;
const SAFETY_MS = 12_000;
const LIST_INTERVAL_MS = 500;
/** Updates the lister must take after the last route change (the poll behind the first may have begun before it). */
const POLLS_AFTER_CHANGE = 2;

/**
 * Measured: a leave's journals are reassigned and what the survivors hold is persisted within ~150 ms (seed 1); ten
 * times that.
 */
const LEAVE_RECOVERY_MS = 1_500;

/** The journals' replication (not a knob: see GAZETTE_CHURN_KNOBS). */
const CHURN_REPLICATION = 3;

/**
 * The membership controller's options under the run's knobs (the journals' replication, the brokers' recovery after a
 * fault).
 */
function churnOptionsOf(knob: KnobReader): ChurnOptions {
  return {
    brokers: BROKERS,
    joiners: JOINERS,
    journals: ALL_JOURNALS,
    replication: CHURN_REPLICATION,
    leavesMax: 2,
    membersMin: 4,
    joinDelayMs: [300, 2_500],
    downKinds: GAZETTE_BROKER_FAULTS.downKinds,
    recoveryMs: brokerRecoveryMs(knob, persistIntervalOfKnob(knob)),
    leaveRecoveryMs: LEAVE_RECOVERY_MS,
    safetyMs: SAFETY_MS,
  };
}

/**
 * The configuration each seed draws: GAZETTE_KNOBS but replication (the brokers'
 * lease, disk latency), the fragment length, refresh and persist intervals as in
 * gazette-journals. The brokers, their zones, the churn and replication 3 are the
 * scenario's: a leave revokes the leaver's lease at once, and with two replicas the
 * allocator then promotes the only survivor even when it has not synced yet (seed
 * 20 with replication 2: the primary's link to its new peer clogged for 1.9 s, the
 * primary left, acknowledged appends were lost; see the README), which is beyond
 * the budget the controller spends.
 */
export const GAZETTE_CHURN_KNOBS = {
  brokerLeaseTtlSeconds: GAZETTE_KNOBS.brokerLeaseTtlSeconds,
  diskSyncMsMean: GAZETTE_KNOBS.diskSyncMsMean,
  fragmentLengthBytes: pickKnob([1_024, 4_096, 65_536], 4_096),
  refreshIntervalMs: pickKnob([1_000, 2_000, 10_000], 2_000),
  ...PERSIST_INTERVAL_KNOB,
} as const satisfies Scenario["knobs"];

const APPEND_SERVICE_VARIANTS = {
  "ignore-dependencies":
    "AppendService appends a batch without waiting for its dependencies (an append whose dependency fails still commits)",
  "batch-across-dependencies":
    "AppendService batches an append into a queued batch whose dependencies do not cover its own",
  "forget-failures":
    "AppendService forgets a journal's failure: later appends of the journal go on as if nothing failed",
  "dispatch-concurrently":
    "AppendService dispatches a journal's next batch before the previous one finished (its appends may commit out of order)",
  "retry-everything":
    "AppendService retries every failed append, statuses Gazette does not retry included (NOT_ALLOWED is retried until the attempts run out)",
} as const satisfies Partial<Record<AppendServiceBrokenVariant, string>>;
const CLIENT_VARIANTS = {
  "ignore-response-route":
    "the Appender does not feed the response header's route to the RouteCache (stale routes are never corrected)",
  "keep-first-listing": "PolledList keeps its first listing for ever (polls succeed, the listing never changes)",
  "no-update-signal": "PolledList never signals an update (the application waiting on it keeps its first listing)",
} as const;
/** Journals per List page of the PolledList: the three journals take two pages. */
const LIST_PAGE_LIMIT = 2;

export const gazetteChurn: Scenario = {
  name: "gazette-churn",
  description:
    "Gazette brokers that join and leave under faults; dependent appends through one AppendService, RouteCache and PolledList follow moving routes",
  safetyMs: SAFETY_MS,
  livenessMs: 15_000,
  livenessMsOf: gazetteLivenessMsOf(15_000),
  swarm: { hosts: BROKERS.map((broker) => broker.host), ...GAZETTE_BROKER_FAULTS },
  variants: {
    ...pickVariants(["promote-newest", "replace-survivors", "page-token-inclusive"]),
    ...APPEND_SERVICE_VARIANTS,
    ...CLIENT_VARIANTS,
  },
  ...GAZETTE_SCENARIO_BASE,
  ...GAZETTE_KNOB_BASE,
  knobs: GAZETTE_CHURN_KNOBS,
  rareStates: {
    "survivor-promoted-primary": "gazette.allocator.primary-promoted",
    "append-proxied": "gazette.broker.append-proxied",
    "read-proxied": "gazette.broker.read-proxied",
    "resolver-waited-for-revision": "gazette.resolver.waited-for-revision",
  },
  setup,
};

interface Churn {
  readonly cluster: GazetteCluster;
  readonly workload: JournalWorkload;
  readonly dependencies: DependencyLedger;
  /** Each writer's current client (its RouteCache). */
  readonly writerClients: Map<string, RoutedJournalClient>;
  readonly watch: RouteWatch;
  readonly counts: ChurnCounts;
  /** What the lister application last took from its PolledList, on its update signal, and how many updates it took. */
  listing: { readonly response: ListResponse; readonly updates: number } | undefined;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const parts = clientPartsOf(context.variant);
  const membership = new Membership(BROKERS, JOINERS);
  const { knob } = context;
  const broker = {
    leaseTtlSeconds: knob<number>("brokerLeaseTtlSeconds"),
    persistIntervalMs: knob<number>("persistIntervalMs"),
  };
  const cluster = startGazetteCluster(context, { etcd: ETCD, brokers: BROKERS, store: STORE, membership, broker });
  const workload = newJournalWorkload();
  const churn: Churn = {
    cluster,
    workload,
    dependencies: new DependencyLedger(context, workload, new Set([READ_ONLY])),
    writerClients: new Map(),
    watch: new RouteWatch(),
    counts: { joins: 0, leaves: 0 },
    listing: undefined,
  };
  const client = (env: Env): RoutedJournalClient =>
    brokersClient(env, () => liveBrokers(cluster), { callDeadlineMs: 2_000, readDeadlineMs: 5_000 });
  const specs = churnSpecs(context, cluster.storeUrl);
  context.world.addHost("admin", (env) => applySpecs(env, client(env), specs, workload)).start();
  context.world
    .addHost("operator", async (env) => {
      while (!workload.applied) await env.clock.sleep(50);
      await controlMembership(env, context, cluster, membership, churnOptionsOf(knob), churn.counts);
    })
    .start();
  for (const role of writerRoles(context)) {
    context.world
      .addHost(role.host, (env) =>
        dependentWriteLoop(
          env,
          workload,
          churn.dependencies,
          role,
          () => newWriterClient(churn, role.host, client(env)),
          parts.appendService,
        ),
      )
      .start();
  }
  startReaders(context, workload, READERS, client);
  context.world.addHost("lister", (env) => listLoop(env, client(env), churn, parts.polledList)).start();
  return journalHooks(context, cluster, workload, {
    audit: () => ({ journals: ALL_JOURNALS, brokers: membership.current(), storeUrl: cluster.storeUrl }),
    check: () => churn.watch.observe(context.world.now, cluster, churn.listing?.updates ?? 0),
    progress: () => progressed(context, churn),
    finish: (audit) => {
      checkNoJumps(context, workload, audit.replicaParsers);
      churn.dependencies.checkFailedUnread([...workload.parsers, ...audit.parsers]);
      checkRoutes(context, churn);
    },
    summary: () => ({
      ...churn.dependencies.counts,
      ...prefixed("unexpected:", churn.dependencies.unexpectedByName),
      ...churn.counts,
      readTo: workload.parsers.map((parser) => parser.next).join("/"),
      ackedTo: workload.parsers.map((parser) => acknowledgedEnd(workload.ledger, parser.journal)).join("/"),
    }),
  });
}

/** The written journals' specs and the read-only one's (replication CHURN_REPLICATION, the rest knobs). */
function churnSpecs(context: ScenarioContext, storeUrl: string): JournalSpec[] {
  const fragment = {
    replication: CHURN_REPLICATION,
    length: context.knob<number>("fragmentLengthBytes"),
    refreshIntervalMs: context.knob<number>("refreshIntervalMs"),
  };
  return [
    ...JOURNALS.map((name) => scenarioJournalSpec(name, storeUrl, fragment)),
    scenarioJournalSpec(READ_ONLY, storeUrl, { ...fragment, flags: JOURNAL_FLAGS.O_RDONLY }),
  ];
}

/** w1 and w2 write the two journals in opposite orders; w3 once makes part-001 depend on the read-only journal. */
function writerRoles(context: ScenarioContext): WriterRole[] {
  return [
    { host: WRITERS[0], first: JOURNALS[0], second: JOURNALS[1], readOnly: READ_ONLY },
    { host: WRITERS[1], first: JOURNALS[1], second: JOURNALS[0], readOnly: READ_ONLY },
    {
      host: WRITERS[2],
      first: JOURNALS[0],
      second: JOURNALS[1],
      readOnly: READ_ONLY,
      poisonAt: context.random.int(5, 60),
    },
  ];
}

function prefixed(prefix: string, counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([name, count]) => [`${prefix}${name}`, count]));
}

function newWriterClient(churn: Churn, writer: string, client: RoutedJournalClient): RoutedJournalClient {
  churn.writerClients.set(writer, client);
  return client;
}

/** The brokers a service address would resolve to: the live ones (every one while none is). */
function liveBrokers(cluster: GazetteCluster): readonly BrokerHost[] {
  const live = BROKERS.filter((broker) => cluster.brokers.has(broker.host));
  return live.length > 0 ? live : BROKERS;
}

/**
 * The lister application: a PolledList in pages of LIST_PAGE_LIMIT; it takes the listing each time the list signals an
 * update (Gazette's UpdateCh).
 */
async function listLoop(
  env: Env,
  client: RoutedJournalClient,
  churn: Churn,
  polledList: typeof PolledList,
): Promise<void> {
  while (!churn.workload.applied) await env.clock.sleep(50);
  let lister: PolledList | undefined;
  for (let attempt = 0; attempt < 1_000 && lister === undefined; attempt++) {
    // The first listing is the client operation; the PolledList's later polls run inside it, untraced.
    const traced = invokeOperation(env, "list");
    try {
      lister = await polledList.create(env, client, LIST_INTERVAL_MS, listRequest({ pageLimit: LIST_PAGE_LIMIT }));
      traced.ok();
    } catch (error) {
      traced.failedWith(error, false);
      await env.clock.sleep(200);
    }
  }
  if (lister === undefined) return;
  churn.listing = { response: lister.list(), updates: 0 };
  for (let updates = 1; updates < 1_000_000; updates++) {
    await lister.waitForUpdate();
    churn.listing = { response: lister.list(), updates };
  }
}

/** When each journal's route last changed in the live brokers' key spaces (or they stopped agreeing on it). */
class RouteWatch {
  private readonly keys = new Map<string, string>();
  readonly changedAt = new Map<string, number>();
  /** The updates the lister had taken at the last change. */
  updatesAtChange = 0;
  private observedAt = -1;

  observe(now: number, cluster: GazetteCluster, updates: number): void {
    if (now === this.observedAt) return;
    this.observedAt = now;
    for (const journal of ALL_JOURNALS) {
      const route = agreedRoute(cluster, journal);
      const key = route === undefined ? "disagree" : routeKey(route);
      if (key === this.keys.get(journal)) continue;
      this.keys.set(journal, key);
      this.changedAt.set(journal, now);
      this.updatesAtChange = updates;
    }
  }
}

function progressed(context: ScenarioContext, churn: Churn): boolean {
  const { workload, watch } = churn;
  if (!writersAcknowledgedSinceHeal(context, workload, WRITERS)) return false;
  const since = context.livenessStartedAt() ?? 0;
  if (!workload.parsers.every((parser) => parser.next >= acknowledgedEnd(workload.ledger, parser.journal)))
    return false;
  if (!ALL_JOURNALS.every((journal) => agreedRoute(churn.cluster, journal) !== undefined)) return false;
  const acknowledgedSince = (journal: string) =>
    WRITERS.some((writer) => (churn.dependencies.acknowledgedAt.get(writer)?.get(journal) ?? -1) >= since);
  if (!JOURNALS.every(acknowledgedSince)) return false;
  for (const writer of WRITERS) {
    for (const [journal, at] of churn.dependencies.acknowledgedAt.get(writer) ?? []) {
      if (at >= since && at < (watch.changedAt.get(journal) ?? 0)) return false;
    }
  }
  return churn.listing !== undefined && churn.listing.updates >= watch.updatesAtChange + POLLS_AFTER_CHANGE;
}

/** gazette.route-converged (see the file comment). */
function checkRoutes(context: ScenarioContext, churn: Churn): void {
  const since = context.livenessStartedAt() ?? 0;
  const violate = (details: string) =>
    context.world.violate({ invariant: "gazette.route-converged", kind: "safety", details });
  const describe = (route: Route | undefined) => (route === undefined ? "none" : routeKey(route));
  const listing = churn.listing?.response;
  const names = listing?.journals.map((entry) => entry.spec.name) ?? [];
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) violate(`the PolledList lists ${repeated.join(", ")} more than once (${names.join(", ")})`);
  for (const journal of ALL_JOURNALS) {
    const route = agreedRoute(churn.cluster, journal);
    if (route === undefined) {
      violate(`the live brokers' key spaces do not agree on the route of ${journal}`);
      continue;
    }
    for (const writer of WRITERS) {
      const at = churn.dependencies.acknowledgedAt.get(writer)?.get(journal);
      if (at === undefined || at < since) continue;
      const cached = churn.writerClients.get(writer)?.route(journal);
      if (!routesEquivalent(route, cached))
        violate(`${writer}'s RouteCache routes ${journal} to ${describe(cached)}; the key space to ${describe(route)}`);
    }
    const listed = listing?.journals.find((entry) => entry.spec.name === journal)?.route;
    if (!routesEquivalent(route, listed))
      violate(`the PolledList lists ${journal} with route ${describe(listed)}; the key space has ${describe(route)}`);
  }
}
