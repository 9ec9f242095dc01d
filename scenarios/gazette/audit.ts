/**
 * The final audit of the Gazette scenarios: after the heal, every copy of each
 * journal is read back and held to what the run observed (the ledger,
 * gazette-records.ts), so that a copy no reader happened to read is judged too.
 *
 * Method: an auditor host, started when the run's final phase begins, reads at once
 * - every fragment the store lists for the journal, through the store (as a
 *   DoNotProxy reader opens fragment URLs: the SHA-1 and the length are verified);
 * - each broker's replica with DoNotProxy (its spools, and its index's fragment
 *   URLs for persisted content), from offset 0 (or, for a journal that retention
 *   prunes meanwhile, from the last `replicaWindowBytes` acknowledged) to its write
 *   head; a broker that holds no replica refuses and is skipped.
 * Each copy is parsed as a reader's would be, into the ledger, whose invariants
 * judge it against every acknowledgement, reader and other copy:
 * gazette.whole-records (also: a replica's write head ends a record),
 * gazette.offsets-agree (no two copies hold different records at one offset),
 * gazette.no-foreign-records, and checkLedger's gazette.acknowledged-readable
 * (every acknowledged record within a copy's range is in it, where it was
 * acknowledged, unless the copy took an offset jump over it). Besides,
 * gazette.store-copy-intact: every listed fragment reads back whole, with its sum,
 * and holds whole records filling exactly its range (one that retention deleted
 * meanwhile is skipped).
 * Not judged: a replica's copy ending before the acknowledged end (a replica that
 * joined the route later serves older content only once another one persisted it).
 * Limits: AUDIT_MS_MAX of virtual time, FAILURES_IN_A_ROW_MAX per copy; what is
 * left unread is counted (auditUnfinished), not judged.
 */
import { FragmentStoreClient } from "../../src/impl/gazette/broker/fragment/store-client.ts";
import { BROKER_PORT } from "../../src/impl/gazette/broker/types.ts";
import { ErrNotJournalBroker, ErrOffsetJump, ErrOffsetNotYetAvailable } from "../../src/impl/gazette/client/errors.ts";
import { openFragmentURL } from "../../src/impl/gazette/client/fragment-reader.ts";
import { FragmentTransports } from "../../src/impl/gazette/client/fragment-transport.ts";
import { Reader } from "../../src/impl/gazette/client/reader.ts";
import { fragmentStoreUrl, type Fragment } from "../../src/impl/gazette/protocol/fragment.ts";
import {
  noopRouter,
  routedJournalClient,
  type RoutedJournalClient,
} from "../../src/impl/gazette/protocol/journal-client.ts";
import { readRequest } from "../../src/impl/gazette/protocol/messages.ts";
import { journalClientOverRpc } from "../../src/impl/gazette/protocol/rpc-binding.ts";
import type { Env } from "../../src/sim/env.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";
import { RecordParser, type Ledger } from "./records.ts";

/** Virtual time the audit may take at most. */
const AUDIT_MS_MAX = 20_000;
/** Readers one copy's read may take at most (each ends at a fragment read from the store, or a failure). */
const READERS_PER_COPY_MAX = 10_000;
/**
 * Failed reads in a row (not a refusal, not the write head) one replica's copy
 * survives, each resumed after RETRY_MS: a fragment that retention deleted is
 * still in a broker's index until its next refresh.
 */
const FAILURES_IN_A_ROW_MAX = 10;
const RETRY_MS = 250;
const DEADLINES = { callDeadlineMs: 2_000, readDeadlineMs: 5_000 };
/** The auditor's host name. */
export const AUDITOR_HOST = "auditor";

export interface AuditTarget {
  readonly journals: readonly string[];
  /** Broker hosts, each read as a replica of every journal. */
  readonly brokers: readonly string[];
  /** The fragment store's URL (the journals' store). */
  readonly storeUrl: string;
  /**
   * For a journal that retention prunes as the audit reads: each replica is read
   * from the first acknowledged record within this many bytes of the acknowledged
   * end (a copy from the first offset would chase deletions). Default: from 0.
   */
  readonly replicaWindowBytes?: number;
}

/** What the audit read. */
export interface AuditFigures {
  storeFragments: number;
  storeFragmentsGone: number;
  replicaCopies: number;
  replicasRefused: number;
  bytes: number;
  unfinished: number;
}

