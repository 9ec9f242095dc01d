/**
 * Network properties (src/sim/net/links.ts, stream.ts, network.ts, faults/apply.ts).
 *
 * Invariants, one sentence each (those judged against the fault plan's own model are in network-observed.test.ts):
 * - After every fault is healed, datagrams and streams between every pair of hosts are delivered again.
 * - A stream reader sees an exact prefix of what was written, in order, then either all of it and end-of-stream after a
 *   close, or a reset: never a gap, a duplicate, a reorder or a stall.
 * - Without link-quality faults, a datagram is never lost (unless a partition or a down receiver drops it) nor
 *   duplicated.
 * - Without link-quality faults, datagrams on one link arrive in the order they were sent.
 * - A dial to a down host or a closed port fails with ECONNREFUSED, quickly.
 * - A dial across a partition (either direction) fails with ETIMEDOUT after exactly its host-local timeout.
 * - A dial whose SYN a partition lost connects at the first SYN retransmission (1 s, then doubling) after the heal,
 *   well before its timeout.
 * - When one side of a connection crashes, the other side's pending and later operations fail with ECONNRESET.
 *
 * Judged from what the processes saw (_support/network-workload.ts) and, where a host's
 * state matters, from the fault plan the test applied (_support/fault-timeline.ts), never
 * from the Links or Hosts under test. Each property is a function of the world factory and
 * runs both on the shipping world and on broken ones (_fixtures/kernel-networks.ts), which
 * it must catch.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import type { Connection, Env } from "../../src/sim/env.ts";
import { applyPlan } from "../../src/sim/faults/apply.ts";
import { FAULT_PLAN_VERSION, type FaultEvent } from "../../src/sim/faults/plan.ts";
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
import { firstMismatch } from "./_support/byte-pattern.ts";
import { FaultTimeline } from "./_support/fault-timeline.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import {
  errorCode,
  HEADER_BYTES,
  HOSTS,
  readHeader,
  runWorkload,
  workloadArbitrary,
  type DatagramSpec,
  type NetworkWorkload,
  type StreamReceipt,
  type StreamSpec,
} from "./_support/network-workload.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

const STREAM_PORT = 7;

// ---------------------------------------------------------------------------
// After heal, delivery resumes

const HEAL_ALL_AT_MS = 2000;
const PROBE_AT_MS = 2100;

/** After the heal, every host sends a datagram and a short stream to every other host. */
function withProbes(workload: NetworkWorkload): {
  workload: NetworkWorkload;
  datagramProbes: number[];
  streamProbes: number[];
} {
  const datagrams = [...workload.datagrams];
  const streams = [...workload.streams];
  const datagramProbes: number[] = [];
  const streamProbes: number[] = [];
  for (const from of HOSTS) {
    for (const to of HOSTS) {
      if (from === to) continue;
      datagramProbes.push(datagrams.push({ atMs: PROBE_AT_MS, from, to }) - 1);
      streamProbes.push(
        streams.push({ atMs: PROBE_AT_MS, from, to, chunks: [{ bytes: 100, gapMs: 0 }], abort: false }) - 1,
      );
    }
  }
  return { workload: { ...workload, datagrams, streams }, datagramProbes, streamProbes };
}

/**
 * The probes' time to arrive, from the latest arrival of what the links carried at the heal (a FIFO link may hold a
 * probe behind it).
 */
const PROBE_WINDOW_MS = 1000;

async function checkHealResumes(makeWorld: WorldFactory, original: NetworkWorkload): Promise<void> {
  const { workload, datagramProbes, streamProbes } = withProbes(original);
  const timeline = new FaultTimeline({ hosts: HOSTS, plan: workload.plan, healAllAtMs: HEAL_ALL_AT_MS });
  const untilMs = Math.max(3000, timeline.latestArrivalOfAny(HEAL_ALL_AT_MS) + PROBE_WINDOW_MS);
  const { observed } = await runWorkload(makeWorld, workload, { healAllAtMs: HEAL_ALL_AT_MS, untilMs });
  for (const index of datagramProbes) {
    const spec = workload.datagrams[index] as DatagramSpec;
    invariant(
      observed.datagramsReceived.some((receipt) => receipt.index === index),
      () => `after the heal, the datagram ${spec.from}->${spec.to} never arrived`,
    );
  }
  for (const index of streamProbes) {
    const spec = workload.streams[index] as StreamSpec;
    const delivered = observed.streams.some(
      (receipt) => receipt.outcome === "eof" && readHeader(receipt.bytes.view()) === index,
    );
    invariant(delivered, () => `after the heal, the stream ${spec.from}->${spec.to} was not delivered`);
  }
}

const healWorkload = workloadArbitrary(undefined, { streamsMax: 4, datagramsMax: 10 });

function healResumesProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(healWorkload, (workload) => checkHealResumes(makeWorld, workload));
}

// ---------------------------------------------------------------------------
// Streams deliver an exact prefix, then the rest and end-of-stream, or a reset

