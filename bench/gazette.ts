/**
 * Gazette benchmarks, on the simulator without faults: 3 etcd members, a
 * fragment store, 3 brokers, one journal.
 * - Appends: two writer hosts, each appending BYTES_PER_WRITER in records of
 *   RECORD_BYTES through an AppendService (which batches them, up to
 *   RECORDS_PER_MS records per simulated ms offered, BATCHES_IN_FLIGHT
 *   batches awaited at most): bytes acknowledged per wall second with
 *   replication 3, beside the same workload with replication 1 (the ratio is
 *   what replicating to two peers costs).
 * - Reads: then a RetryReader reads the journal back through the brokers:
 *   bytes per wall second, beside reading the same bytes from a Spool's file on
 *   one simulated host (no network, no broker).
 * Wall time is measured around the work itself (from the first append to the
 * last acknowledgement; from the first read to the last byte), not the
 * cluster's start.
 */
import { Spool } from "../src/impl/gazette/broker/fragment/spool.ts";
import { AppendService, type AsyncAppend } from "../src/impl/gazette/client/append-service.ts";
import { RetryReader } from "../src/impl/gazette/client/retry-reader.ts";
import type { RoutedJournalClient } from "../src/impl/gazette/protocol/journal-client.ts";
import { appendRequest, readRequest } from "../src/impl/gazette/protocol/messages.ts";
import { createSimDisks } from "../src/sim/disk/system.ts";
import type { Env } from "../src/sim/env.ts";
import { standaloneContext } from "../src/sim/runner.ts";
import { World } from "../src/sim/world.ts";
import {
  brokersClient,
  scenarioJournalSpec,
  startGazetteCluster,
  type BrokerHost,
} from "../scenarios/gazette/cluster.ts";
import { wallNow, type BenchSection } from "./lib.ts";

const ETCD = ["etcd-1", "etcd-2", "etcd-3"] as const;
const BROKERS: readonly BrokerHost[] = [
  { host: "broker-1", zone: "zone-a" },
  { host: "broker-2", zone: "zone-a" },
  { host: "broker-3", zone: "zone-b" },
];
const JOURNAL = "bench/journal";
const WRITERS = ["w1", "w2"] as const;
const RECORD_BYTES = 1024;
const BYTES_PER_WRITER = 4 * 1024 * 1024;
const RECORDS_PER_MS = 64;
const BATCHES_IN_FLIGHT = 4;
const READ_CHUNK_BYTES = 64 * 1024;
const BENCH_VIRTUAL_MS_MAX = Number(process.env.GAZETTE_BENCH_VIRTUAL_MS ?? 30_000);

interface Measured {
  appendedBytes: number;
  appendWallMs: number;
  readBytes: number;
  readWallMs: number;
  appendVirtualMs: number;
  end: number;
}

function client(env: Env): RoutedJournalClient {
  return brokersClient(env, BROKERS, { callDeadlineMs: 5_000, readDeadlineMs: 10_000 });
}

/** What the bench's hosts share while it runs. */
interface BenchState {
  applied: boolean;
  writersDone: number;
  firstAppendWall: number;
  lastAckWall: number;
  firstAppendVirtual: number;
  lastAckVirtual: number;
  end: number;
  readDone: boolean;
}

/** A writer: BYTES_PER_WRITER in RECORD_BYTES records through an AppendService, BATCHES_IN_FLIGHT batches at once. */
async function writeRecords(env: Env, state: BenchState, measured: Measured): Promise<void> {
  while (!state.applied) await env.clock.sleep(20);
  const service = new AppendService(env, client(env), { attemptsMax: 50 });
  const record = new Uint8Array(RECORD_BYTES).fill(env.host.charCodeAt(1));
  if (state.firstAppendWall === 0) {
    state.firstAppendWall = wallNow();
    state.firstAppendVirtual = env.clock.monotonic();
  }
  const inFlight: AsyncAppend[] = [];
  for (let written = 0; written < BYTES_PER_WRITER; written += RECORD_BYTES) {
    const append = await service.startAppend(appendRequest({ journal: JOURNAL }));
    await append.writer().write(record);
    await append.release();
    if (inFlight[inFlight.length - 1] !== append) inFlight.push(append);
    if (inFlight.length > BATCHES_IN_FLIGHT) await settle(inFlight.shift() as AsyncAppend, state, measured);
    // A producer offers RECORDS_PER_MS records per simulated ms at most (AppendService batches them).
    if ((written / RECORD_BYTES) % RECORDS_PER_MS === RECORDS_PER_MS - 1) await env.clock.sleep(1);
  }
  for (const append of inFlight) await settle(append, state, measured);
  if (++state.writersDone === WRITERS.length) {
    state.lastAckWall = wallNow();
    state.lastAckVirtual = env.clock.monotonic();
  }
}

