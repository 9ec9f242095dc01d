/**
 * gazette-retention: Gazette readers that fall behind a journal whose fragments
 * retention deletes, under broker crashes, pauses, partitions and link faults.
 *
 * Goal: show that a reader at any offset receives ErrOffsetJump to exactly the
 * next available offset and then the right bytes: never bytes that were not
 * appended there, never a silent skip, never a jump over content that was still
 * there; and that retention removes only fragments older than the journal's
 * retention.
 * Method: 3 etcd members (not faulted), a fragment store host, 3 or 4 brokers in two
 * zones; one journal with replication 3, 1 KiB fragments, a 1 s refresh
 * interval (the figures are the defaults of the seed's knobs, GAZETTE_RETENTION_KNOBS) and 6 s retention (the primary's
 * refresh daemon removes persisted
 * fragments older than that; brokers persist rounds every 1 s, so readers
 * below the first fragment may skip to it once it is 3 s old: one persist
 * round and two refresh intervals, see broker.ts firstFragmentAgeMs). Writers w1,
 * w2 append records (scenarios/gazette/records.ts) through AppendServices. The
 * reader `tail` follows the journal from offset 0. The laggards read in
 * sessions: each starts at offset 0, at a random acknowledged record, or where
 * its previous session stopped, reads a few records (blocking RetryReaders),
 * then stops for up to 10 s, so that retention removes what lies ahead of it
 * (lag-3 reads with DoNotProxy: fragment URLs from the store). The swarm faults
 * the brokers, one down at a time as in gazette-journals. The store tells the
 * scenario of each fragment it creates and deletes.
 * Invariants: gazette.whole-records, gazette.offsets-agree, gazette.retention-age
 * (a fragment is deleted only once older than the retention, to the store's
 * one-second ModTime) (continuous); gazette.acknowledged-readable,
 * gazette.append-order, gazette.offset-jump-exact (each jump goes forward; no
 * fragment the store had held for three refresh intervals and still held lies in the
 * range jumped over; every acknowledged record jumped over lay in a fragment
 * deleted before the jump) (final); liveness: after the heal every writer is
 * acknowledged, the tail reaches the acknowledged end, and every laggard
 * finishes a session.
 */
import type { FragmentStoreObserver } from "../../src/impl/gazette/broker/fragment/store.ts";
import type { Fragment } from "../../src/impl/gazette/protocol/fragment.ts";
import type { RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import type { Env } from "../../src/sim/env.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import {
  brokersClient,
  gazetteBrokerFaults,
  GAZETTE_KNOB_BASE,
  GAZETTE_KNOBS,
  GAZETTE_SCENARIO_BASE,
  gazetteLivenessMsOf,
  scenarioJournalSpec,
  startGazetteCluster,
  type BrokerHost,
} from "./cluster.ts";
import { journalHooks, writersAcknowledgedSinceHeal } from "./journal-hooks.ts";
import { RecordParser, type Ledger } from "./records.ts";
import { pickVariants } from "./variants/broker.ts";
import { clientPartsOf } from "./variants/client.ts";
import {
  acknowledgedEnd,
  applySpecs,
  newJournalWorkload,
  readJournal,
  writeLoop,
  type JournalWorkload,
  type ReadJournalOptions,
} from "./workload.ts";

const ETCD = ["etcd-1", "etcd-2", "etcd-3"] as const;
/** Every broker host a run may have; a run has the first `brokers` (a knob) of them. */
const BROKERS: readonly BrokerHost[] = [
  { host: "broker-1", zone: "zone-a" },
  { host: "broker-2", zone: "zone-a" },
  { host: "broker-3", zone: "zone-b" },
  { host: "broker-4", zone: "zone-b" },
];
const STORE = "fragments";
const JOURNAL = "events/retained";
const WRITERS = ["w1", "w2"] as const;
const LAGGARDS = [
  { host: "lag-1", doNotProxy: false },
  { host: "lag-2", doNotProxy: false },
  { host: "lag-3", doNotProxy: true },
] as const;
export const RETENTION_MS = 6_000;
const PERSIST_INTERVAL_MS = 1_000;
/** The store's ModTime has whole seconds: a fragment may look up to this much older than it is. */
const MOD_TIME_GRANULARITY_MS = 1_000;
/**
 * The final audit reads each replica's last 32 KiB (2 s of appends or so, well within retention): older content is in
 * the store, which it reads too.
 */
