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
 * Method: 3 etcd members (not faulted), a fragment store host, 5 brokers in two
 * zones; two journals with replication 3 and 4 KiB fragments. Writers w1, w2
 * append records (scenarios/gazette-records.ts) one at a time through an
 * AppendService with a RouteCache; readers r1, r2 read each journal from offset 0
 * with blocking RetryReaders, and r3 reads with DoNotProxy (fragment URLs from
 * the store). The swarm faults the brokers, at most one down at once (so that
 * the spools holding not-yet-persisted content survive: three replicas, one
 * lost at a time). Isolation and pauses count as down too (a broker that
 * loses its lease stops and loses its spools), and a broker stays counted as
 * down for 3 s after it came back, the time it takes to rejoin (its old lease
 * expires, it announces, is assigned and synced). Should every replica of a
 * journal still lose its spool, brokers refuse appends with
 * INDEX_HAS_GREATER_OFFSET (Gazette fails to safety), and the writer does
 * what an operator does, `gazctl journals reset-head`
 * (scenarios/gazette-operator.ts).
 * Invariants: gazette.whole-records, gazette.offsets-agree (continuous);
 * gazette.acknowledged-readable, gazette.append-order (final); liveness: after
 * the heal every writer is acknowledged and every reader reaches the end of
 * its journal.
 */
import { AppendService } from "../src/impl/gazette/client/append-service.ts";
import { ErrOffsetJump } from "../src/impl/gazette/client/errors.ts";
import { FragmentTransports } from "../src/impl/gazette/client/fragment-transport.ts";
import { RetryReader } from "../src/impl/gazette/client/retry-reader.ts";
import { FragmentStoreClient } from "../src/impl/gazette/broker/fragment/store-client.ts";
import { REPLICATION_BROKEN_VARIANTS, type ReplicationBrokenVariant } from "../src/impl/gazette/broker/append.ts";
import type { RoutedJournalClient } from "../src/impl/gazette/protocol/journal-client.ts";
import { appendRequest, readRequest } from "../src/impl/gazette/protocol/messages.ts";
import type { Env } from "../src/sim/env.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../src/sim/runner.ts";
import { brokersClient, GAZETTE_SCENARIO_BASE, scenarioJournalSpec, startGazetteCluster, type BrokerHost, type GazetteCluster } from "./gazette-cluster.ts";
import { isIndexHasGreaterOffset, resetJournalHead } from "./gazette-operator.ts";
import { checkLedger, encodeRecord, Ledger, RecordParser } from "./gazette-records.ts";

const ETCD = ["etcd-1", "etcd-2", "etcd-3"] as const;
const BROKERS: readonly BrokerHost[] = [
  { host: "broker-1", zone: "zone-a" },
  { host: "broker-2", zone: "zone-a" },
  { host: "broker-3", zone: "zone-b" },
  { host: "broker-4", zone: "zone-b" },
  { host: "broker-5", zone: "zone-b" },
];
const STORE = "fragments";
const JOURNALS = ["logs/part-000", "logs/part-001"] as const;
const WRITERS = ["w1", "w2"] as const;
const READERS = [
  { host: "r1", journal: JOURNALS[0], doNotProxy: false },
  { host: "r2", journal: JOURNALS[1], doNotProxy: false },
  { host: "r3", journal: JOURNALS[0], doNotProxy: true },
] as const;

export const gazetteJournals: Scenario = {
  name: "gazette-journals",
  description: "Gazette brokers (replication 3) with appenders and retrying readers under broker faults; appends atomic, offsets agree, acknowledged appends readable, writer order kept",
  safetyMs: 8_000,
  livenessMs: 12_000,
  faultHosts: BROKERS.map((broker) => broker.host),
  faultKinds: ["crash", "pause", "isolate", "partition", "clog", "link-quality"],
  downAtOnceMax: 1,
  // A broker isolated or paused past its lease stops and loses its spools like a crashed one,
  // and rejoins (old lease expired, announced, assigned, synced) a few seconds after.
  downKinds: ["crash", "isolate", "pause"],
  recoveryMs: 3_000,
  variants: {
    "skip-sync-roll": REPLICATION_BROKEN_VARIANTS["skip-sync-roll"],
    "commit-before-peers-ack": REPLICATION_BROKEN_VARIANTS["commit-before-peers-ack"],
    "expose-unadopted": REPLICATION_BROKEN_VARIANTS["expose-unadopted"],
  },
  ...GAZETTE_SCENARIO_BASE,
  setup,
};

export function gazetteClient(env: Env): RoutedJournalClient {
  return brokersClient(env, BROKERS, { callDeadlineMs: 2_000, readDeadlineMs: 5_000 });
}

