/**
 * The clients of the Gazette scenarios: the admin that applies journal specs,
 * writers that append records (scenarios/gazette/records.ts) through an
 * AppendService and report acknowledgements to the ledger, and readers that
 * parse a journal through blocking RetryReaders, following offset jumps. Each
 * apply, append, reset-head and read is traced as a client operation
 * (scenarios/harness/client-operations.ts); a read is a reader's stretch from one offset
 * to its end, its failure, or an offset jump.
 */
import type { AsyncAppend } from "../../src/impl/gazette/client/append-service.ts";
import { ErrOffsetJump } from "../../src/impl/gazette/client/errors.ts";
import { FragmentTransports } from "../../src/impl/gazette/client/fragment-transport.ts";
import { FragmentStoreClient } from "../../src/impl/gazette/broker/fragment/store-client.ts";
import type { RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import type { JournalSpec } from "../../src/impl/gazette/protocol/journal-spec.ts";
import { appendRequest, readRequest } from "../../src/impl/gazette/protocol/messages.ts";
import type { Env } from "../../src/sim/env.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";
import { invokeOperation, type TracedOperation } from "../harness/client-operations.ts";
import { isIndexHasGreaterOffset, resetJournalHead } from "./operator.ts";
import { encodeRecord, Ledger, RecordParser } from "./records.ts";
import {
  appendServiceOf,
  retryReaderOf,
  type AppendServiceFactory,
  type RetryReaderFactory,
} from "./variants/client.ts";

export interface JournalWorkload {
  readonly ledger: Ledger;
  readonly parsers: RecordParser[];
  readonly lastAckAt: Map<string, number>;
  /** When each journal last had an append acknowledged (virtual time). */
  readonly journalAckAt: Map<string, number>;
  readonly counts: {
    acknowledged: number;
    failed: number;
    aborted: number;
    jumps: number;
    readerRestarts: number;
    resetHeads: number;
  };
  /** Journals whose head the operator set about resetting (every replica had lost its spool). */
  readonly resetJournals: Set<string>;
  applied: boolean;
}

export function newJournalWorkload(): JournalWorkload {
  return {
    ledger: new Ledger(),
    parsers: [],
    lastAckAt: new Map(),
    journalAckAt: new Map(),
    counts: { acknowledged: 0, failed: 0, aborted: 0, jumps: 0, readerRestarts: 0, resetHeads: 0 },
    resetJournals: new Set(),
    applied: false,
  };
}

/** True once every one of `journals` had an append acknowledged at or after `since`. */
export function everyJournalAcknowledged(
  workload: JournalWorkload,
  journals: readonly string[],
  since: number,
): boolean {
  return journals.every((journal) => (workload.journalAckAt.get(journal) ?? -1) >= since);
}

/**
 * gazette.no-jump-without-retention (final): a journal whose fragments nothing
 * deletes (no retention) has no offset a reader must skip, so no reader of it
 * takes an offset jump, unless the operator reset its head (every replica had
 * lost its spool, and the store some of its content). The audit's reads of each
 * replica are held to it too, from the point they had read something: a replica
 * whose index has not yet listed a fragment another broker persisted must wait
 * for its listing (Gazette skips a gap only once the next fragment is 6 hours old),
 * never jump over it. (A replica's read that jumps at its very start, to the first
 * fragment the replica knows, is not judged: the first-fragment rule allows it.)
 */
export function checkNoJumps(
  context: ScenarioContext,
  workload: JournalWorkload,
  auditReplicas: readonly RecordParser[] = [],
): void {
  const jumps = [
    ...workload.parsers.map((parser) => ({ parser, jump: parser.jumps[0] })),
    ...auditReplicas.map((parser) => ({ parser, jump: parser.jumps.find((jump) => jump.from > parser.start) })),
  ];
  for (const { parser, jump } of jumps) {
    if (jump === undefined || workload.resetJournals.has(parser.journal)) continue;
    const at = jump.atMs === undefined ? "" : ` at ${jump.atMs} ms`;
    context.world.violate({
      invariant: "gazette.no-jump-without-retention",
      kind: "safety",
      host: parser.reader,
      details: `${parser.reader} jumped from ${jump.from} to ${jump.to} in ${parser.journal}${at}, which has no retention and whose head was never reset`,
    });
  }
}

/** The greatest end of an acknowledged append to `journal`. */
export function acknowledgedEnd(ledger: Ledger, journal: string): number {
  return (ledger.acknowledged.get(journal) ?? []).reduce((end, ack) => Math.max(end, ack.end), 0);
}

/** Applies `specs` (creating the journals), retrying until a broker accepts; then marks the workload applied. */
export async function applySpecs(
  env: Env,
  client: RoutedJournalClient,
  specs: readonly JournalSpec[],
  workload: JournalWorkload,
): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const traced = invokeOperation(env, "apply", { journals: specs.length });
    try {
      const response = await client.apply({ changes: specs.map((spec) => ({ expectModRevision: -1, upsert: spec })) });
      if (response.status === "OK") {
        traced.ok();
        workload.applied = true;
        return;
      }
      traced.fail({ status: response.status });
    } catch (error) {
      // A broker down or not yet serving: try another. The apply may have reached etcd.
      traced.failedWith(error, true);
    }
    await env.clock.sleep(100);
  }
}

