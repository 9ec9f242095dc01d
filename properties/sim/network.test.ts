/**
 * Network properties (src/sim/net/links.ts, stream.ts, network.ts, faults/apply.ts).
 *
 * Invariants, one sentence each:
 * - No datagram crosses a link that is blocked at its delivery, and no stream byte is delivered while either direction of its link is cut.
 * - After every fault is healed, datagrams and streams between every pair of hosts are delivered again.
 * - A stream reader sees an exact prefix of what was written, in order, then either all of it and end-of-stream after a close, or a reset: never a gap, a duplicate, a reorder or a stall.
 * - Without link-quality faults, a datagram is never lost (unless a partition or a down receiver drops it) nor duplicated.
 * - Without link-quality faults, datagrams on one link arrive in the order they were sent.
 * - A dial to a down host or a closed port fails with ECONNREFUSED, quickly.
 * - A dial across a partition (either direction) fails with ETIMEDOUT after exactly its host-local timeout.
 * - A dial whose SYN a partition lost connects at the first SYN retransmission (1 s, then doubling) after the heal, well before its timeout.
 * - When one side of a connection crashes, the other side's pending and later operations fail with ECONNRESET.
 *
 * Link state is modelled independently from the trace's fault records
 * (_support/trace-models.ts), never read back from the Links under test. Each property
 * is a function of the world factory and runs both on the shipping world and on broken
 * ones (_fixtures/kernel-networks.ts), which it must catch.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { NetError, type Connection, type Env, type Listener } from "../../src/sim/env.ts";
import { faultPlanArbitrary } from "../../src/sim/faults/arbitrary.ts";
import { applyPlan } from "../../src/sim/faults/apply.ts";
import { FAULT_PLAN_VERSION, type FaultEvent, type FaultPlan } from "../../src/sim/faults/plan.ts";
import type { SwarmKind } from "../../src/sim/faults/swarm.ts";
import type { World } from "../../src/sim/world.ts";
import {
  crashKeepsConnectionsWorld,
  downHostsLookPartitionedWorld,
  duplicatingLinksWorld,
  healIgnoringWorld,
  lossyLinksWorld,
  noSynRetransmitWorld,
  partitionBlindWorld,
  reorderingDatagramsWorld,
  reorderingStreamsWorld,
} from "./_fixtures/kernel-networks.ts";
import { ByteLog, firstMismatch, patternBytes } from "./_support/byte-pattern.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import { describeRecord, LinkModel, recordsOf } from "./_support/trace-models.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

const HOSTS = ["a", "b", "c"] as const;
type HostName = (typeof HOSTS)[number];
const STREAM_PORT = 7;
const DATAGRAM_PORT = 9;
const HEADER_BYTES = 4;
/** Runaway guard: a run of these workloads takes a few thousand events. */
const EVENTS_MAX = 50_000;

// ---------------------------------------------------------------------------
// The workload: timed datagrams and streams between random pairs, under a fault plan

interface StreamSpec {
  atMs: number;
  from: HostName;
  to: HostName;
  chunks: Array<{ bytes: number; gapMs: number }>;
  /** Reset the connection after the last chunk instead of closing it. */
  abort: boolean;
}

interface DatagramSpec {
  atMs: number;
  from: HostName;
  to: HostName;
}

interface NetworkWorkload {
  seed: number;
  plan: FaultPlan;
  streams: StreamSpec[];
  datagrams: DatagramSpec[];
}

const hostPair = fc
  .tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS))
  .filter(([from, to]) => from !== to);

const streamSpecArbitrary: fc.Arbitrary<StreamSpec> = fc
  .record({
    atMs: fc.integer({ min: 0, max: 1500 }),
    pair: hostPair,
    chunks: fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 3000 }), gapMs: fc.integer({ min: 0, max: 50 }) }), { minLength: 1, maxLength: 8 }),
    abort: fc.integer({ min: 0, max: 3 }).map((draw) => draw === 0),
  })
  .map(({ atMs, pair: [from, to], chunks, abort }) => ({ atMs, from, to, chunks, abort }));

