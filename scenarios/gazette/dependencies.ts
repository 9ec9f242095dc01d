/**
 * Writers whose appends depend on one another through an AppendService, and
 * the check of what Gazette promises about dependencies (append_service.go,
 * src/impl/gazette/client/append-service.ts).
 *
 * A writer appends pairs of records (scenarios/gazette/records.ts) through one
 * AppendService, without waiting for either: the first to its `first` journal,
 * the second to its `second` journal with the first's AsyncAppend as its
 * dependency. It appends pairs in bursts, up to INFLIGHT_RECORDS_MAX records
 * unresolved at once, so the service batches records and chains AsyncAppends.
 * Once, at pair `poisonAt`, the second depends instead on an append to a
 * read-only journal, which brokers refuse (NOT_ALLOWED, not retried): that
 * dependency fails, and so, permanently, does the writer's `second` journal in
 * that service. A failure the workload did not ask for (any but a failed
 * dependency or the read-only journal's refusal) makes the writer drain what
 * is in flight and start a new AppendService, as an application would (after
 * a reset-head, as an operator would, when brokers refuse with
 * INDEX_HAS_GREATER_OFFSET). Each record's append is traced as a client
 * operation (scenarios/harness/client-operations.ts), completed as its AsyncAppend resolves.
 *
 * gazette.append-dependencies, checked on each AsyncAppend as it resolves:
 * - a record is acknowledged only if each of its dependencies resolved before
 *   it, successfully (the service waits for dependencies before it appends);
 * - a failure is terminal for its journal in its service: no record of that
 *   journal started later in the same service is acknowledged;
 * and at the end: no reader read a record whose append certainly failed (a
 * failed dependency, NOT_ALLOWED, or the journal's kept error: never sent).
 * gazette.read-only: no append to a read-only journal is acknowledged.
 */