const AUDIT_WINDOW_BYTES = 32 * 1024;
/**
 * A fragment the store held this many refresh intervals is in every serving broker's index (listed each interval, with
 * room for a slow listing).
 */
const STALE_LISTING_REFRESHES = 3;
const LAGGARD_PAUSE_MS_MAX = 10_000;
const SESSION_RECORDS_MAX = 30;

/**
 * The configuration each seed draws: 3 or 4 brokers, GAZETTE_KNOBS (replication,
 * the brokers' lease, disk latency), the fragment length (1 or 4 KiB: small enough
 * that retention has many fragments to remove in a run) and the refresh interval
 * (1 or 2 s: readers may skip below the first fragment only two refreshes and a
 * persist round after it was stored, well within the 6 s retention). The brokers
 * persist every second (the age at which readers skip counts on it).
 */
export const GAZETTE_RETENTION_KNOBS = {
  brokers: pickKnob([3, 4], 4),
  ...GAZETTE_KNOBS,
  fragmentLengthBytes: pickKnob([1_024, 4_096], 1_024),
  refreshIntervalMs: pickKnob([1_000, 2_000], 1_000),
} as const satisfies Scenario["knobs"];

function brokersOf(knob: KnobReader): readonly BrokerHost[] {
  return BROKERS.slice(0, knob<number>("brokers"));
}

/** Reader-side broken variants (client fixtures), by name. */
const CLIENT_BROKEN_VARIANTS = {
  "silent-offset-jump": "the client Reader skips to the offset a broker jumped to without raising ErrOffsetJump",
} as const;

export const gazetteRetention: Scenario = {
  name: "gazette-retention",
  description:
    "Gazette readers falling behind a journal whose fragments retention deletes, under broker faults; offset jumps go exactly to the next available offset, never over content still held",
  safetyMs: 12_000,
  livenessMs: 15_000,
  livenessMsOf: gazetteLivenessMsOf(15_000),
  swarm: {
    hosts: (knob) => brokersOf(knob).map((broker) => broker.host),
    ...gazetteBrokerFaults(() => PERSIST_INTERVAL_MS),
  },
  variants: {
    ...pickVariants(["retention-ignores-age", "no-jump-before-first", "jump-before-first-at-once"]),
    ...CLIENT_BROKEN_VARIANTS,
  },
  ...GAZETTE_SCENARIO_BASE,
  ...GAZETTE_KNOB_BASE,
  knobs: GAZETTE_RETENTION_KNOBS,
  rareStates: {
    "offset-jump-served": "gazette.broker.read-offset-jump",
    "jump-below-first-fragment": "gazette.broker.offset-jump-before-first",
    "retention-removed-fragment": "gazette.broker.retention-removed",
  },
  setup,
};

function clientOf(brokers: readonly BrokerHost[]): (env: Env) => RoutedJournalClient {
  return (env) => brokersClient(env, brokers, { callDeadlineMs: 2_000, readDeadlineMs: 5_000 });
}

/** A file's life in the store, from its put to its delete. */
interface StoredFragment {
  readonly fragment: Fragment;
  readonly putAtMs: number;
  removedAtMs?: number;
}

/** What the store did, as its observer saw it. */
class StoreHistory {
  readonly lifetimes: StoredFragment[] = [];
  private readonly open = new Map<string, StoredFragment>();
  removals = 0;

  constructor(
    private readonly context: ScenarioContext,
    private readonly ledger: Ledger,
  ) {}