const datagramSpecArbitrary = (atMsMax: number): fc.Arbitrary<DatagramSpec> =>
  fc.record({ atMs: fc.double({ min: 0, max: atMsMax, noNaN: true, noDefaultInfinity: true }), pair: hostPair })
    .map(({ atMs, pair: [from, to] }) => ({ atMs, from, to }));

function workloadArbitrary(kinds?: readonly SwarmKind[], options: { streamsMax?: number; datagramsMax?: number; atMsMax?: number } = {}): fc.Arbitrary<NetworkWorkload> {
  return fc.record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    plan: faultPlanArbitrary({ hosts: HOSTS, durationMs: 1000, ...(kinds === undefined ? {} : { kinds }) }),
    streams: fc.array(streamSpecArbitrary, { maxLength: options.streamsMax ?? 8 }),
    datagrams: fc.array(datagramSpecArbitrary(options.atMsMax ?? 1500), { maxLength: options.datagramsMax ?? 30 }),
  });
}

interface StreamReceipt {
  from: string;
  to: string;
  incarnation: number;
  bytes: ByteLog;
  outcome: "open" | "eof" | string;
}

interface Observed {
  streams: StreamReceipt[];
  datagramsSent: Array<{ index: number; time: number }>;
  datagramsReceived: Array<{ index: number; from: string; to: string; time: number }>;
  streamErrors: string[];
}

function header(index: number): Uint8Array {
  return new Uint8Array([index >> 8, index & 0xff, ~(index >> 8) & 0xff, ~index & 0xff]);
}

function readHeader(bytes: Uint8Array): number | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const [high, low, notHigh, notLow] = bytes as unknown as [number, number, number, number];
  if ((high ^ notHigh) !== 0xff || (low ^ notLow) !== 0xff) return undefined;
  return (high << 8) | low;
}

function errorCode(error: unknown): string {
  return error instanceof NetError ? error.code : `unexpected ${String(error)}`;
}

async function writeStream(env: Env, spec: StreamSpec, index: number, observed: Observed): Promise<void> {
  let connection: Connection;
  try {
    connection = await env.net.dial(spec.to, STREAM_PORT, { timeoutMs: 300 });
  } catch (error) {
    if (!(error instanceof NetError)) observed.streamErrors.push(`dial: ${String(error)}`);
    return;
  }
  try {
    await connection.write(header(index));
    let position = 0;
    for (const chunk of spec.chunks) {
      if (chunk.gapMs > 0) await env.clock.sleep(chunk.gapMs);
      await connection.write(patternBytes(index, position, chunk.bytes));
      position += chunk.bytes;
    }
    if (spec.abort) connection.reset();
    else connection.close();
  } catch (error) {
    if (!(error instanceof NetError)) observed.streamErrors.push(`write: ${String(error)}`);
  }
}

async function readStream(connection: Connection, receipt: StreamReceipt): Promise<void> {
  try {
    while (true) {
      const chunk = await connection.read();
      if (chunk === null) {
        receipt.outcome = "eof";
        return;
      }
      receipt.bytes.append(chunk);
    }
  } catch (error) {
    receipt.outcome = errorCode(error);
  }
}

async function acceptLoop(listener: Listener, name: string, incarnation: number, observed: Observed): Promise<void> {
  while (true) {
    let connection: Connection;
    try {
      connection = await listener.accept();
    } catch {
      return;
    }
    const receipt: StreamReceipt = { from: connection.remoteAddress, to: name, incarnation, bytes: new ByteLog(), outcome: "open" };
    observed.streams.push(receipt);
    void readStream(connection, receipt);
  }
}