import type { AppendService, AsyncAppend } from "../../src/impl/gazette/client/append-service.ts";
import { ErrDependencyFailed, StatusError } from "../../src/impl/gazette/client/errors.ts";
import { OpFutures } from "../../src/impl/gazette/client/op-future.ts";
import type { RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import { appendRequest } from "../../src/impl/gazette/protocol/messages.ts";
import type { Env } from "../../src/sim/env.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";
import { invokeOperation, type TracedOperation } from "../harness/client-operations.ts";
import { encodeRecord, recordName, type RecordParser } from "./records.ts";
import { isIndexHasGreaterOffset } from "./operator.ts";
import { resetHead, type JournalWorkload } from "./workload.ts";
import { appendServiceOf, type AppendServiceFactory } from "./variants/client.ts";

/** Records appended but not yet resolved, per writer, at most. */
const INFLIGHT_RECORDS_MAX = 6;
const RECORD_BYTES_MAX = 300;
/** Attempts per batch (Gazette's AppendService retries for ever; a run ends long before 100 attempts). */
const ATTEMPTS_MAX = 100;
const PAIRS_MAX = 100_000;
/** Pairs a writer appends back to back at most, and the chance that a burst goes on after each. */
const BURST_PAIRS_MAX = 4;
const BURST_GOES_ON_PROBABILITY = 0.6;
/** The writer's pause after a burst (ms), drawn uniformly. */
const PAIR_PAUSE_MS_MIN = 40;
const PAIR_PAUSE_MS_MAX = 120;

export interface WriterRole {
  readonly host: string;
  readonly first: string;
  readonly second: string;
  /** The read-only journal whose append the `poisonAt` pair's second depends on. */
  readonly readOnly: string;
  /** The pair whose second record depends on an append to `readOnly` (none if undefined). */
  readonly poisonAt?: number;
}

interface RecordEntry {
  readonly name: string;
  readonly writer: string;
  readonly journal: string;
  readonly bytes: number;
  readonly dependencies: readonly AsyncAppend[];
  /** The writer's AppendService it went through (0, 1, ...). */
  readonly service: number;
  /** Its append as a traced client operation, completed when its AsyncAppend resolves. */
  readonly traced: TracedOperation;
}

/** One writer's acknowledgements per journal (virtual time of the last). */
export type AckTimes = Map<string, number>;

/** What the writers' AsyncAppends did, and the checks on it (see the file comment). */
export class DependencyLedger {
  private readonly batches = new Map<AsyncAppend, RecordEntry[]>();
  /** Resolution order of AsyncAppends. */
  private readonly resolved = new Map<AsyncAppend, number>();
  /** writer/service/journal → the first record that failed there. */
  private readonly firstFailure = new Map<string, string>();
  /** writer/service/journal → the errors seen there (a repeated one was kept, never sent). */
  private readonly errorsSeen = new Map<string, Set<unknown>>();
  /** Records whose append certainly failed → why. */
  readonly failed = new Map<string, string>();
  /** writer → journal → when last acknowledged. */
  readonly acknowledgedAt = new Map<string, AckTimes>();
  /** writer → the latest failure the workload did not ask for. */
  readonly unexpectedFailure = new Map<
    string,
    { readonly service: number; readonly journal: string; readonly error: unknown }
  >();
  /** Unexpected failures by status or error name (for the summary). */
  readonly unexpectedByName: Record<string, number> = {};
  readonly counts = {
    records: 0,
    batches: 0,
    dependencyFailures: 0,
    certainFailures: 0,
    unexpectedFailures: 0,
    services: 0,
  };

  constructor(
    private readonly context: ScenarioContext,
    private readonly workload: JournalWorkload,
    private readonly readOnly: ReadonlySet<string>,
  ) {}

  /** Tracks `entry`, just released into `append` (the same AsyncAppend again when batched). */
  track(append: AsyncAppend, entry: RecordEntry): void {
    let batch = this.batches.get(append);
    if (batch === undefined) {
      const records: RecordEntry[] = [];
      this.batches.set(append, (batch = records));
      // Registered before the AsyncAppend can resolve: callbacks run in resolution order.
      void append.done().then(() => this.settle(append, records));
    }
    batch.push(entry);
    this.counts.records++;
  }

  private problem(invariant: string, details: string): void {
    this.workload.ledger.problems.push({ invariant, details });
  }

  private settle(append: AsyncAppend, records: readonly RecordEntry[]): void {
    this.resolved.set(append, this.resolved.size);
    this.counts.batches++;
    const error: unknown = append.op.errNow();
    if (error === undefined || error === null) this.acknowledged(append, records);
    else this.failedBatch(records, error);
  }

  private acknowledged(append: AsyncAppend, records: readonly RecordEntry[]): void {
    const total = records.reduce((sum, record) => sum + record.bytes, 0);
    const commit = append.response()?.commit;
    const first = records[0] as RecordEntry;
    if (commit === undefined || commit.end - commit.begin !== total) {
      for (const record of records) record.traced.ok({ begin: commit?.begin, end: commit?.end });
      this.problem(
        "gazette.whole-records",
        `${records.map((record) => record.name).join(",")} acknowledged as ${JSON.stringify(commit)} for ${total} bytes`,
      );
      return;
    }
    let offset = commit.begin;
    for (const record of records) {
      record.traced.ok({ begin: offset, end: offset + record.bytes });
      this.checkAcknowledged(record);
      this.workload.ledger.acknowledge({
        journal: record.journal,
        offset,
        end: offset + record.bytes,
        record: record.name,
        by: `${record.writer} (acknowledged)`,
      });
      offset += record.bytes;
    }
    const now = this.context.world.now;
    this.workload.counts.acknowledged += records.length;
    this.workload.lastAckAt.set(first.writer, now);
    let times = this.acknowledgedAt.get(first.writer);
    if (times === undefined) this.acknowledgedAt.set(first.writer, (times = new Map()));
    times.set(first.journal, now);
  }

  private checkAcknowledged(record: RecordEntry): void {
    for (const dependency of record.dependencies) {
      const name = this.batches.get(dependency)?.[0]?.name ?? "?";
      if (!this.resolved.has(dependency)) {
        this.problem(
          "gazette.append-dependencies",
          `${record.name} on ${record.journal} acknowledged before its dependency (the AsyncAppend of ${name}) resolved`,
        );
      } else {
        const failure: unknown = dependency.op.errNow();
        if (failure !== undefined && failure !== null)
          this.problem(
            "gazette.append-dependencies",
            `${record.name} on ${record.journal} acknowledged though its dependency (the AsyncAppend of ${name}) failed: ${String(failure)}`,
          );
      }
    }
    const failedBefore = this.firstFailure.get(keyOf(record));
    if (failedBefore !== undefined)
      this.problem(
        "gazette.append-dependencies",
        `${record.name} on ${record.journal} acknowledged after ${failedBefore} failed earlier in the same AppendService (a failure is terminal for its journal)`,
      );
    if (this.readOnly.has(record.journal))
      this.problem("gazette.read-only", `${record.name} acknowledged by the read-only journal ${record.journal}`);
  }

  private failedBatch(records: readonly RecordEntry[], error: unknown): void {
    const first = records[0] as RecordEntry;
    const key = keyOf(first);
    let seen = this.errorsSeen.get(key);
    if (seen === undefined) this.errorsSeen.set(key, (seen = new Set()));
    const dependencyFailed = error instanceof ErrDependencyFailed;
    const repeated = seen.has(error);
    const certain = dependencyFailed || (error instanceof StatusError && error.status === "NOT_ALLOWED") || repeated;
    seen.add(error);
    if (!this.firstFailure.has(key)) this.firstFailure.set(key, first.name);
    for (const record of records) {
      if (certain) this.failed.set(record.name, String(error));
      record.traced.failedWith(error, !certain);
    }
    this.workload.counts.failed += records.length;
    if (dependencyFailed) this.counts.dependencyFailures += records.length;
    if (certain) this.counts.certainFailures += records.length;
    if (!dependencyFailed && !this.readOnly.has(first.journal) && !repeated) {
      const name = error instanceof StatusError ? error.status : error instanceof Error ? error.name : "unknown";
      this.unexpectedByName[name] = (this.unexpectedByName[name] ?? 0) + 1;
      this.counts.unexpectedFailures++;
      this.unexpectedFailure.set(first.writer, { service: first.service, journal: first.journal, error });
    }
  }

  /** Final check: no reader read a record whose append certainly failed. */
  checkFailedUnread(parsers: readonly RecordParser[]): void {
    for (const parser of parsers) {
      for (const observation of parser.records) {
        const why = this.failed.get(observation.record);
        if (why === undefined) continue;
        this.context.world.violate({
          invariant: "gazette.append-dependencies",
          kind: "safety",
          host: parser.reader,
          details: `${parser.reader} read ${observation.record} at ${observation.offset} of ${parser.journal}, whose append failed (${why})`,
        });
        return;
      }
      if (this.readOnly.has(parser.journal) && parser.records.length > 0) {
        this.context.world.violate({
          invariant: "gazette.read-only",
          kind: "safety",
          host: parser.reader,
          details: `${parser.reader} read ${parser.records.length} records of the read-only ${parser.journal}`,
        });
      }
    }
  }
}

function keyOf(record: RecordEntry): string {
  return `${record.writer}/${record.service}/${record.journal}`;
}

interface WriterState {
  service: AppendService;
  serviceNumber: number;
  seq: number;
  readonly inflight: Array<Promise<void>>;
}

/** A dependent writer (see the file comment) until the run ends. */
export async function dependentWriteLoop(
  env: Env,
  workload: JournalWorkload,
  ledger: DependencyLedger,
  role: WriterRole,
  client: () => RoutedJournalClient,
  appendService: AppendServiceFactory = appendServiceOf(undefined),
): Promise<void> {
  while (!workload.applied) await env.clock.sleep(50);
  const newService = () => appendService(env, client(), { attemptsMax: ATTEMPTS_MAX });
  const writer: WriterState = { service: newService(), serviceNumber: 0, seq: 0, inflight: [] };
  ledger.counts.services++;
  for (let pair = 0, burst = 0; pair < PAIRS_MAX; pair++) {
    const first = await appendRecord(env, writer, ledger, role.first, []);
    let dependency = first;
    if (pair === role.poisonAt) {
      dependency = await appendRecord(env, writer, ledger, role.readOnly, []);
      env.trace("gazette.scenario.dependency-on-read-only", { writer: env.host, pair });
    }
    await appendRecord(env, writer, ledger, role.second, [dependency]);
    while (writer.inflight.length > INFLIGHT_RECORDS_MAX) await writer.inflight.shift();
    const failure = ledger.unexpectedFailure.get(env.host);
    if (failure?.service === writer.serviceNumber) {
      // Drain first: records of two services in flight at once could land out of the writer's order.
      while (writer.inflight.length > 0) await writer.inflight.shift();
      // Consistency was lost (every replica lost its spool): do what an operator does.
      if (isIndexHasGreaterOffset(failure.error)) await resetHead(env, failure.journal, workload, client);
      ledger.acknowledgedAt.delete(env.host); // What the new service's client learns starts now.
      writer.service = newService();
      writer.serviceNumber++;
      ledger.counts.services++;
      await env.clock.sleep(100);
    }
    // Pairs in a burst find the previous pair's appends still queued: the service batches and chains.
    if (++burst < BURST_PAIRS_MAX && env.random.bool(BURST_GOES_ON_PROBABILITY)) continue;
    burst = 0;
    await env.clock.sleep(env.random.int(PAIR_PAUSE_MS_MIN, PAIR_PAUSE_MS_MAX));
  }
}

async function appendRecord(
  env: Env,
  writer: WriterState,
  ledger: DependencyLedger,
  journal: string,
  dependencies: readonly AsyncAppend[],
): Promise<AsyncAppend> {
  const id = { writer: env.host, seq: writer.seq++ };
  const record = encodeRecord(id, env.random.int(0, RECORD_BYTES_MAX));
  const name = recordName(id);
  const traced = invokeOperation(env, "append", {
    journal,
    record: name,
    bytes: record.length,
    dependencies: dependencies.length,
  });
  const append = await writer.service.startAppend(appendRequest({ journal }), new OpFutures(dependencies));
  await append.writer().write(record);
  await append.release();
  ledger.track(append, {
    name,
    writer: env.host,
    journal,
    bytes: record.length,
    dependencies,
    service: writer.serviceNumber,
    traced,
  });
  writer.inflight.push(append.done());
  return append;
}