function checkReceipt(workload: NetworkWorkload, receipt: StreamReceipt, timeline: FaultTimeline, endMs: number): void {
  const where = `stream ${receipt.from}->${receipt.to} (incarnation ${receipt.incarnation} of ${receipt.to})`;
  const bytes = receipt.bytes.view();
  const readerAlive = timeline.surelyLive(receipt.to, receipt.incarnation, endMs);
  invariant(
    receipt.outcome !== "open" || !readerAlive,
    () => `${where} stalled: ${bytes.length} bytes read, neither end-of-stream nor reset`,
  );
  invariant(
    receipt.outcome === "open" || receipt.outcome === "eof" || receipt.outcome === "ECONNRESET",
    () => `${where} ended with ${receipt.outcome}`,
  );
  if (bytes.length < HEADER_BYTES) {
    invariant(
      receipt.outcome !== "eof",
      () => `${where} reached end-of-stream after ${bytes.length} bytes, inside the header`,
    );
    return;
  }
  const index = readHeader(bytes);
  const spec = index === undefined ? undefined : workload.streams[index];
  invariant(
    index !== undefined && spec !== undefined && spec.from === receipt.from && spec.to === receipt.to,
    () =>
      `${where} starts with a header that names no stream ${receipt.from}->${receipt.to}: ${Array.from(bytes.subarray(0, HEADER_BYTES))}`,
  );
  const body = bytes.subarray(HEADER_BYTES);
  const mismatch = firstMismatch(index, body);
  invariant(
    mismatch === -1,
    () => `${where} (spec ${index}) departs from what was written at body byte ${mismatch} of ${body.length}`,
  );
  const total = spec.chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
  invariant(body.length <= total, () => `${where} (spec ${index}) delivered ${body.length} bytes of ${total} written`);
  if (receipt.outcome === "eof") {
    invariant(!spec.abort, () => `${where} (spec ${index}) was reset by the writer but the reader saw end-of-stream`);
    invariant(
      body.length === total,
      () => `${where} (spec ${index}) reached end-of-stream after ${body.length} of ${total} bytes`,
    );
  }
}

async function checkStreamPrefix(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<void> {
  const timeline = new FaultTimeline({ hosts: HOSTS, plan: workload.plan, healAllAtMs: 2500 });
  // Bytes a slow link carries at the heal-all still land, after their latency: a stream is not stalled before they
  // could.
  const endMs = Math.max(4000, timeline.latestArrivalOfAny(2500) + 500);
  const { observed } = await runWorkload(makeWorld, workload, { healAllAtMs: 2500, untilMs: endMs });
  for (const receipt of observed.streams) checkReceipt(workload, receipt, timeline, endMs);
}

const streamWorkload = workloadArbitrary(undefined, { streamsMax: 10, datagramsMax: 0 });

function streamPrefixProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(streamWorkload, (workload) => checkStreamPrefix(makeWorld, workload));
}

// ---------------------------------------------------------------------------
// Datagram loss, duplication and reordering only when link quality enables them

const qualityWorkload = workloadArbitrary(["clog", "pause", "clock-skew"], {
  streamsMax: 0,
  datagramsMax: 40,
  atMsMax: 300,
});

