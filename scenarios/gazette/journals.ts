/**
 * gazette-journals: Gazette's brokers replicate appends to journals, persist
 * fragments to a store, and serve reads, under broker crashes, pauses,
 * partitions and disk faults.
 *
 * Goal: show append atomicity, per-journal linearizability of offsets, that
 * every acknowledged append stays readable through the failures the replication
 * factor covers, that AppendService keeps each writer's order, and that
 * RetryReaders read an exact, gap-free copy of each journal across primary
 * failovers.
 * Method: 3 etcd members (not faulted), a fragment store host, 3 to 5 brokers in two
 * zones; two journals with replication 3 and 4 KiB fragments (the cluster's shape
 * and tuning are the seed's knobs: GAZETTE_JOURNALS_KNOBS). Writers w1, w2
 * append records (scenarios/gazette/records.ts) one at a time through an
 * AppendService with a RouteCache, and give up on one append in twenty after
 * writing part of its record (Require with an error: rolled back); readers r1,
 * r2 read each journal from offset 0 with blocking RetryReaders, and r3 reads
 * with DoNotProxy (fragment URLs from the store). The swarm faults the brokers, at most one down at once (so that
 * the spools holding not-yet-persisted content survive). Isolation and pauses
 * count as down too (a broker that loses its lease stops and loses its
 * spools), and a broker stays counted as down after it came back until what
 * its spools held is persisted from another replica: its lease and 1 s to
 * rejoin (the primary's sync with its replacement rolls the spool), one
 * persist interval and 1 s (brokerRecoveryMs). Should every replica of a
 * journal still lose its spool, brokers refuse appends with
 * INDEX_HAS_GREATER_OFFSET (Gazette fails to safety), and the writer does
 * what an operator does, `gazctl journals reset-head`
 * (scenarios/gazette/operator.ts).
 * Invariants: gazette.whole-records, gazette.offsets-agree (continuous);
 * gazette.acknowledged-readable, gazette.append-order,
 * gazette.no-jump-without-retention (no reader skips offsets of these
 * journals, whose fragments nothing deletes, unless the operator reset the
 * head) (final); liveness: after the heal every writer and every journal has
 * an append acknowledged, and every reader reaches the end of its journal.
 * Variants: expose-unadopted and discard-keeps-sum (brokers), no-rollback and
 * restart-at-original-offset (client). skip-sync-roll and
 * commit-before-peers-ack need states this cluster does not reach (a primary
 * behind its peers; a peer failing mid-commit, then the primary): the 3-broker
 * replication properties catch them (scenarios/variant-catalogue).
 */
import type { RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import type { Env } from "../../src/sim/env.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import {
  brokersClient,
  GAZETTE_BROKER_FAULTS,
  GAZETTE_KNOB_BASE,
  GAZETTE_KNOBS,
  GAZETTE_SCENARIO_BASE,
  gazetteLivenessMsOf,
  PERSIST_INTERVAL_KNOB,
  scenarioJournalSpec,
  startGazetteCluster,
  type BrokerHost,
  type GazetteClusterOptions,
} from "./cluster.ts";
import { journalHooks, writersAcknowledgedSinceHeal } from "./journal-hooks.ts";
import { pickVariants } from "./variants/broker.ts";
import { clientPartsOf } from "./variants/client.ts";
import {
  acknowledgedEnd,
  applySpecs,
  checkNoJumps,
  everyJournalAcknowledged,
  newJournalWorkload,
  startReaders,
  writeLoop,
} from "./workload.ts";

export const ETCD = ["etcd-1", "etcd-2", "etcd-3"] as const;
/** Every broker host a run may have; a run has the first `brokers` (a knob) of them. */
export const BROKERS: readonly BrokerHost[] = [
  { host: "broker-1", zone: "zone-a" },
  { host: "broker-2", zone: "zone-a" },
  { host: "broker-3", zone: "zone-b" },
  { host: "broker-4", zone: "zone-b" },
  { host: "broker-5", zone: "zone-b" },
];
export const STORE = "fragments";
const JOURNALS = ["logs/part-000", "logs/part-001"] as const;
const WRITERS = ["w1", "w2"] as const;
const READERS = [
  { host: "r1", journal: JOURNALS[0], doNotProxy: false },
  { host: "r2", journal: JOURNALS[1], doNotProxy: false },
  { host: "r3", journal: JOURNALS[0], doNotProxy: true },
] as const;

/** The share of appends a writer aborts after writing part of its record (rolled back: never read). */
const ABORTED_SHARE = 0.05;

/**
 * The configuration each seed draws: 3 to 5 brokers, GAZETTE_KNOBS (replication,
 * the brokers' lease, disk latency), the journals' fragment length (1, 4 or 64 KiB:
 * Gazette's typical 512 MiB never rolls in a run this short) and refresh interval
 * (1, 2 or 10 s: Gazette's typical 5 min would leave a restarted broker's index
 * blind for the whole run), and the persist interval. The defaults are the
 * scenario's own shape, Gazette's lease and the broker's 60 s persist rounds.
 */