function workloadHost(world: World, name: HostName, workload: NetworkWorkload, observed: Observed): (env: Env) => Promise<void> {
  return async (env) => {
    env.net.onDatagram(DATAGRAM_PORT, (datagram) => {
      const index = ((datagram.payload[0] as number) << 8) | (datagram.payload[1] as number);
      observed.datagramsReceived.push({ index, from: datagram.from, to: name, time: world.now });
    });
    void acceptLoop(env.net.listen(STREAM_PORT), name, env.lifetime.incarnation, observed);
    // Specs are at absolute virtual times: a restarted process sends only those still ahead.
    workload.datagrams.forEach((spec, index) => {
      if (spec.from !== name || spec.atMs < world.now) return;
      env.clock.setTimer(spec.atMs - world.now, () => {
        observed.datagramsSent.push({ index, time: world.now });
        env.net.sendDatagram(spec.to, DATAGRAM_PORT, new Uint8Array([index >> 8, index & 0xff]));
      });
    });
    workload.streams.forEach((spec, index) => {
      if (spec.from !== name || spec.atMs < world.now) return;
      env.clock.setTimer(spec.atMs - world.now, () => void writeStream(env, spec, index, observed));
    });
  };
}

interface WorkloadRun {
  world: World;
  observed: Observed;
}

async function runWorkload(makeWorld: WorldFactory, workload: NetworkWorkload, options: { healAllAtMs?: number; untilMs: number }): Promise<WorkloadRun> {
  const world = makeWorld({ seed: workload.seed, trace: { keepRecords: true } });
  const observed: Observed = { streams: [], datagramsSent: [], datagramsReceived: [], streamErrors: [] };
  for (const name of HOSTS) world.addHost(name, workloadHost(world, name, workload, observed)).start();
  const applier = applyPlan(world, workload.plan);
  if (options.healAllAtMs !== undefined) world.scheduler.at(options.healAllAtMs, () => applier.healAll());
  const result = await world.scheduler.run({ untilTime: options.untilMs, maxEvents: EVENTS_MAX });
  invariant(result.reason === "until", () => `the run ended with ${result.reason} after ${result.events} events`);
  invariant(observed.streamErrors.length === 0, () => `unexpected errors: ${observed.streamErrors.join("; ")}`);
  invariant(world.violations.length === 0, () => `violations: ${JSON.stringify(world.violations)}`);
  return { world, observed };
}

// ---------------------------------------------------------------------------
// No datagram or stream byte crosses a cut link

async function checkNoCrossing(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<void> {
  const { world } = await runWorkload(makeWorld, workload, { untilMs: 2500 });
  const links = new LinkModel(HOSTS);
  for (const record of recordsOf(world.trace)) {
    if (links.apply(record)) continue;
    const to = record.host as string;
    const from = record.fields?.from as string;
    if (record.kind === "net.datagram.deliver") {
      invariant(!links.isBlocked(from, to), () => `a datagram crossed the blocked link ${from}->${to}: ${describeRecord(record)}`);
    } else if (record.kind === "net.stream.deliver") {
      invariant(!links.isBlocked(from, to) && !links.isBlocked(to, from), () => `stream bytes crossed the cut link ${from}-${to}: ${describeRecord(record)}`);
    }
  }
}

const crossingWorkload = workloadArbitrary(["partition", "isolate", "clog", "crash", "pause", "link-quality"]);

function noCrossingProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(crossingWorkload, (workload) => checkNoCrossing(makeWorld, workload));
}

// ---------------------------------------------------------------------------
// After heal, delivery resumes

const HEAL_ALL_AT_MS = 2000;
const PROBE_AT_MS = 2100;

/** After the heal, every host sends a datagram and a short stream to every other host. */
function withProbes(workload: NetworkWorkload): { workload: NetworkWorkload; datagramProbes: number[]; streamProbes: number[] } {
  const datagrams = [...workload.datagrams];
  const streams = [...workload.streams];
  const datagramProbes: number[] = [];
  const streamProbes: number[] = [];
  for (const from of HOSTS) {
    for (const to of HOSTS) {
      if (from === to) continue;
      datagramProbes.push(datagrams.push({ atMs: PROBE_AT_MS, from, to }) - 1);
      streamProbes.push(streams.push({ atMs: PROBE_AT_MS, from, to, chunks: [{ bytes: 100, gapMs: 0 }], abort: false }) - 1);
    }
  }
  return { workload: { ...workload, datagrams, streams }, datagramProbes, streamProbes };
}