export interface WriteLoopOptions {
  /** Record payloads have up to this many bytes (default 600). */
  readonly recordBytesMax?: number;
  /**
   * The share of appends the application aborts after writing part of the
   * record (Require with an error): Release rolls them back, so no reader may
   * see a byte of them (default 0).
   */
  readonly abortedShare?: number;
  /**
   * Builds the writer's AppendServices (a broken one for a client variant, variants/client.ts); default the real one.
   */
  readonly appendService?: AppendServiceFactory;
}

/**
 * A writer: appends one record at a time to a random journal of `journals`
 * through an AppendService, and reports each acknowledgement to the ledger.
 * A failed append ends that AppendService (its journal's failure is terminal
 * there): the writer starts a new one; on INDEX_HAS_GREATER_OFFSET it first does
 * what an operator does (reset-head).
 */
export async function writeLoop(
  env: Env,
  context: ScenarioContext,
  workload: JournalWorkload,
  journals: readonly string[],
  client: () => RoutedJournalClient,
  options: WriteLoopOptions = {},
): Promise<void> {
  while (!workload.applied) await env.clock.sleep(50);
  const newService = () => (options.appendService ?? appendServiceOf(undefined))(env, client(), { attemptsMax: 20 });
  const aborts = env.random.fork("aborts");
  let service = newService();
  for (let seq = 0; seq < 100_000; seq++) {
    const journal = env.random.pick(journals);
    const record = encodeRecord({ writer: env.host, seq }, env.random.int(0, options.recordBytesMax ?? 600));
    const traced = invokeOperation(env, "append", { journal, record: `${env.host}:${seq}`, bytes: record.length });
    const append = await service.startAppend(appendRequest({ journal }));
    if (aborts.bool(options.abortedShare ?? 0)) {
      const rolledBack = await abortAppend(append, record, aborts.int(1, record.length - 1));
      traced.complete(rolledBack ? "fail" : "info", { reason: "aborted by the application" });
      workload.counts.aborted++;
      continue;
    }
    await append.writer().write(record);
    await append.release();
    await append.done();
    const error = await append.err();
    const commit = append.response()?.commit;
    if (error === undefined || error === null) {
      traced.ok({ begin: commit?.begin, end: commit?.end });
      if (commit !== undefined && commit.end - commit.begin === record.length) {
        workload.ledger.acknowledge({
          journal,
          offset: commit.begin,
          end: commit.end,
          record: `${env.host}:${seq}`,
          by: `${env.host} (acknowledged)`,
        });
        workload.counts.acknowledged++;
        workload.lastAckAt.set(env.host, context.world.now);
        workload.journalAckAt.set(journal, context.world.now);
      } else {
        workload.ledger.problems.push({
          invariant: "gazette.whole-records",
          details: `${env.host}:${seq} acknowledged as ${JSON.stringify(commit)} for ${record.length} bytes`,
        });
      }
    } else {
      // An AppendService retries: an earlier attempt may have committed, so the outcome is unknown.
      traced.failedWith(error, true);
      workload.counts.failed++;
      // Consistency was lost (every replica lost its spool): do what an operator does.
      if (isIndexHasGreaterOffset(error)) await resetHead(env, journal, workload, client);
      service = newService();
      await env.clock.sleep(100);
    }
    await env.clock.sleep(env.random.int(0, 30));
  }
}

/**
 * Writes the first `written` bytes of `record`, then gives up on the append as an
 * application does (Require with an error): Release must roll it back and
 * return that error. Should it not (a broken AppendService), the bytes go to
 * the journal, where readers find a torn record (gazette.whole-records).
 * Whether it rolled back, as the application saw it.
 */
async function abortAppend(append: AsyncAppend, record: Uint8Array, written: number): Promise<boolean> {
  await append.writer().write(record.subarray(0, written));
  append.require(new Error("the application gave up on this append"));
  try {
    await append.release();
  } catch {
    return true; // Rolled back, as it must be.
  }
  await append.done();
  return false;
}