export const GAZETTE_JOURNALS_KNOBS = {
  brokers: pickKnob([3, 4, 5], 5),
  ...GAZETTE_KNOBS,
  fragmentLengthBytes: pickKnob([1_024, 4_096, 65_536], 4_096),
  refreshIntervalMs: pickKnob([1_000, 2_000, 10_000], 2_000),
  ...PERSIST_INTERVAL_KNOB,
} as const satisfies Scenario["knobs"];

/** The brokers a run has (the `brokers` knob). */
export function brokersOf(knob: KnobReader): readonly BrokerHost[] {
  return BROKERS.slice(0, knob<number>("brokers"));
}

/** Broken variants of the client package (fixtures), by name. */
const CLIENT_VARIANTS = {
  "restart-at-original-offset":
    "a RetryReader restarts a failed read at the offset it was created with, not where it got to (bytes are returned again)",
  "no-rollback":
    "an AsyncAppend whose application required an error is not rolled back at Release: the part written is appended",
} as const;

export const gazetteJournals: Scenario = {
  name: "gazette-journals",
  description:
    "Gazette brokers (3-5, replication 2 or 3, tuned per seed) with appenders and retrying readers under broker faults; appends atomic, offsets agree, acknowledged appends readable, writer order kept",
  safetyMs: 8_000,
  livenessMs: 12_000,
  livenessMsOf: gazetteLivenessMsOf(12_000),
  swarm: { hosts: (knob) => brokersOf(knob).map((broker) => broker.host), ...GAZETTE_BROKER_FAULTS },
  variants: { ...pickVariants(["expose-unadopted", "discard-keeps-sum"]), ...CLIENT_VARIANTS },
  ...GAZETTE_SCENARIO_BASE,
  ...GAZETTE_KNOB_BASE,
  knobs: GAZETTE_JOURNALS_KNOBS,
  rareStates: {
    "append-rolled-back": "gazette.broker.append-rolled-back",
    "replicas-rolled-forward-at-sync": "gazette.broker.sync-roll-forward",
    "pending-commit-discarded": "gazette.broker.pending-commit-discarded",
    "broker-lease-lost": "gazette.broker.lease-lost",
    "survivor-promoted-primary": "gazette.allocator.primary-promoted",
  },
  setup,
};

/** A client of `brokers`, with the scenario's deadlines. */
export function gazetteClient(env: Env, brokers: readonly BrokerHost[] = BROKERS): RoutedJournalClient {
  return brokersClient(env, brokers, { callDeadlineMs: 2_000, readDeadlineMs: 5_000 });
}

function setup(context: ScenarioContext): ScenarioHooks {
  return setupJournals(context, {});
}

/** The journals workload on this cluster; gazette-outages runs it with other faults and options. */
export function setupJournals(
  context: ScenarioContext,
  options: Pick<GazetteClusterOptions, "etcdCompactionRetentionRevisions">,
): ScenarioHooks {
  const { knob } = context;
  const brokers = brokersOf(knob);
  const client = (env: Env) => gazetteClient(env, brokers);
  const broker = {
    leaseTtlSeconds: knob<number>("brokerLeaseTtlSeconds"),
    persistIntervalMs: knob<number>("persistIntervalMs"),
  };
  const cluster = startGazetteCluster(context, { ...options, etcd: ETCD, brokers, store: STORE, broker });
  const workload = newJournalWorkload();
  const fragment = {
    replication: knob<number>("replication"),
    length: knob<number>("fragmentLengthBytes"),
    refreshIntervalMs: knob<number>("refreshIntervalMs"),
  };
  const specs = JOURNALS.map((name) => scenarioJournalSpec(name, cluster.storeUrl, fragment));
  context.world.addHost("admin", (env) => applySpecs(env, client(env), specs, workload)).start();
  const parts = clientPartsOf(context.variant);
  for (const writer of WRITERS)
    context.world
      .addHost(writer, (env) =>
        writeLoop(env, context, workload, JOURNALS, () => client(env), {
          abortedShare: ABORTED_SHARE,
          appendService: parts.appendService,
        }),
      )
      .start();
  startReaders(context, workload, READERS, client, parts.retryReader);
  return journalHooks(context, cluster, workload, {
    audit: () => ({ journals: JOURNALS, brokers: brokers.map((host) => host.host), storeUrl: cluster.storeUrl }),
    progress: () => {
      if (!writersAcknowledgedSinceHeal(context, workload, WRITERS)) return false;
      if (!everyJournalAcknowledged(workload, JOURNALS, context.livenessStartedAt() ?? 0)) return false;
      return workload.parsers.every((parser) => parser.next >= acknowledgedEnd(workload.ledger, parser.journal));
    },
    finish: (audit) => checkNoJumps(context, workload, audit.replicaParsers),
    summary: () => ({ readTo: workload.parsers.map((parser) => parser.next).join("/") }),
  });
}