async function checkHealResumes(makeWorld: WorldFactory, original: NetworkWorkload): Promise<void> {
  const { workload, datagramProbes, streamProbes } = withProbes(original);
  const { observed } = await runWorkload(makeWorld, workload, { healAllAtMs: HEAL_ALL_AT_MS, untilMs: 3000 });
  for (const index of datagramProbes) {
    const spec = workload.datagrams[index] as DatagramSpec;
    invariant(observed.datagramsReceived.some((receipt) => receipt.index === index),
      () => `after the heal, the datagram ${spec.from}->${spec.to} never arrived`);
  }
  for (const index of streamProbes) {
    const spec = workload.streams[index] as StreamSpec;
    const delivered = observed.streams.some((receipt) => receipt.outcome === "eof" && readHeader(receipt.bytes.view()) === index);
    invariant(delivered, () => `after the heal, the stream ${spec.from}->${spec.to} was not delivered`);
  }
}

const healWorkload = workloadArbitrary(undefined, { streamsMax: 4, datagramsMax: 10 });

function healResumesProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(healWorkload, (workload) => checkHealResumes(makeWorld, workload));
}

// ---------------------------------------------------------------------------
// Streams deliver an exact prefix, then the rest and end-of-stream, or a reset

function checkReceipt(workload: NetworkWorkload, receipt: StreamReceipt, world: World): void {
  const where = `stream ${receipt.from}->${receipt.to} (incarnation ${receipt.incarnation} of ${receipt.to})`;
  const bytes = receipt.bytes.view();
  const readerAlive = world.host(receipt.to).incarnation?.incarnation === receipt.incarnation;
  invariant(receipt.outcome !== "open" || !readerAlive, () => `${where} stalled: ${bytes.length} bytes read, neither end-of-stream nor reset`);
  invariant(receipt.outcome === "open" || receipt.outcome === "eof" || receipt.outcome === "ECONNRESET",
    () => `${where} ended with ${receipt.outcome}`);
  if (bytes.length < HEADER_BYTES) {
    invariant(receipt.outcome !== "eof", () => `${where} reached end-of-stream after ${bytes.length} bytes, inside the header`);
    return;
  }
  const index = readHeader(bytes);
  const spec = index === undefined ? undefined : workload.streams[index];
  invariant(index !== undefined && spec !== undefined && spec.from === receipt.from && spec.to === receipt.to,
    () => `${where} starts with a header that names no stream ${receipt.from}->${receipt.to}: ${Array.from(bytes.subarray(0, HEADER_BYTES))}`);
  const body = bytes.subarray(HEADER_BYTES);
  const mismatch = firstMismatch(index, body);
  invariant(mismatch === -1, () => `${where} (spec ${index}) departs from what was written at body byte ${mismatch} of ${body.length}`);
  const total = spec.chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
  invariant(body.length <= total, () => `${where} (spec ${index}) delivered ${body.length} bytes of ${total} written`);
  if (receipt.outcome === "eof") {
    invariant(!spec.abort, () => `${where} (spec ${index}) was reset by the writer but the reader saw end-of-stream`);
    invariant(body.length === total, () => `${where} (spec ${index}) reached end-of-stream after ${body.length} of ${total} bytes`);
  }
}

async function checkStreamPrefix(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<void> {
  const { world, observed } = await runWorkload(makeWorld, workload, { healAllAtMs: 2500, untilMs: 4000 });
  for (const receipt of observed.streams) checkReceipt(workload, receipt, world);
}

const streamWorkload = workloadArbitrary(undefined, { streamsMax: 10, datagramsMax: 0 });

function streamPrefixProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(streamWorkload, (workload) => checkStreamPrefix(makeWorld, workload));
}

// ---------------------------------------------------------------------------
// Datagram loss, duplication and reordering only when link quality enables them

const qualityWorkload = workloadArbitrary(["clog", "pause", "clock-skew"], { streamsMax: 0, datagramsMax: 40, atMsMax: 300 });

