/**
 * The network properties' workload: timed datagrams and byte streams between random
 * pairs of three hosts, under a fault plan, and what the processes themselves saw
 * of it: each send and each arrival with its virtual time and the incarnation that
 * made or took it, and every byte a stream reader got. Nothing here asks the
 * network what it did; the properties judge these observations against the plan
 * (fault-timeline.ts).
 */
import fc from "fast-check";
import { NetError, type Connection, type Env, type Listener } from "../../../src/sim/env.ts";
import { faultPlanArbitrary } from "../../../src/sim/faults/arbitrary.ts";
import { applyPlan } from "../../../src/sim/faults/apply.ts";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import type { SwarmKind } from "../../../src/sim/faults/swarm.ts";
import type { World } from "../../../src/sim/world.ts";
import { ByteLog, patternBytes } from "./byte-pattern.ts";
import { invariant } from "./invariant.ts";
import type { WorldFactory } from "./world-factory.ts";

export const HOSTS = ["a", "b", "c"] as const;
export type HostName = (typeof HOSTS)[number];
const STREAM_PORT = 7;
const DATAGRAM_PORT = 9;
export const HEADER_BYTES = 4;
/** A datagram: its index, then this many bytes of its pattern (to see corruption). */
const DATAGRAM_BODY_BYTES = 14;
/** A dial's timeout, host-local ms. */
export const DIAL_TIMEOUT_MS = 300;
/** Runaway guard: a run of these workloads takes a few thousand events. */
const EVENTS_MAX = 50_000;

export interface StreamSpec {
  atMs: number;
  from: HostName;
  to: HostName;
  chunks: Array<{ bytes: number; gapMs: number }>;
  /** Reset the connection after the last chunk instead of closing it. */
  abort: boolean;
}

export interface DatagramSpec {
  atMs: number;
  from: HostName;
  to: HostName;
}

export interface NetworkWorkload {
  seed: number;
  plan: FaultPlan;
  streams: StreamSpec[];
  datagrams: DatagramSpec[];
}

const hostPair = fc.tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS)).filter(([from, to]) => from !== to);

const streamSpecArbitrary: fc.Arbitrary<StreamSpec> = fc
  .record({
    atMs: fc.integer({ min: 0, max: 1500 }),
    pair: hostPair,
    chunks: fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 3000 }), gapMs: fc.integer({ min: 0, max: 50 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    abort: fc.integer({ min: 0, max: 3 }).map((draw) => draw === 0),
  })
  .map(({ atMs, pair: [from, to], chunks, abort }) => ({ atMs, from, to, chunks, abort }));

/**
 * A send time in [0, atMsMax]: half the time spread over the range (to meet the faults),
 * half a bare fc.double, which crowds near 0 (so sends on a link can overtake each other).
 */
const sendTime = (atMsMax: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc
      .tuple(fc.integer({ min: 0, max: atMsMax }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([milliseconds, fraction]) => Math.min(atMsMax, milliseconds + fraction)),
    fc.double({ min: 0, max: atMsMax, noNaN: true, noDefaultInfinity: true }),
  );

const datagramSpecArbitrary = (atMsMax: number): fc.Arbitrary<DatagramSpec> =>
  fc.record({ atMs: sendTime(atMsMax), pair: hostPair }).map(({ atMs, pair: [from, to] }) => ({ atMs, from, to }));

export interface WorkloadShape {
  streamsMax?: number;
  datagramsMax?: number;
  /** At least this many of each (default 0: fast-check's small arrays). */
  streamsMin?: number;
  datagramsMin?: number;
  atMsMax?: number;
  /** The fault plan (default: faultPlanArbitrary over `kinds`). */
  plan?: fc.Arbitrary<FaultPlan>;
}

export function workloadArbitrary(
  kinds?: readonly SwarmKind[],
  shape: WorkloadShape = {},
): fc.Arbitrary<NetworkWorkload> {
  return fc.record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    plan:
      shape.plan ?? faultPlanArbitrary({ hosts: HOSTS, durationMs: 1000, ...(kinds === undefined ? {} : { kinds }) }),
    streams: fc.array(streamSpecArbitrary, { minLength: shape.streamsMin ?? 0, maxLength: shape.streamsMax ?? 8 }),
    datagrams: fc.array(datagramSpecArbitrary(shape.atMsMax ?? 1500), {
      minLength: shape.datagramsMin ?? 0,
      maxLength: shape.datagramsMax ?? 30,
    }),
  });
}

