/**
 * Message matching on real traces (src/cli/view/message-matching.ts), under the
 * simulated network's faults: partitions, clogs, crashes, pauses, and lossy,
 * duplicating, reordering links.
 *
 * Invariant: every stream or datagram delivery in a trace ends exactly one
 * message, and that message's send is the same segment (same byte count, which
 * the workload makes unique per segment), on the same link, no later than it.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../../_support/fast-check.ts";
import { buildDiagramModel } from "../../../src/cli/view/diagram-model.ts";
import type { DiagramModel } from "../../../src/cli/view/diagram-types.ts";
import type { Connection, Env } from "../../../src/sim/env.ts";
import { faultPlanArbitrary } from "../../../src/sim/faults/arbitrary.ts";
import { applyPlan } from "../../../src/sim/faults/apply.ts";
import type { FaultEvent, FaultPlan } from "../../../src/sim/faults/plan.ts";
import { World } from "../../../src/sim/world.ts";

const HOSTS = ["a", "b", "c"] as const;
type HostName = (typeof HOSTS)[number];
const STREAM_PORT = 7;
const DATAGRAM_PORT = 9;
/** Sends and faults happen in this window, densely enough for connections and datagrams to overlap. */
const SENDS_MS = 400;
const RUN_MS = 1500;
/** Segments written per connection or datagrams per burst (each of a byte count unique in the run). */
const SEGMENTS_PER_CONNECTION = 3;
/** Runaway guard: these workloads take a few thousand events. */
const EVENTS_MAX = 100_000;

interface SendSpec {
  atMs: number;
  from: HostName;
  to: HostName;
  datagram: boolean;
}

interface Workload {
  seed: number;
  plan: FaultPlan;
  sends: SendSpec[];
}

/** Links that reorder, duplicate and lose datagrams from the start (percentages), under the plan's other faults. */
const linkQualityArbitrary = fc.record({
  reorder: fc.integer({ min: 0, max: 60 }),
  duplicate: fc.integer({ min: 0, max: 30 }),
  loss: fc.integer({ min: 0, max: 20 }),
});

const planArbitrary: fc.Arbitrary<FaultPlan> = fc
  .tuple(
    faultPlanArbitrary({
      hosts: HOSTS,
      durationMs: SENDS_MS,
      kinds: ["partition", "isolate", "clog", "crash", "pause"],
    }),
    linkQualityArbitrary,
  )
  .map(([plan, quality]) => {
    const start: FaultEvent = {
      atMs: 0,
      kind: "link-quality",
      reorderProbability: quality.reorder / 100,
      duplicateProbability: quality.duplicate / 100,
      lossProbability: quality.loss / 100,
    };
    return { ...plan, faults: [start, ...plan.faults] };
  });

const workloadArbitrary: fc.Arbitrary<Workload> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  plan: planArbitrary,
  sends: fc.array(
    fc
      .record({
        atMs: fc.integer({ min: 0, max: SENDS_MS }),
        pair: fc.tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS)).filter(([from, to]) => from !== to),
        datagram: fc.boolean(),
      })
      .map(({ atMs, pair: [from, to], datagram }) => ({ atMs, from, to, datagram })),
    { minLength: 40, maxLength: 150 },
  ),
});

/** Serves each connection by echoing what it reads (so streams carry traffic both ways). */
async function echo(connection: Connection): Promise<void> {
  try {
    while (true) {
      const chunk = await connection.read();
      if (chunk === null) return connection.close();
      await connection.write(chunk);
      if (chunk.length % SEGMENTS_PER_CONNECTION === 0) connection.close();
    }
  } catch {
    // A reset or a crash ends the echo; the trace says which.
  }
}

/** Sends a burst of datagrams, or segments on a fresh connection; every segment has a byte count unique in the run. */
async function send(env: Env, spec: SendSpec, index: number): Promise<void> {
  const bytes = (segment: number) => new Uint8Array(index * SEGMENTS_PER_CONNECTION + segment + 1);
  if (spec.datagram) {
    // A burst, so that a reordering link can swap datagrams of one link.
    for (let segment = 0; segment < SEGMENTS_PER_CONNECTION; segment++)
      env.net.sendDatagram(spec.to, DATAGRAM_PORT, bytes(segment));
    return;
  }
  try {
    const connection = await env.net.dial(spec.to, STREAM_PORT, { timeoutMs: 200 });
    for (let segment = 0; segment < SEGMENTS_PER_CONNECTION; segment++) {
      await connection.write(bytes(segment));
      await env.clock.sleep(1);
    }
    while ((await connection.read()) !== null) {
      // Drain the echo until the server closes.
    }
    connection.close();
  } catch {
    // Refused, timed out or reset: faults at work.
  }
}

function host(world: World, name: HostName, workload: Workload): (env: Env) => Promise<void> {
  return async (env) => {
    env.net.onDatagram(DATAGRAM_PORT, () => {});
    const listener = env.net.listen(STREAM_PORT);
    void (async () => {
      while (true) void echo(await listener.accept());
    })().catch(() => {});
    workload.sends.forEach((spec, index) => {
      if (spec.from !== name || spec.atMs < world.now) return;
      env.clock.setTimer(spec.atMs - world.now, () => void send(env, spec, index));
    });
  };
}

async function tracedModel(workload: Workload): Promise<DiagramModel> {
  const world = new World({ seed: workload.seed, trace: { keepRecords: true } });
  for (const name of HOSTS) world.addHost(name, host(world, name, workload)).start();
  applyPlan(world, workload.plan);
  await world.scheduler.run({ untilTime: RUN_MS, maxEvents: EVENTS_MAX });
  return buildDiagramModel(world.trace.records ?? [], "property");
}

function checkMatching(diagram: DiagramModel): void {
  const endedBy = new Map<number, number>();
  diagram.messages.forEach((message, index) => {
    if (message.end === undefined) return;
    if (endedBy.has(message.end)) throw new Error(`event ${message.end} ends two messages`);
    endedBy.set(message.end, index);
  });
  const host = (lane: number) => diagram.lanes[lane]?.name;
  diagram.events.forEach((event, position) => {
    if (event.kind !== "net.stream.deliver" && event.kind !== "net.datagram.deliver") return;
    const index = endedBy.get(position);
    const describe = `${event.kind} #${event.recordIndex} at ${event.time} on ${host(event.lane)} ${event.text}`;
    if (index === undefined) throw new Error(`${describe} ends no message`);
    const message = diagram.messages[index];
    const send = diagram.events[message?.send ?? -1];
    if (message === undefined || send === undefined) throw new Error(`${describe}: message ${index} has no send`);
    const sameSegment =
      send.fields?.bytes === event.fields?.bytes &&
      (message.transport === "datagram" || send.fields?.connection === event.fields?.connection);
    const sameLink = host(send.lane) === event.fields?.from && send.fields?.to === host(event.lane);
    if (!sameSegment || !sameLink || send.time > event.time)
      throw new Error(`${describe} matched the wrong send: #${send.recordIndex} at ${send.time} ${send.text}`);
  });
}

describe("message matching on simulated traces", () => {
  const name = "view: every delivery ends the message of its own send";
  it(name, async () => {
    await fc.assert(
      fc.asyncProperty(workloadArbitrary, async (workload) => checkMatching(await tracedModel(workload))),
      propertyParameters(name, 60),
    );
  });
});