async function checkNoLossNoDuplicate(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<void> {
  const { observed } = await runWorkload(makeWorld, workload, { untilMs: 2000 });
  const received = new Map<number, number>();
  for (const receipt of observed.datagramsReceived) received.set(receipt.index, (received.get(receipt.index) ?? 0) + 1);
  invariant(observed.datagramsSent.length === workload.datagrams.length,
    () => `${observed.datagramsSent.length} of ${workload.datagrams.length} datagrams were sent`);
  for (const { index } of observed.datagramsSent) {
    const spec = workload.datagrams[index] as DatagramSpec;
    const count = received.get(index) ?? 0;
    invariant(count === 1, () => `datagram ${index} ${spec.from}->${spec.to} (t=${spec.atMs}) arrived ${count} times without link-quality faults`);
  }
}

function noLossProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(qualityWorkload, (workload) => checkNoLossNoDuplicate(makeWorld, workload));
}

async function checkDatagramOrder(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<void> {
  const { observed } = await runWorkload(makeWorld, workload, { untilMs: 2000 });
  const sendOrder = new Map(observed.datagramsSent.map(({ index }, order) => [index, order]));
  const lastOnLink = new Map<string, number>();
  for (const receipt of observed.datagramsReceived) {
    const link = `${receipt.from}->${receipt.to}`;
    const order = sendOrder.get(receipt.index) as number;
    const previous = lastOnLink.get(link);
    invariant(previous === undefined || order > previous,
      () => `on ${link}, datagram ${receipt.index} (sent #${order}) arrived at t=${receipt.time} after one sent later (#${previous}), without reordering enabled`);
    lastOnLink.set(link, order);
  }
}

function datagramOrderProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(qualityWorkload, (workload) => checkDatagramOrder(makeWorld, workload));
}

// ---------------------------------------------------------------------------
// Dial outcomes: refused, timed out, reset on crash

interface RefusedInput {
  seed: number;
  target: "never-started" | "crashed" | "no-listener" | "listener-closed";
  crashAtMs: number;
  dialAtMs: number;
  timeoutMs: number;
}

const refusedArbitrary: fc.Arbitrary<RefusedInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  target: fc.constantFrom("never-started" as const, "crashed" as const, "no-listener" as const, "listener-closed" as const),
  crashAtMs: fc.integer({ min: 1, max: 100 }),
  dialAtMs: fc.integer({ min: 101, max: 200 }),
  timeoutMs: fc.integer({ min: 50, max: 2000 }),
});

/** The longest one-way latency of the default link quality. */
const LATENCY_MS_MAX = 5;

async function checkRefused(makeWorld: WorldFactory, input: RefusedInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  let outcome: { code: string; elapsed: number } | undefined;
  world.addHost("a", async (env) => {
    await env.clock.sleep(input.dialAtMs);
    const start = world.now;
    try {
      const connection = await env.net.dial("b", STREAM_PORT, { timeoutMs: input.timeoutMs });
      connection.reset();
      outcome = { code: "connected", elapsed: world.now - start };
    } catch (error) {
      outcome = { code: errorCode(error), elapsed: world.now - start };
    }
  }).start();
  const target = world.addHost("b", async (env) => {
    if (input.target === "no-listener") return;
    const listener = env.net.listen(STREAM_PORT);
    if (input.target === "listener-closed") {
      await env.clock.sleep(input.crashAtMs);
      listener.close();
    }
  });
  if (input.target !== "never-started") target.start();
  if (input.target === "crashed") applyPlan(world, { version: FAULT_PLAN_VERSION, faults: [{ atMs: input.crashAtMs, kind: "crash", host: "b" }] });
  await world.scheduler.run({ untilTime: 5000 });
  invariant(outcome !== undefined, () => `the dial to a ${input.target} target never settled`);
  invariant(outcome.code === "ECONNREFUSED", () => `a dial to a ${input.target} target ended with ${outcome?.code} after ${outcome?.elapsed} ms`);
  invariant(outcome.elapsed <= 2 * LATENCY_MS_MAX, () => `a refused dial took ${outcome?.elapsed} ms, more than a round trip`);
}

function refusedProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[RefusedInput]> {
  return fc.asyncProperty(refusedArbitrary, (input) => checkRefused(makeWorld, input));
}