/** gazctl journals reset-head (scenarios/gazette/operator.ts), tried a few times. */
export async function resetHead(
  env: Env,
  journal: string,
  workload: JournalWorkload,
  client: () => RoutedJournalClient,
): Promise<void> {
  workload.resetJournals.add(journal);
  for (let attempt = 0; attempt < 5; attempt++) {
    const traced = invokeOperation(env, "reset-head", { journal });
    try {
      traced.ok({ head: await resetJournalHead(client(), journal) });
      env.probe("gazette.scenario.reset-head");
      workload.counts.resetHeads++;
      return;
    } catch (error) {
      traced.failedWith(error, true);
      env.log.warn("reset-head failed (will retry)", { journal, error: String(error) });
      await env.clock.sleep(200);
    }
  }
}

export interface ReadJournalOptions {
  readonly doNotProxy: boolean;
  /** Virtual time, recorded with each offset jump. */
  readonly nowMs: () => number;
  /** Checked after each chunk: true ends the read (default: read for ever). */
  readonly done?: () => boolean;
  /** Builds the RetryReaders (a broken one for a client variant, variants/client.ts); default the real one. */
  readonly retryReader?: RetryReaderFactory;
}

/**
 * Reads `parser`'s journal from `parser.next` with blocking RetryReaders,
 * feeding the parser and telling it of offset jumps; a reader that fails is
 * replaced by a new one at the parser's offset after 100 ms.
 */
export async function readJournal(
  env: Env,
  client: RoutedJournalClient,
  parser: RecordParser,
  workload: JournalWorkload,
  options: ReadJournalOptions,
): Promise<void> {
  const transports = new FragmentTransports();
  transports.register("sim", new FragmentStoreClient(env).transport());
  for (let restart = 0; restart < 10_000; restart++) {
    const reader = (options.retryReader ?? retryReaderOf({}))(
      env.clock,
      client,
      readRequest({ journal: parser.journal, offset: parser.next, block: true, doNotProxy: options.doNotProxy }),
      { transports, attemptsMax: 50 },
    );
    const read = new TracedRead(env, parser);
    try {
      for (;;) {
        let chunk: Uint8Array | null;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!(error instanceof ErrOffsetJump)) throw error;
          workload.counts.jumps++;
          read.jumped(error.offset);
          parser.jump(error.offset, options.nowMs(), error.requestedOffset);
          continue;
        }
        if (chunk === null) break;
        if (chunk.length > 0) parser.feed(chunk);
        parser.readerAt(reader.offset());
        if (options.done?.() === true) {
          read.end();
          reader.cancel();
          return;
        }
      }
      read.end();
    } catch (error) {
      read.failed(error);
      workload.counts.readerRestarts++;
    }
    reader.cancel();
    await env.clock.sleep(100);
  }
}

/**
 * A reader's reads as traced operations: each from an offset to the reader's end, its failure, or an offset jump (then
 * a new one begins).
 */
class TracedRead {
  private operation: TracedOperation;
  private from: number;

  constructor(
    private readonly env: Env,
    private readonly parser: RecordParser,
  ) {
    this.from = parser.next;
    this.operation = this.invoke();
  }

  /** The broker jumped the reader to `offset`: this read ends there, the next begins. */
  jumped(offset: number): void {
    this.operation.ok({ bytes: this.parser.next - this.from, jump: offset });
    this.from = offset;
    this.operation = this.invoke();
  }

  end(): void {
    this.operation.ok({ bytes: this.parser.next - this.from });
  }

  /** A read has no effect: whatever the error, it certainly did nothing. */
  failed(error: unknown): void {
    this.operation.failedWith(error, false);
  }

  private invoke(): TracedOperation {
    return invokeOperation(this.env, "read", { journal: this.parser.journal, offset: this.from });
  }
}

/** A reader host: the journal it reads from offset 0, and whether it reads fragments from the store itself. */
export interface ReaderHost {
  readonly host: string;
  readonly journal: string;
  readonly doNotProxy: boolean;
}

/**
 * Starts a host per reader, reading its journal (readJournal) once the specs are applied; their parsers join the
 * workload's.
 */
export function startReaders(
  context: ScenarioContext,
  workload: JournalWorkload,
  readers: readonly ReaderHost[],
  client: (env: Env) => RoutedJournalClient,
  retryReader?: RetryReaderFactory,
): void {
  for (const reader of readers) {
    const parser = new RecordParser(reader.journal, reader.host, 0, workload.ledger);
    workload.parsers.push(parser);
    context.world
      .addHost(reader.host, async (env) => {
        while (!workload.applied) await env.clock.sleep(50);
        await readJournal(env, client(env), parser, workload, {
          doNotProxy: reader.doNotProxy,
          nowMs: () => context.world.now,
          retryReader,
        });
      })
      .start();
  }
}