  put(path: string, fragment: Fragment): void {
    const stored: StoredFragment = { fragment, putAtMs: this.context.world.now };
    this.lifetimes.push(stored);
    this.open.set(path, stored);
  }

  remove(path: string): void {
    const stored = this.open.get(path);
    if (stored === undefined) return;
    this.open.delete(path);
    const now = this.context.world.now;
    stored.removedAtMs = now;
    this.removals++;
    if (now - stored.putAtMs <= RETENTION_MS - MOD_TIME_GRANULARITY_MS) {
      this.ledger.problems.push({
        invariant: "gazette.retention-age",
        details: `${path} was deleted ${now - stored.putAtMs} ms after it was stored (retention ${RETENTION_MS} ms)`,
      });
    }
  }

  observer(): FragmentStoreObserver {
    return { put: (path, fragment) => this.put(path, fragment), removed: (path) => this.remove(path) };
  }
}

function setup(context: ScenarioContext): ScenarioHooks {
  const { knob } = context;
  const brokers = brokersOf(knob);
  const client = clientOf(brokers);
  const refreshIntervalMs = knob<number>("refreshIntervalMs");
  const workload = newJournalWorkload();
  const history = new StoreHistory(context, workload.ledger);
  const cluster = startGazetteCluster(context, {
    etcd: ETCD,
    brokers,
    store: STORE,
    storeObserver: history.observer(),
    broker: { leaseTtlSeconds: knob<number>("brokerLeaseTtlSeconds"), persistIntervalMs: PERSIST_INTERVAL_MS },
  });
  const spec = scenarioJournalSpec(JOURNAL, cluster.storeUrl, {
    replication: knob<number>("replication"),
    length: knob<number>("fragmentLengthBytes"),
    refreshIntervalMs,
    retentionMs: RETENTION_MS,
  });
  context.world.addHost("admin", (env) => applySpecs(env, client(env), [spec], workload)).start();
  for (const writer of WRITERS)
    context.world
      .addHost(writer, (env) =>
        writeLoop(env, context, workload, [JOURNAL], () => client(env), { recordBytesMax: 300 }),
      )
      .start();
  const { tail, sessionsDoneAt } = startRetentionReaders(context, client, workload);
  return journalHooks(context, cluster, workload, {
    audit: () => ({
      journals: [JOURNAL],
      brokers: brokers.map((broker) => broker.host),
      storeUrl: cluster.storeUrl,
      replicaWindowBytes: AUDIT_WINDOW_BYTES,
    }),
    progress: () => {
      if (!writersAcknowledgedSinceHeal(context, workload, WRITERS)) return false;
      const since = context.livenessStartedAt() ?? 0;
      if (!LAGGARDS.every((laggard) => (sessionsDoneAt.get(laggard.host) ?? -1) >= since)) return false;
      return tail.next >= acknowledgedEnd(workload.ledger, JOURNAL);
    },
    finish: () => checkJumps(context, history, workload, STALE_LISTING_REFRESHES * refreshIntervalMs),
    summary: () => ({
      stored: history.lifetimes.length,
      removed: history.removals,
      sessions: workload.parsers.length - 1,
      tailAt: tail.next,
      laggardsAt: LAGGARDS.map((laggard) => {
        const last = workload.parsers.filter((parser) => parser.reader === laggard.host).at(-1);
        return last === undefined ? "-" : `${last.next}@${sessionsDoneAt.get(laggard.host) ?? "-"}`;
      }).join("/"),
    }),
  });
}

/**
 * The readers: the tail, from 0 as records arrive (through the brokers), and the laggards; returns the tail's parser
 * and when each laggard last ended a session.
 */