/** Waits for a batch's commit and counts its bytes; a failed append fails the bench. */
async function settle(append: AsyncAppend, state: BenchState, measured: Measured): Promise<void> {
  await append.done();
  const error = await append.err();
  if (error !== undefined && error !== null) throw new Error(`bench append failed: ${String(error)}`);
  const commit = append.response()?.commit;
  if (commit !== undefined) {
    measured.appendedBytes += commit.end - commit.begin;
    state.end = Math.max(state.end, commit.end);
  }
}

/** The reader: once every writer is done, reads the journal from 0 to its end through a RetryReader. */
async function readBack(env: Env, state: BenchState, measured: Measured): Promise<void> {
  while (state.writersDone < WRITERS.length) await env.clock.sleep(20);
  const reader = new RetryReader(
    env.clock,
    client(env),
    readRequest({ journal: JOURNAL, offset: 0, block: true, endOffset: state.end }),
    { attemptsMax: 50 },
  );
  const start = wallNow();
  for (;;) {
    const chunk = await reader.read(READ_CHUNK_BYTES);
    if (chunk === null) break;
    measured.readBytes += chunk.length;
  }
  measured.readWallMs = wallNow() - start;
  state.readDone = true;
}

async function runBench(replication: number, measured: Measured): Promise<void> {
  const state: BenchState = {
    applied: false,
    writersDone: 0,
    firstAppendWall: 0,
    lastAckWall: 0,
    firstAppendVirtual: 0,
    lastAckVirtual: 0,
    end: 0,
    readDone: false,
  };
  const world = new World({ seed: 1, disks: createSimDisks() });
  const context = standaloneContext(world, 1);
  const cluster = startGazetteCluster(context, {
    etcd: ETCD,
    brokers: BROKERS,
    store: "fragments",
    broker: { leaseTtlSeconds: 10 },
  });
  world.addHost("admin", (env) => applyJournal(env, cluster.storeUrl, replication, state)).start();
  for (const writer of WRITERS) world.addHost(writer, (env) => writeRecords(env, state, measured)).start();
  world.addHost("reader", (env) => readBack(env, state, measured)).start();
  await world.scheduler.run({ untilTime: BENCH_VIRTUAL_MS_MAX, maxEvents: 5_000_000, predicate: () => state.readDone });
  if (!state.readDone)
    throw new Error(`gazette bench (replication ${replication}) did not finish: ${JSON.stringify(state)}`);
  const problems = [
    ...world.violations.map((violation) => violation.details),
    ...world.uncaughtProcessErrors.map(({ host, error }) => `${host}: ${String(error)}`),
  ];
  if (problems.length > 0) throw new Error(`gazette bench (replication ${replication}): ${problems.join("; ")}`);
  measured.appendWallMs = state.lastAckWall - state.firstAppendWall;
  measured.appendVirtualMs = state.lastAckVirtual - state.firstAppendVirtual;
  measured.end = state.end;
}