async function checkNoLossNoDuplicate(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<void> {
  const { observed } = await runWorkload(makeWorld, workload, { untilMs: 2000 });
  const received = new Map<number, number>();
  for (const receipt of observed.datagramsReceived) received.set(receipt.index, (received.get(receipt.index) ?? 0) + 1);
  invariant(
    observed.datagramsSent.length === workload.datagrams.length,
    () => `${observed.datagramsSent.length} of ${workload.datagrams.length} datagrams were sent`,
  );
  for (const { index } of observed.datagramsSent) {
    const spec = workload.datagrams[index] as DatagramSpec;
    const count = received.get(index) ?? 0;
    invariant(
      count === 1,
      () =>
        `datagram ${index} ${spec.from}->${spec.to} (t=${spec.atMs}) arrived ${count} times without link-quality faults`,
    );
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
    invariant(
      previous === undefined || order > previous,
      () =>
        `on ${link}, datagram ${receipt.index} (sent #${order}) arrived at t=${receipt.time} after one sent later (#${previous}), without reordering enabled`,
    );
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
  target: fc.constantFrom(
    "never-started" as const,
    "crashed" as const,
    "no-listener" as const,
    "listener-closed" as const,
  ),
  crashAtMs: fc.integer({ min: 1, max: 100 }),
  dialAtMs: fc.integer({ min: 101, max: 200 }),
  timeoutMs: fc.integer({ min: 50, max: 2000 }),
});

/** The longest one-way latency of the default link quality. */
const LATENCY_MS_MAX = 5;

async function checkRefused(makeWorld: WorldFactory, input: RefusedInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  let outcome: { code: string; elapsed: number } | undefined;
  world
    .addHost("a", async (env) => {
      await env.clock.sleep(input.dialAtMs);
      const start = world.now;
      try {
        const connection = await env.net.dial("b", STREAM_PORT, { timeoutMs: input.timeoutMs });
        connection.reset();
        outcome = { code: "connected", elapsed: world.now - start };
      } catch (error) {
        outcome = { code: errorCode(error), elapsed: world.now - start };
      }
    })
    .start();
  const target = world.addHost("b", async (env) => {
    if (input.target === "no-listener") return;
    const listener = env.net.listen(STREAM_PORT);
    if (input.target === "listener-closed") {
      await env.clock.sleep(input.crashAtMs);
      listener.close();
    }
  });
  if (input.target !== "never-started") target.start();
  if (input.target === "crashed")
    applyPlan(world, { version: FAULT_PLAN_VERSION, faults: [{ atMs: input.crashAtMs, kind: "crash", host: "b" }] });
  await world.scheduler.run({ untilTime: 5000 });
  invariant(outcome !== undefined, () => `the dial to a ${input.target} target never settled`);
  invariant(
    outcome.code === "ECONNREFUSED",
    () => `a dial to a ${input.target} target ended with ${outcome?.code} after ${outcome?.elapsed} ms`,
  );
  invariant(
    outcome.elapsed <= 2 * LATENCY_MS_MAX,
    () => `a refused dial took ${outcome?.elapsed} ms, more than a round trip`,
  );
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
  invariant(
    outcome.code === "ETIMEDOUT",
    () => `a dial across ${JSON.stringify(input.cut)} ended with ${outcome?.code}`,
  );
  invariant(
    Math.abs(outcome.elapsed - expected) <= 1e-6,
    () =>
      `a dial with a ${input.timeoutMs} ms timeout (drift ${input.drift}) timed out after ${outcome?.elapsed} true ms, expected ${expected}`,
  );
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
  world
    .addHost("a", async (env) => {
      await env.clock.sleep(1);
      start = world.now;
      try {
        const connection = await env.net.dial("b", STREAM_PORT, { timeoutMs: 9_000 });
        connection.reset();
        outcome = { code: "connected", elapsed: world.now - start };
      } catch (error) {
        outcome = { code: errorCode(error), elapsed: world.now - start };
      }
    })
    .start();
  world.addHost("b", async (env) => void env.net.listen(STREAM_PORT)).start();
  world.addHost("c", async () => undefined).start();
  applyPlan(world, { version: FAULT_PLAN_VERSION, faults: [input.cut, { atMs: input.healAtMs, kind: "heal" }] });
  await world.scheduler.run({ untilTime: 12_000 });
  invariant(outcome !== undefined, () => "the dial never settled");
  const healedAfter = input.healAtMs - 1;
  const next = RETRANSMISSIONS_AT.find((at) => at >= healedAfter) ?? Number.POSITIVE_INFINITY;
  invariant(
    outcome.code === "connected",
    () =>
      `a dial across ${JSON.stringify(input.cut)} healed at ${input.healAtMs} ms ended with ${outcome?.code} after ${outcome?.elapsed} ms`,
  );
  invariant(
    outcome.elapsed <= next + 500,
    () =>
      `the dial connected ${outcome?.elapsed} ms after it began; the first retransmission after the heal (${healedAfter} ms) was at ${next} ms`,
  );
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
async function driveConnection(
  env: Env,
  connection: Connection,
  role: "read" | "write",
  onFailure: (code: string) => void,
): Promise<void> {
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
  world
    .addHost("b", async (env) => {
      const listener = env.net.listen(STREAM_PORT);
      const connection = await listener.accept();
      void driveConnection(env, connection, role("b"), onFailure("b", env.lifetime.incarnation));
    })
    .start();
  world
    .addHost("a", async (env) => {
      if (env.lifetime.incarnation > 1) return;
      await env.clock.sleep(1);
      const connection = await env.net.dial("b", STREAM_PORT);
      connected = true;
      void driveConnection(env, connection, role("a"), onFailure("a", env.lifetime.incarnation));
    })
    .start();
  const faults: FaultEvent[] = [{ atMs: input.crashAtMs, kind: "crash", host: input.crashed }];
  if (input.restart) faults.push({ atMs: input.crashAtMs + 10, kind: "restart", host: input.crashed });
  applyPlan(world, { version: FAULT_PLAN_VERSION, faults });
  await world.scheduler.run({ untilTime: 2000 });
  invariant(connected, () => "the connection was never established");
  invariant(
    failure !== undefined,
    () =>
      `the ${input.survivor === "read" ? "reader" : "writer"} on ${survivorName} never saw ${input.crashed} crash at ${input.crashAtMs}`,
  );
  invariant(failure.code === "ECONNRESET", () => `the survivor saw ${failure?.code} when ${input.crashed} crashed`);
  invariant(
    failure.time >= input.crashAtMs,
    () => `the survivor saw a reset at ${failure?.time}, before the crash at ${input.crashAtMs}`,
  );
  const bound = input.crashAtMs + (input.survivor === "read" ? 0 : WRITE_INTERVAL_MS);
  invariant(failure.time <= bound, () => `the survivor saw the reset at ${failure?.time}, later than ${bound}`);
}

function resetOnCrashProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[CrashResetInput]> {
  return fc.asyncProperty(crashResetArbitrary, (input) => checkResetOnCrash(makeWorld, input));
}

// ---------------------------------------------------------------------------

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