interface TimeoutInput {
  seed: number;
  cut: FaultEvent;
  timeoutMs: number;
  drift: number;
}

const cutArbitrary: fc.Arbitrary<FaultEvent> = fc.constantFrom<FaultEvent>(
  { atMs: 0, kind: "partition", groups: [["a"], ["b"]] },
  { atMs: 0, kind: "partition", groups: [["a"], ["b"]], oneWay: true },
  { atMs: 0, kind: "partition", groups: [["b"], ["a"]], oneWay: true },
  { atMs: 0, kind: "isolate", host: "a" },
  { atMs: 0, kind: "isolate", host: "b" },
);

const timeoutArbitrary: fc.Arbitrary<TimeoutInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  cut: cutArbitrary,
  timeoutMs: fc.integer({ min: 1, max: 3000 }),
  drift: fc.double({ min: -0.4, max: 0.4, noNaN: true, noDefaultInfinity: true }),
});

async function checkTimedOut(makeWorld: WorldFactory, input: TimeoutInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  let outcome: { code: string; elapsed: number } | undefined;
  const dialer = world.addHost("a", async (env) => {
    await env.clock.sleep(1);
    const start = world.now;
    try {
      const connection = await env.net.dial("b", STREAM_PORT, { timeoutMs: input.timeoutMs });
      connection.reset();
      outcome = { code: "connected", elapsed: world.now - start };
    } catch (error) {
      outcome = { code: errorCode(error), elapsed: world.now - start };
    }
  });
  dialer.clock.setDrift(input.drift);
  dialer.start();
  world.addHost("b", async (env) => void env.net.listen(STREAM_PORT)).start();
  world.addHost("c", async () => undefined).start();
  applyPlan(world, { version: FAULT_PLAN_VERSION, faults: [input.cut] });
  await world.scheduler.run({ untilTime: 10_000 });
  const expected = input.timeoutMs / (1 + input.drift);
  invariant(outcome !== undefined, () => `the dial across ${JSON.stringify(input.cut)} never settled`);
  invariant(outcome.code === "ETIMEDOUT", () => `a dial across ${JSON.stringify(input.cut)} ended with ${outcome?.code}`);
  invariant(Math.abs(outcome.elapsed - expected) <= 1e-6, () => `a dial with a ${input.timeoutMs} ms timeout (drift ${input.drift}) timed out after ${outcome?.elapsed} true ms, expected ${expected}`);
}

function timedOutProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[TimeoutInput]> {
  return fc.asyncProperty(timeoutArbitrary, (input) => checkTimedOut(makeWorld, input));
}

interface RetransmitInput {
  seed: number;
  cut: FaultEvent;
  healAtMs: number;
}

const retransmitArbitrary: fc.Arbitrary<RetransmitInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  cut: cutArbitrary,
  healAtMs: fc.integer({ min: 50, max: 6_500 }),
});

/** Times (ms after the dial) of the SYN retransmissions: 1 s, then doubling. */
const RETRANSMISSIONS_AT = [1_000, 3_000, 7_000, 15_000];

async function checkRetransmitted(makeWorld: WorldFactory, input: RetransmitInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  let outcome: { code: string; elapsed: number } | undefined;
  let start = 0;
  world.addHost("a", async (env) => {
    await env.clock.sleep(1);
    start = world.now;
    try {
      const connection = await env.net.dial("b", STREAM_PORT, { timeoutMs: 9_000 });
      connection.reset();
      outcome = { code: "connected", elapsed: world.now - start };
    } catch (error) {
      outcome = { code: errorCode(error), elapsed: world.now - start };
    }
  }).start();
  world.addHost("b", async (env) => void env.net.listen(STREAM_PORT)).start();
  world.addHost("c", async () => undefined).start();
  applyPlan(world, { version: FAULT_PLAN_VERSION, faults: [input.cut, { atMs: input.healAtMs, kind: "heal" }] });
  await world.scheduler.run({ untilTime: 12_000 });
  invariant(outcome !== undefined, () => "the dial never settled");
  const healedAfter = input.healAtMs - 1;
  const next = RETRANSMISSIONS_AT.find((at) => at >= healedAfter) ?? Number.POSITIVE_INFINITY;
  invariant(outcome.code === "connected", () => `a dial across ${JSON.stringify(input.cut)} healed at ${input.healAtMs} ms ended with ${outcome?.code} after ${outcome?.elapsed} ms`);
  invariant(outcome.elapsed <= next + 500, () => `the dial connected ${outcome?.elapsed} ms after it began; the first retransmission after the heal (${healedAfter} ms) was at ${next} ms`);
}

function retransmitProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[RetransmitInput]> {
  return fc.asyncProperty(retransmitArbitrary, (input) => checkRetransmitted(makeWorld, input));
}

interface CrashResetInput {
  seed: number;
  crashed: "a" | "b";
  crashAtMs: number;
  restart: boolean;
  survivor: "read" | "write";
}

const crashResetArbitrary: fc.Arbitrary<CrashResetInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  crashed: fc.constantFrom("a" as const, "b" as const),
  crashAtMs: fc.integer({ min: 20, max: 500 }),
  restart: fc.boolean(),
  survivor: fc.constantFrom("read" as const, "write" as const),
});

const WRITE_INTERVAL_MS = 5;

/** One side of a connection: the survivor reads or writes until it fails; the other writes. */
async function driveConnection(env: Env, connection: Connection, role: "read" | "write", onFailure: (code: string) => void): Promise<void> {
  try {
    if (role === "read") {
      while ((await connection.read()) !== null);
      onFailure("eof");
      return;
    }
    while (true) {
      await connection.write(new Uint8Array(16));
      await env.clock.sleep(WRITE_INTERVAL_MS);
    }
  } catch (error) {
    onFailure(errorCode(error));
  }
}

async function checkResetOnCrash(makeWorld: WorldFactory, input: CrashResetInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  const survivorName = input.crashed === "a" ? "b" : "a";
  let failure: { code: string; time: number } | undefined;
  let connected = false;
  const role = (name: string): "read" | "write" => (name === survivorName ? input.survivor : "write");
  const onFailure = (name: string, incarnation: number) => (code: string) => {
    if (name === survivorName && incarnation === 1) failure ??= { code, time: world.now };
  };
  world.addHost("b", async (env) => {
    const listener = env.net.listen(STREAM_PORT);
    const connection = await listener.accept();
    void driveConnection(env, connection, role("b"), onFailure("b", env.lifetime.incarnation));
  }).start();
  world.addHost("a", async (env) => {
    if (env.lifetime.incarnation > 1) return;
    await env.clock.sleep(1);
    const connection = await env.net.dial("b", STREAM_PORT);
    connected = true;
    void driveConnection(env, connection, role("a"), onFailure("a", env.lifetime.incarnation));
  }).start();
  const faults: FaultEvent[] = [{ atMs: input.crashAtMs, kind: "crash", host: input.crashed }];
  if (input.restart) faults.push({ atMs: input.crashAtMs + 10, kind: "restart", host: input.crashed });
  applyPlan(world, { version: FAULT_PLAN_VERSION, faults });
  await world.scheduler.run({ untilTime: 2000 });
  invariant(connected, () => "the connection was never established");
  invariant(failure !== undefined, () => `the ${input.survivor === "read" ? "reader" : "writer"} on ${survivorName} never saw ${input.crashed} crash at ${input.crashAtMs}`);
  invariant(failure.code === "ECONNRESET", () => `the survivor saw ${failure?.code} when ${input.crashed} crashed`);
  invariant(failure.time >= input.crashAtMs, () => `the survivor saw a reset at ${failure?.time}, before the crash at ${input.crashAtMs}`);
  const bound = input.crashAtMs + (input.survivor === "read" ? 0 : WRITE_INTERVAL_MS);
  invariant(failure.time <= bound, () => `the survivor saw the reset at ${failure?.time}, later than ${bound}`);
}

function resetOnCrashProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[CrashResetInput]> {
  return fc.asyncProperty(crashResetArbitrary, (input) => checkResetOnCrash(makeWorld, input));
}

// ---------------------------------------------------------------------------