/** Reads `bytes` back from a Spool's file on one simulated host, in READ_CHUNK_BYTES reads: bytes per wall second. */
async function spoolReadBytesPerSecond(bytes: number): Promise<number> {
  const world = new World({ seed: 1, disks: createSimDisks() });
  const outcome: { wallMs?: number; error?: unknown } = {};
  world
    .addHost("spooler", async (env) => {
      try {
        const spool = new Spool({
          journal: JOURNAL,
          disk: env.disk,
          hash: env.hash,
          directory: "/spool",
          fileNamePrefix: "bench",
          now: () => env.clock.now(),
        });
        const chunk = new Uint8Array(RECORD_BYTES).fill(7);
        for (let written = 0; written < bytes; written += chunk.length) {
          await spool.apply(
            { journal: JOURNAL, pipeline: "bench", content: chunk, contentDelta: spool.delta, acknowledge: false },
            true,
          );
          if (spool.delta >= READ_CHUNK_BYTES)
            await spool.apply(
              {
                journal: JOURNAL,
                pipeline: "bench",
                proposal: spool.next(),
                registers: spool.registers,
                contentDelta: 0,
                acknowledge: false,
              },
              true,
            );
        }
        await spool.apply(
          {
            journal: JOURNAL,
            pipeline: "bench",
            proposal: spool.next(),
            registers: spool.registers,
            contentDelta: 0,
            acknowledge: false,
          },
          true,
        );
        const local = spool.local;
        if (local === undefined) throw new Error("no spool content");
        const start = wallNow();
        for (let offset = spool.fragment.begin; offset < spool.fragment.end; ) {
          const read = await local.read(offset, Math.min(READ_CHUNK_BYTES, spool.fragment.end - offset));
          offset += read.length;
        }
        outcome.wallMs = wallNow() - start;
      } catch (error) {
        outcome.error = error;
      }
    })
    .start();
  await world.scheduler.run({
    untilTime: 600_000,
    predicate: () => outcome.wallMs !== undefined || outcome.error !== undefined,
  });
  if (outcome.wallMs === undefined) throw new Error(`spool read baseline failed: ${String(outcome.error)}`);
  return bytes / (Math.max(outcome.wallMs, 0.001) / 1000);
}

export async function benchGazette(): Promise<BenchSection> {
  const replicated: Measured = {
    appendedBytes: 0,
    appendWallMs: 0,
    readBytes: 0,
    readWallMs: 0,
    appendVirtualMs: 0,
    end: 0,
  };
  await runBench(3, replicated);
  const single: Measured = {
    appendedBytes: 0,
    appendWallMs: 0,
    readBytes: 0,
    readWallMs: 0,
    appendVirtualMs: 0,
    end: 0,
  };
  await runBench(1, single);
  const perSecond = (bytes: number, wallMs: number) => bytes / (Math.max(wallMs, 0.001) / 1000);
  const mib = 1024 * 1024;
  return {
    title: "Gazette (3 brokers, etcd, fragment store; no faults)",
    rows: [
      {
        name: "AppendService, replication 3: bytes acknowledged per wall second",
        value: perSecond(replicated.appendedBytes, replicated.appendWallMs) / mib,
        unit: "MiB/s",
        baseline: perSecond(single.appendedBytes, single.appendWallMs) / mib,
        baselineName: "same workload, replication 1",
      },
      {
        name: "RetryReader through the brokers: bytes read per wall second",
        value: perSecond(replicated.readBytes, replicated.readWallMs) / mib,
        unit: "MiB/s",
        baseline: (await spoolReadBytesPerSecond(replicated.readBytes)) / mib,
        baselineName: "SpoolContent.read on one host, no network",
      },
      {
        name: "replication 3 appends: simulated seconds per wall second",
        value: replicated.appendVirtualMs / replicated.appendWallMs,
        unit: "sim s/s",
      },
    ],
    notes: [
      `${WRITERS.length} writers x ${BYTES_PER_WRITER / mib} MiB in ${RECORD_BYTES} B records through AppendService (batched); replication 3 acknowledged ${(replicated.appendedBytes / mib).toFixed(1)} MiB in ${(replicated.appendVirtualMs / 1000).toFixed(2)} simulated s; 64 KiB fragments; the reader read ${(replicated.readBytes / mib).toFixed(1)} MiB back.`,
    ],
  };
}

/** Creates the bench's journal (retrying until the brokers serve), then sets `state.applied`. */
async function applyJournal(
  env: Env,
  storeUrl: string,
  replication: number,
  state: { applied: boolean },
): Promise<void> {
  const admin = client(env);
  for (let attempt = 0; attempt < 1_000 && !state.applied; attempt++) {
    try {
      const response = await admin.apply({
        changes: [
          { expectModRevision: -1, upsert: scenarioJournalSpec(JOURNAL, storeUrl, { replication, length: 64 * 1024 }) },
        ],
      });
      state.applied = response.status === "OK";
    } catch {
      // Not serving yet.
    }
    if (!state.applied) await env.clock.sleep(100);
  }
}