function startRetentionReaders(
  context: ScenarioContext,
  client: (env: Env) => RoutedJournalClient,
  workload: JournalWorkload,
): { tail: RecordParser; sessionsDoneAt: Map<string, number> } {
  const readOptions = (doNotProxy: boolean): ReadJournalOptions => ({
    doNotProxy,
    nowMs: () => context.world.now,
    retryReader: clientPartsOf(context.variant).retryReader,
  });
  const sessionsDoneAt = new Map<string, number>();
  const tail = new RecordParser(JOURNAL, "tail", 0, workload.ledger);
  workload.parsers.push(tail);
  context.world
    .addHost("tail", async (env) => {
      while (!workload.applied) await env.clock.sleep(50);
      await readJournal(env, client(env), tail, workload, readOptions(false));
    })
    .start();
  for (const laggard of LAGGARDS) {
    context.world
      .addHost(laggard.host, (env) =>
        laggardLoop(env, client, workload, readOptions(laggard.doNotProxy), () =>
          sessionsDoneAt.set(env.host, context.world.now),
        ),
      )
      .start();
  }
  return { tail, sessionsDoneAt };
}

/** A laggard: sessions of a few records from 0, a random acknowledged record, or where it stopped; pauses between. */
async function laggardLoop(
  env: Env,
  client: (env: Env) => RoutedJournalClient,
  workload: JournalWorkload,
  options: ReadJournalOptions,
  sessionDone: () => void,
): Promise<void> {
  while (!workload.applied) await env.clock.sleep(50);
  let previous: RecordParser | undefined;
  for (let session = 0; session < 10_000; session++) {
    const acknowledged = workload.ledger.acknowledged.get(JOURNAL) ?? [];
    const roll = env.random.int(0, 9);
    const start =
      roll < 3 || acknowledged.length === 0
        ? 0
        : roll < 7 || previous === undefined
          ? env.random.pick(acknowledged).offset
          : previous.recordEnd;
    const parser = new RecordParser(JOURNAL, env.host, start, workload.ledger);
    workload.parsers.push(parser);
    const want = env.random.int(1, SESSION_RECORDS_MAX);
    await readJournal(env, client(env), parser, workload, { ...options, done: () => parser.records.length >= want });
    sessionDone();
    previous = parser;
    await env.clock.sleep(env.random.int(0, LAGGARD_PAUSE_MS_MAX));
  }
}

/** gazette.offset-jump-exact (see the file comment), one violation per jump at most. */
function checkJumps(
  context: ScenarioContext,
  history: StoreHistory,
  workload: JournalWorkload,
  staleListingMs: number,
): void {
  const acknowledged = workload.ledger.acknowledged.get(JOURNAL) ?? [];
  for (const parser of workload.parsers) {
    for (const jump of parser.jumps) {
      const at = jump.atMs ?? context.world.now;
      const where = `${parser.reader} jumped from ${jump.from} to ${jump.to} at ${at} ms`;
      const violate = (details: string) =>
        context.world.violate({
          invariant: "gazette.offset-jump-exact",
          kind: "safety",
          host: parser.reader,
          details: `${where}: ${details}`,
        });
      if (jump.to <= jump.from) {
        violate("not forward");
        continue;
      }
      const held = history.lifetimes.find(
        (stored) =>
          stored.fragment.begin < jump.to &&
          stored.fragment.end > jump.from &&
          stored.putAtMs <= at - staleListingMs &&
          (stored.removedAtMs === undefined || stored.removedAtMs > at),
      );
      if (held !== undefined) {
        violate(`the store held fragment [${held.fragment.begin}, ${held.fragment.end}) since ${held.putAtMs} ms`);
        continue;
      }
      const skipped = acknowledged.find(
        (ack) =>
          ack.offset >= jump.from &&
          ack.offset < jump.to &&
          !history.lifetimes.some(
            (stored) =>
              stored.fragment.begin <= ack.offset &&
              ack.end <= stored.fragment.end &&
              stored.removedAtMs !== undefined &&
              stored.removedAtMs <= at,
          ),
      );
      if (skipped !== undefined)
        violate(
          `acknowledged ${skipped.record} at [${skipped.offset}, ${skipped.end}) was in no fragment deleted by then`,
        );
    }
  }
}