describe("sim.network.no-crossing: no datagram or stream byte crosses a cut link", () => {
  const name = "sim.network.no-crossing";
  it("holds for the world", async () => {
    await fc.assert(noCrossingProperty(realWorld), propertyParameters(name, 30));
  });
  it("catches links that ignore partitions", async () => {
    await expectCaught(noCrossingProperty(partitionBlindWorld), name, 30);
  });
});

describe("sim.network.heal-resumes: after heal, delivery resumes", () => {
  const name = "sim.network.heal-resumes";
  it("holds for the world", async () => {
    await fc.assert(healResumesProperty(realWorld), propertyParameters(name, 25));
  });
  it("catches links whose heal does nothing", async () => {
    await expectCaught(healResumesProperty(healIgnoringWorld), name, 25);
  });
});

describe("sim.network.stream-prefix: a stream delivers an exact prefix, then the rest and end-of-stream, or a reset", () => {
  const name = "sim.network.stream-prefix";
  it("holds for the world", async () => {
    await fc.assert(streamPrefixProperty(realWorld), propertyParameters(name, 30));
  });
  it("catches streams whose segments can overtake each other", async () => {
    await expectCaught(streamPrefixProperty(reorderingStreamsWorld), name, 30);
  });
});

describe("sim.network.datagram-no-loss: datagram loss and duplication only when link quality enables them", () => {
  const name = "sim.network.datagram-no-loss";
  it("holds for the world", async () => {
    await fc.assert(noLossProperty(realWorld), propertyParameters(name, 30));
  });
  it.each([
    ["lose datagrams", lossyLinksWorld],
    ["duplicate datagrams", duplicatingLinksWorld],
  ])("catches links that %s regardless of quality", async (_label, makeWorld) => {
    await expectCaught(noLossProperty(makeWorld), name, 30);
  });
});

describe("sim.network.datagram-order: datagram reordering only when link quality enables it", () => {
  const name = "sim.network.datagram-order";
  // Simulator bug (reported): each datagram draws its own latency, so with the default link
  // quality (reorderProbability 0) a datagram can overtake one sent earlier on the same link.
  it("holds for the world", async () => {
    await fc.assert(datagramOrderProperty(realWorld), propertyParameters(name, 30));
  });
  it("catches links that reorder datagrams regardless of quality", async () => {
    await expectCaught(datagramOrderProperty(reorderingDatagramsWorld), name, 30);
  });
});

describe("sim.network.dial-refused: a dial to a down host or closed port is refused", () => {
  const name = "sim.network.dial-refused";
  it("holds for the world", async () => {
    await fc.assert(refusedProperty(realWorld), propertyParameters(name, 60));
  });
  it("catches links that treat a down host as partitioned", async () => {
    await expectCaught(refusedProperty(downHostsLookPartitionedWorld), name, 60);
  });
});

describe("sim.network.dial-timeout: a dial across a partition times out", () => {
  const name = "sim.network.dial-timeout";
  it("holds for the world", async () => {
    await fc.assert(timedOutProperty(realWorld), propertyParameters(name, 60));
  });
  it("catches links that ignore partitions", async () => {
    await expectCaught(timedOutProperty(partitionBlindWorld), name, 60);
  });
});

describe("sim.network.dial-retransmit: a dial whose SYN was lost connects after the heal", () => {
  const name = "sim.network.dial-retransmit";
  it("holds for the world", async () => {
    await fc.assert(retransmitProperty(realWorld), propertyParameters(name, 60));
  });
  it("catches dials that never retransmit their SYN", async () => {
    await expectCaught(retransmitProperty(noSynRetransmitWorld), name, 60);
  });
});

describe("sim.network.reset-on-crash: connections reset when a side crashes", () => {
  const name = "sim.network.reset-on-crash";
  it("holds for the world", async () => {
    await fc.assert(resetOnCrashProperty(realWorld), propertyParameters(name, 60));
  });
  it("catches a crash that leaves its connections open", async () => {
    await expectCaught(resetOnCrashProperty(crashKeepsConnectionsWorld), name, 60);
  });
});