/** One datagram sent or taken: by whom (host and incarnation) and when. */
export interface DatagramEvent {
  index: number;
  from: string;
  to: string;
  time: number;
  /** The incarnation of the sender (a send) or of the receiver (an arrival). */
  incarnation: number;
  /** An arrival only: its payload is exactly what was sent. */
  intact?: boolean;
}

/** The writer's side of a stream spec. */
export interface StreamWriter {
  dialAt: number;
  incarnation: number;
  connectedAt?: number;
  /** Each write as called: [start, end) of the body, when. */
  writes: Array<{ time: number; start: number; end: number }>;
  /** When the writer closed or reset its side, if it did. */
  endedAt?: number;
  outcome: "writing" | "closed" | "reset" | string;
}

export interface StreamReceipt {
  from: string;
  to: string;
  incarnation: number;
  acceptedAt: number;
  bytes: ByteLog;
  /** Each read that returned bytes: when, and the total read after it. */
  reads: Array<{ time: number; total: number }>;
  outcome: "open" | "eof" | string;
}

export interface Observed {
  streams: StreamReceipt[];
  writers: Map<number, StreamWriter>;
  datagramsSent: DatagramEvent[];
  datagramsReceived: DatagramEvent[];
  streamErrors: string[];
}

export function header(index: number): Uint8Array {
  return new Uint8Array([index >> 8, index & 0xff, ~(index >> 8) & 0xff, ~index & 0xff]);
}

export function readHeader(bytes: Uint8Array): number | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const [high, low, notHigh, notLow] = bytes as unknown as [number, number, number, number];
  if ((high ^ notHigh) !== 0xff || (low ^ notLow) !== 0xff) return undefined;
  return (high << 8) | low;
}

export function errorCode(error: unknown): string {
  return error instanceof NetError ? error.code : `unexpected ${String(error)}`;
}

function datagramPayload(index: number): Uint8Array {
  const payload = new Uint8Array(2 + DATAGRAM_BODY_BYTES);
  payload.set([index >> 8, index & 0xff]);
  payload.set(patternBytes(0x10000 + index, 0, DATAGRAM_BODY_BYTES), 2);
  return payload;
}

function intact(index: number, payload: Uint8Array): boolean {
  const expected = datagramPayload(index);
  return payload.length === expected.length && expected.every((byte, position) => payload[position] === byte);
}

async function writeStream(
  world: World,
  env: Env,
  spec: StreamSpec,
  index: number,
  writer: StreamWriter,
  observed: Observed,
): Promise<void> {
  let connection: Connection;
  try {
    connection = await env.net.dial(spec.to, STREAM_PORT, { timeoutMs: DIAL_TIMEOUT_MS });
    writer.connectedAt = world.now;
  } catch (error) {
    writer.outcome = errorCode(error);
    if (!(error instanceof NetError)) observed.streamErrors.push(`dial: ${String(error)}`);
    return;
  }
  try {
    await connection.write(header(index));
    let position = 0;
    for (const chunk of spec.chunks) {
      if (chunk.gapMs > 0) await env.clock.sleep(chunk.gapMs);
      writer.writes.push({ time: world.now, start: position, end: position + chunk.bytes });
      await connection.write(patternBytes(index, position, chunk.bytes));
      position += chunk.bytes;
    }
    if (spec.abort) connection.reset();
    else connection.close();
    writer.endedAt = world.now;
    writer.outcome = spec.abort ? "reset" : "closed";
  } catch (error) {
    writer.outcome = errorCode(error);
    if (!(error instanceof NetError)) observed.streamErrors.push(`write: ${String(error)}`);
  }
}