/**
 * The audit's copies as parsed (for checkLedger's final checks: acknowledged records present in each) and its figures.
 */
export interface Audit {
  readonly parsers: RecordParser[];
  /** The brokers' replica copies (also in `parsers`), for the checks that hold them to a reader's rules. */
  readonly replicaParsers: RecordParser[];
  readonly figures: AuditFigures;
}

/** Runs the audit (see the file's comment) in the final phase, running the world until it ends. */
export async function auditJournals(context: ScenarioContext, ledger: Ledger, target: AuditTarget): Promise<Audit> {
  const { world } = context;
  const figures: AuditFigures = {
    storeFragments: 0,
    storeFragmentsGone: 0,
    replicaCopies: 0,
    replicasRefused: 0,
    bytes: 0,
    unfinished: 0,
  };
  const parsers: RecordParser[] = [];
  const replicaParsers: RecordParser[] = [];
  let done = false;
  world
    .addHost(AUDITOR_HOST, async (env) => {
      try {
        for (const journal of target.journals) {
          const from = replicaStart(ledger, journal, target.replicaWindowBytes);
          const copies = target.brokers.map((broker) =>
            auditReplica(env, ledger, { broker, journal, from }, { figures, parsers, replicaParsers }),
          );
          const store = auditStore(env, ledger, target.storeUrl, journal, { figures, parsers, replicaParsers });
          await Promise.all([store, ...copies]);
        }
      } finally {
        done = true;
      }
    })
    .start();
  const deadline = world.now + AUDIT_MS_MAX;
  while (!done && world.now < deadline) await world.scheduler.run({ untilTime: Math.min(deadline, world.now + 10) });
  if (!done) figures.unfinished += 1;
  world.record(AUDITOR_HOST, "gazette.audit", { ...figures });
  return { parsers, replicaParsers, figures };
}

/** Reads back every fragment the store lists for `journal`. */
async function auditStore(
  env: Env,
  ledger: Ledger,
  storeUrl: string,
  journal: string,
  { figures, parsers }: Audit,
): Promise<void> {
  const store = new FragmentStoreClient(env);
  const transports = new FragmentTransports();
  transports.register("sim", store.transport());
  let fragments: Fragment[];
  try {
    fragments = await store.list(storeUrl, journal);
  } catch (error) {
    ledger.problems.push({
      invariant: "gazette.store-copy-intact",
      details: `audit: the store's listing of ${journal} failed after the heal: ${String(error)}`,
    });
    return;
  }
  for (const fragment of fragments) {
    const name = `${journal}@[${fragment.begin}, ${fragment.end})`;
    const parser = new RecordParser(journal, `audit: store ${name}`, fragment.begin, ledger);
    parsers.push(parser);
    try {
      const reader = await openFragmentURL(transports, fragment, fragment.begin, fragmentStoreUrl(fragment));
      for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
        parser.feed(chunk);
        figures.bytes += chunk.length;
      }
      await reader.close();
    } catch (error) {
      if (!(await stillListed(store, storeUrl, fragment))) {
        figures.storeFragmentsGone += 1;
        continue;
      }
      ledger.problems.push({
        invariant: "gazette.store-copy-intact",
        details: `audit: store ${name} (sum ${fragment.sum}) does not read back: ${String(error)}`,
      });
      continue;
    }
    figures.storeFragments += 1;
    if (parser.next !== fragment.end || parser.recordEnd !== fragment.end) {
      ledger.problems.push({
        invariant: "gazette.store-copy-intact",
        details: `audit: store ${name} read back as ${parser.next - fragment.begin} bytes, whole records through ${parser.recordEnd}`,
      });
    }
  }
}

/** True while the store still lists `fragment` (retention may delete one between the listing and the read). */
async function stillListed(store: FragmentStoreClient, storeUrl: string, fragment: Fragment): Promise<boolean> {
  try {
    return (await store.list(storeUrl, fragment.journal)).some(
      (listed) => listed.begin === fragment.begin && listed.end === fragment.end && listed.sum === fragment.sum,
    );
  } catch {
    return true;
  }
}

/**
 * Reads `journal` from `broker`'s own replica (DoNotProxy), from the first offset
 * to the write head (OFFSET_NOT_YET_AVAILABLE), which lies on an append's end:
 * a copy that stops inside a record there breaks gazette.whole-records. A broker
 * that holds no replica (NOT_JOURNAL_BROKER) is skipped; another failure is
 * retried from where the copy got to, until FAILURES_IN_A_ROW_MAX fail at one offset.
 */