interface Workload {
  readonly ledger: Ledger;
  readonly parsers: RecordParser[];
  readonly lastAckAt: Map<string, number>;
  readonly counts: { acknowledged: number; failed: number; jumps: number; readerRestarts: number; resetHeads: number };
  applied: boolean;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const replication = context.variant !== undefined && context.variant in REPLICATION_BROKEN_VARIANTS ? (context.variant as ReplicationBrokenVariant) : undefined;
  const cluster = startGazetteCluster(context, { etcd: ETCD, brokers: BROKERS, store: STORE, broker: { leaseTtlSeconds: 2, ...(replication !== undefined ? { brokenVariants: { replication } } : {}) } });
  const workload: Workload = { ledger: new Ledger(), parsers: [], lastAckAt: new Map(), counts: { acknowledged: 0, failed: 0, jumps: 0, readerRestarts: 0, resetHeads: 0 }, applied: false };
  context.world.addHost("admin", (env) => applySpecs(env, cluster, workload)).start();
  for (const writer of WRITERS) context.world.addHost(writer, (env) => writeLoop(env, context, workload)).start();
  for (const reader of READERS) {
    const parser = new RecordParser(reader.journal, reader.host, 0, workload.ledger);
    workload.parsers.push(parser);
    context.world.addHost(reader.host, (env) => readLoop(env, parser, reader.doNotProxy, workload)).start();
  }
  let reported = 0;
  return {
    check: () => {
      reported = workload.ledger.report(context, reported);
    },
    progress: () => {
      const since = context.livenessStartedAt();
      if (since === undefined || !workload.applied) return false;
      if (!WRITERS.every((writer) => (workload.lastAckAt.get(writer) ?? -1) >= since)) return false;
      return workload.parsers.every((parser) => parser.next >= acknowledgedEnd(workload.ledger, parser.journal));
    },
    finish: () => {
      workload.ledger.report(context, reported);
      checkLedger(context, workload.ledger, workload.parsers);
    },
    summary: () => ({ ...workload.counts, ...cluster.failures, readTo: workload.parsers.map((parser) => parser.next).join("/") }),
  };
}

function acknowledgedEnd(ledger: Ledger, journal: string): number {
  return (ledger.acknowledged.get(journal) ?? []).reduce((end, ack) => Math.max(end, ack.end), 0);
}

async function applySpecs(env: Env, cluster: GazetteCluster, workload: Workload): Promise<void> {
  const client = gazetteClient(env);
  for (let attempt = 0; attempt < 1_000; attempt++) {
    try {
      const response = await client.apply({ changes: JOURNALS.map((name) => ({ expectModRevision: -1, upsert: scenarioJournalSpec(name, cluster.storeUrl) })) });
      if (response.status === "OK") {
        workload.applied = true;
        return;
      }
    } catch {
      // A broker down or not yet serving: try another.
    }
    await env.clock.sleep(100);
  }
}

async function writeLoop(env: Env, context: ScenarioContext, workload: Workload): Promise<void> {
  while (!workload.applied) await env.clock.sleep(50);
  let service = new AppendService(env, gazetteClient(env), { attemptsMax: 20 });
  for (let seq = 0; seq < 100_000; seq++) {
    const journal = env.random.pick(JOURNALS);
    const record = encodeRecord({ writer: env.host, seq }, env.random.int(0, 600));
    const append = await service.startAppend(appendRequest({ journal }));
    await append.writer().write(record);
    await append.release();
    await append.done();
    const error = await append.err();
    const commit = append.response()?.commit;
    if (error === undefined || error === null) {
      if (commit !== undefined && commit.end - commit.begin === record.length) {
        workload.ledger.acknowledge({ journal, offset: commit.begin, end: commit.end, record: `${env.host}:${seq}`, by: `${env.host} (acknowledged)` });
        workload.counts.acknowledged++;
        workload.lastAckAt.set(env.host, context.world.now);
      } else {
        workload.ledger.problems.push({ invariant: "gazette.whole-records", details: `${env.host}:${seq} acknowledged as ${JSON.stringify(commit)} for ${record.length} bytes` });
      }
    } else {
      workload.counts.failed++;
      // Consistency was lost (every replica lost its spool): do what an operator does.
      if (isIndexHasGreaterOffset(error)) await resetHead(env, journal, workload);
      // The journal's failure is terminal in this AppendService: start a new one.
      service = new AppendService(env, gazetteClient(env), { attemptsMax: 20 });
      await env.clock.sleep(100);
    }
    await env.clock.sleep(env.random.int(0, 30));
  }
}

/** gazctl journals reset-head (scenarios/gazette-operator.ts), tried a few times. */
async function resetHead(env: Env, journal: string, workload: Workload): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await resetJournalHead(gazetteClient(env), journal);
      env.probe("gazette.scenario.reset-head");
      workload.counts.resetHeads++;
      return;
    } catch (error) {
      env.log.warn("reset-head failed (will retry)", { journal, error: String(error) });
      await env.clock.sleep(200);
    }
  }
}

async function readLoop(env: Env, parser: RecordParser, doNotProxy: boolean, workload: Workload): Promise<void> {
  while (!workload.applied) await env.clock.sleep(50);
  const client = gazetteClient(env);
  const transports = new FragmentTransports();
  transports.register("sim", new FragmentStoreClient(env).transport());
  for (let restart = 0; restart < 10_000; restart++) {
    const reader = new RetryReader(env.clock, client, readRequest({ journal: parser.journal, offset: parser.next, block: true, doNotProxy }), { transports, attemptsMax: 50 });
    try {
      for (;;) {
        let chunk: Uint8Array | null;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!(error instanceof ErrOffsetJump)) throw error;
          workload.counts.jumps++;
          parser.jump(error.offset);
          continue;
        }
        if (chunk === null) break;
        if (chunk.length > 0) parser.feed(chunk);
      }
    } catch {
      workload.counts.readerRestarts++;
    }
    reader.cancel();
    await env.clock.sleep(100);
  }
}