async function readStream(world: World, connection: Connection, receipt: StreamReceipt): Promise<void> {
  try {
    while (true) {
      const chunk = await connection.read();
      if (chunk === null) {
        receipt.outcome = "eof";
        return;
      }
      receipt.bytes.append(chunk);
      receipt.reads.push({ time: world.now, total: receipt.bytes.length });
    }
  } catch (error) {
    receipt.outcome = errorCode(error);
  }
}

async function acceptLoop(
  world: World,
  listener: Listener,
  name: string,
  incarnation: number,
  observed: Observed,
): Promise<void> {
  while (true) {
    let connection: Connection;
    try {
      connection = await listener.accept();
    } catch {
      return;
    }
    const receipt: StreamReceipt = {
      from: connection.remoteAddress,
      to: name,
      incarnation,
      acceptedAt: world.now,
      bytes: new ByteLog(),
      reads: [],
      outcome: "open",
    };
    observed.streams.push(receipt);
    void readStream(world, connection, receipt);
  }
}

function workloadHost(
  world: World,
  name: HostName,
  workload: NetworkWorkload,
  observed: Observed,
): (env: Env) => Promise<void> {
  return async (env) => {
    const incarnation = env.lifetime.incarnation;
    env.net.onDatagram(DATAGRAM_PORT, (datagram) => {
      const index = ((datagram.payload[0] as number) << 8) | (datagram.payload[1] as number);
      observed.datagramsReceived.push({
        index,
        from: datagram.from,
        to: name,
        time: world.now,
        incarnation,
        intact: intact(index, datagram.payload),
      });
    });
    void acceptLoop(world, env.net.listen(STREAM_PORT), name, incarnation, observed);
    // Specs are at absolute virtual times: a restarted process sends only those still ahead.
    workload.datagrams.forEach((spec, index) => {
      if (spec.from !== name || spec.atMs < world.now) return;
      env.clock.setTimer(spec.atMs - world.now, () => {
        observed.datagramsSent.push({ index, from: name, to: spec.to, time: world.now, incarnation });
        env.net.sendDatagram(spec.to, DATAGRAM_PORT, datagramPayload(index));
      });
    });
    workload.streams.forEach((spec, index) => {
      if (spec.from !== name || spec.atMs < world.now) return;
      env.clock.setTimer(spec.atMs - world.now, () => {
        const writer: StreamWriter = { dialAt: world.now, incarnation, writes: [], outcome: "writing" };
        observed.writers.set(index, writer);
        void writeStream(world, env, spec, index, writer, observed);
      });
    });
  };
}

export interface WorkloadRun {
  world: World;
  observed: Observed;
}

export async function runWorkload(
  makeWorld: WorldFactory,
  workload: NetworkWorkload,
  options: { healAllAtMs?: number; untilMs: number },
): Promise<WorkloadRun> {
  const world = makeWorld({ seed: workload.seed });
  const observed: Observed = {
    streams: [],
    writers: new Map(),
    datagramsSent: [],
    datagramsReceived: [],
    streamErrors: [],
  };
  for (const name of HOSTS) world.addHost(name, workloadHost(world, name, workload, observed)).start();
  const applier = applyPlan(world, workload.plan);
  if (options.healAllAtMs !== undefined) world.scheduler.at(options.healAllAtMs, () => applier.healAll());
  const result = await world.scheduler.run({ untilTime: options.untilMs, maxEvents: EVENTS_MAX });
  invariant(result.reason === "until", () => `the run ended with ${result.reason} after ${result.events} events`);
  invariant(observed.streamErrors.length === 0, () => `unexpected errors: ${observed.streamErrors.join("; ")}`);
  invariant(world.violations.length === 0, () => `violations: ${JSON.stringify(world.violations)}`);
  return { world, observed };
}