async function auditReplica(
  env: Env,
  ledger: Ledger,
  { broker, journal, from }: { broker: string; journal: string; from: number },
  { figures, parsers, replicaParsers }: Audit,
): Promise<void> {
  const client: RoutedJournalClient = routedJournalClient(
    journalClientOverRpc(env, () => ({ address: broker, port: BROKER_PORT }), DEADLINES),
    noopRouter,
  );
  const transports = new FragmentTransports();
  transports.register("sim", new FragmentStoreClient(env).transport());
  const parser = new RecordParser(journal, `audit: ${broker}`, from, ledger);
  let failures = 0;
  let failedAt = -1;
  for (let readers = 0; readers < READERS_PER_COPY_MAX; readers++) {
    const outcome = await readCopy(
      new Reader(client, readRequest({ journal, offset: parser.next, block: false, doNotProxy: true }), { transports }),
      parser,
      figures,
    );
    if (outcome === "refused") {
      figures.replicasRefused += 1;
      return;
    }
    if (outcome === "at-write-head") {
      parsers.push(parser);
      replicaParsers.push(parser);
      figures.replicaCopies += 1;
      if (parser.recordEnd !== parser.next) {
        ledger.problems.push({
          invariant: "gazette.whole-records",
          details: `audit: ${broker}'s replica of ${journal} ends at ${parser.next}, inside a record from ${parser.recordEnd}`,
        });
      }
      return;
    }
    if (!(outcome instanceof Error)) continue;
    env.log.warn("audit read failed", { broker, journal, offset: parser.next, error: String(outcome) });
    failures = parser.next === failedAt ? failures + 1 : 1;
    failedAt = parser.next;
    if (failures >= FAILURES_IN_A_ROW_MAX) break;
    await env.clock.sleep(RETRY_MS);
  }
  if (parser.next > from) {
    parsers.push(parser);
    replicaParsers.push(parser);
  }
  figures.unfinished += 1;
}

/**
 * Reads one Reader to its end: the stream ended (a fragment read), the replica's write head, a refusal, or another
 * failure.
 */
async function readCopy(
  reader: Reader,
  parser: RecordParser,
  figures: AuditFigures,
): Promise<"ended" | "at-write-head" | "refused" | Error> {
  try {
    for (let chunk = await readOrJump(reader, parser); chunk !== null; chunk = await readOrJump(reader, parser)) {
      parser.feed(chunk);
      figures.bytes += chunk.length;
    }
    return "ended";
  } catch (error) {
    if (error instanceof ErrOffsetNotYetAvailable) return "at-write-head";
    if (error instanceof ErrNotJournalBroker) return "refused";
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await reader.close();
  }
}

/**
 * Where replica copies of `journal` begin: 0, or the first acknowledged record within `windowBytes` of the acknowledged
 * end (a record boundary).
 */
function replicaStart(ledger: Ledger, journal: string, windowBytes: number | undefined): number {
  const acknowledged = ledger.acknowledged.get(journal) ?? [];
  if (windowBytes === undefined || acknowledged.length === 0) return 0;
  const end = acknowledged.reduce((latest, ack) => Math.max(latest, ack.end), 0);
  return acknowledged.reduce(
    (first, ack) => (ack.offset >= end - windowBytes && ack.offset < first ? ack.offset : first),
    end,
  );
}

/** The Reader's next chunk, following offset jumps (the parser is told). */
async function readOrJump(reader: Reader, parser: RecordParser): Promise<Uint8Array | null> {
  for (;;) {
    try {
      return await reader.read();
    } catch (error) {
      if (!(error instanceof ErrOffsetJump)) throw error;
      parser.jump(error.offset);
    }
  }
}

/** The audit's figures for a run's summary (none before the audit ran). */
export function auditFigures(audit: Audit | undefined): Record<string, number> {
  if (audit === undefined) return {};
  const { figures } = audit;
  return {
    auditStoreFragments: figures.storeFragments,
    auditReplicaCopies: figures.replicaCopies,
    auditReplicasRefused: figures.replicasRefused,
    auditBytes: figures.bytes,
    ...(figures.unfinished > 0 ? { auditUnfinished: figures.unfinished } : {}),
  };
}
