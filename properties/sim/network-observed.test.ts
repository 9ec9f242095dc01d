/**
 * Network properties judged from what was observed: each datagram and stream byte
 * as the processes sent and received it (_support/network-workload.ts), against the
 * fault plan the test applied, modelled in the test (_support/fault-timeline.ts).
 * Nothing here reads the Links, the Network or the Hosts under test, so a bug in
 * their tables cannot also vouch for itself.
 *
 * Invariants, one sentence each:
 * - No datagram arrives that was not sent, changed, at another host, or across a link the plan blocked at its send or
 *   its arrival; no stream byte is read after a partition cut its pair since the connection was accepted.
 * - Nothing is handed to an incarnation the plan has crashed or paused, and no stream byte is read after its writer's
 *   incarnation crashed.
 * - A datagram sent while the plan clogs its link arrives no earlier than the clog's end.
 * - A datagram sent on a link the plan keeps open and loss-free for its whole flight, to a receiver that runs
 *   throughout, arrives; a stream between hosts the plan never cuts, crashes, pauses or clogs, and whose links stay
 *   fast enough for its dial and its bytes, delivers every byte.
 * - A datagram arrives no sooner than the least latency its link had at its send, and, to a receiver running
 *   throughout, no later than the most latency it had then (or an earlier datagram on the FIFO link had), a clog or a
 *   reorder allow: a latency change reaches only what is sent after it, on its own link.
 * - Per link, as the plan set its quality at the send: no datagram arrives more than twice, none twice without
 *   duplication, and without reordering they arrive in the order sent.
 * - Faults undone by their own duration (an isolation from some hosts or all, both ways or outbound only, possibly
 *   nested in another; a crash restarted after a while) block and restore exactly their own links and hosts: the three
 *   properties above hold on plans full of them.
 *
 * Each property runs on the shipping world and on broken link tables and networks
 * (_fixtures/kernel-networks.ts), which it must catch.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { faultPlanArbitrary } from "../../src/sim/faults/arbitrary.ts";
import { normalizePlan, type FaultEvent, type FaultPlan } from "../../src/sim/faults/plan.ts";
import {
  clogOnReverseLinkWorld,
  crashKeepsDatagramHandlersWorld,
  duplicatingLinksWorld,
  healLeavesOneLinkWorld,
  latencyIgnoredWorld,
  latencyOnEveryLinkWorld,
  latencyReachesInFlightWorld,
  lossyLinksWorld,
  oneWayReversedWorld,
  partitionBlindWorld,
  partitionForgetsDirectionWorld,
  partitionKeepsStreamsWorld,
  pausedHostsReceiveWorld,
  qualityOnReverseLinkWorld,
  reorderingDatagramsWorld,
  undoOpensSharedLinksWorld,
} from "./_fixtures/kernel-networks.ts";
import { DEFAULT_LATENCY_MS_MEAN, FaultTimeline } from "./_support/fault-timeline.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import {
  DIAL_TIMEOUT_MS,
  HEADER_BYTES,
  HOSTS,
  readHeader,
  runWorkload,
  workloadArbitrary,
  type DatagramEvent,
  type DatagramSpec,
  type HostName,
  type NetworkWorkload,
  type Observed,
  type StreamSpec,
} from "./_support/network-workload.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

/** The longest extra delay of a reordered datagram (plans change latency, never this). */
const REORDER_DELAY_MS_MAX = 5;
const RUN_MS = 2500;

/** A link of its own quality and latency for a while (TigerBeetle's packet simulator degrades paths). */
const linkEpisode: fc.Arbitrary<FaultEvent[]> = fc
  .record({
    atMs: fc.integer({ min: 0, max: 1000 }),
    durationMs: fc.integer({ min: 1, max: 500 }),
    pair: fc.tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS)).filter(([from, to]) => from !== to),
    loss: fc.constantFrom(0, 0, 0.3),
    duplicate: fc.constantFrom(0, 0, 0.3),
    reorder: fc.constantFrom(0, 0, 0.5),
    latency: fc.constantFrom(undefined, undefined, 2, 40),
  })
  .map(({ atMs, durationMs, pair: [from, to], loss, duplicate, reorder, latency }): FaultEvent[] => [
    {
      atMs,
      kind: "link-quality",
      from,
      to,
      lossProbability: loss,
      duplicateProbability: duplicate,
      reorderProbability: reorder,
      ...(latency === undefined ? {} : { latencyMsMean: latency }),
    },
    {
      atMs: atMs + durationMs,
      kind: "link-quality",
      from,
      to,
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
      ...(latency === undefined ? {} : { latencyMsMean: DEFAULT_LATENCY_MS_MEAN }),
    },
  ]);

/**
 * Faults undone by their own duration, as fault shapes make them: an isolation from
 * some hosts or all, both ways or outbound only (overlapping ones must not open a link
 * another still blocks), and a crash restarted after a while.
 */
const ownUndoEvent: fc.Arbitrary<FaultEvent> = fc.oneof(
  fc
    .record({
      atMs: fc.integer({ min: 0, max: 1000 }),
      host: fc.constantFrom(...HOSTS),
      from: fc.option(fc.subarray([...HOSTS], { minLength: 1 }), { nil: undefined }),
      outbound: fc.boolean(),
      durationMs: fc.integer({ min: 1, max: 600 }),
    })
    .map(
      ({ atMs, host, from, outbound, durationMs }): FaultEvent => ({
        atMs,
        kind: "isolate",
        host,
        durationMs,
        ...(from === undefined ? {} : { from }),
        ...(outbound ? { outbound } : {}),
      }),
    ),
  fc
    .record({
      atMs: fc.integer({ min: 0, max: 1000 }),
      host: fc.constantFrom(...HOSTS),
      durationMs: fc.integer({ min: 1, max: 600 }),
    })
    .map(({ atMs, host, durationMs }): FaultEvent => ({ atMs, kind: "crash", host, durationMs })),
);

/**
 * A host isolated twice, the second time briefly inside the first: the first still holds the links when the second
 * ends.
 */
const nestedIsolations: fc.Arbitrary<FaultEvent[]> = fc
  .record({
    atMs: fc.integer({ min: 0, max: 600 }),
    host: fc.constantFrom(...HOSTS),
    outbound: fc.boolean(),
    innerAfterMs: fc.integer({ min: 0, max: 200 }),
    innerMs: fc.integer({ min: 1, max: 200 }),
    outerAfterInnerMs: fc.integer({ min: 50, max: 400 }),
  })
  .map(({ atMs, host, outbound, innerAfterMs, innerMs, outerAfterInnerMs }): FaultEvent[] => [
    {
      atMs,
      kind: "isolate",
      host,
      durationMs: innerAfterMs + innerMs + outerAfterInnerMs,
      ...(outbound ? { outbound } : {}),
    },
    { atMs: atMs + innerAfterMs, kind: "isolate", host, durationMs: innerMs },
  ]);

/** Every kind of fault of the plan arbitrary, plus links degraded one by one. */
const planArbitrary: fc.Arbitrary<FaultPlan> = fc
  .tuple(faultPlanArbitrary({ hosts: HOSTS, durationMs: 1000 }), fc.array(linkEpisode, { maxLength: 3 }))
  .map(([plan, episodes]) => normalizePlan({ ...plan, faults: [...plan.faults, ...episodes.flat()] }));

/** The network faults of the plan arbitrary, plus faults undone by their own duration, some nested in others. */
const ownUndoPlanArbitrary: fc.Arbitrary<FaultPlan> = fc
  .tuple(
    faultPlanArbitrary({ hosts: HOSTS, durationMs: 1000, kinds: ["partition", "isolate", "crash"] }),
    fc.array(ownUndoEvent, { maxLength: 4 }),
    fc.array(nestedIsolations, { maxLength: 2 }),
  )
  .map(([plan, ownUndo, nested]) => normalizePlan({ ...plan, faults: [...plan.faults, ...ownUndo, ...nested.flat()] }));

const observedWorkload = workloadArbitrary(undefined, {
  streamsMin: 2,
  streamsMax: 6,
  datagramsMin: 40,
  datagramsMax: 80,
  plan: planArbitrary,
});
const ownUndoWorkload = workloadArbitrary(undefined, {
  streamsMin: 2,
  streamsMax: 6,
  datagramsMin: 40,
  datagramsMax: 80,
  plan: ownUndoPlanArbitrary,
});

/** One link's latency stepped a few times, then restored: a link growing slow, then slower, or faster again. */
const latencySteps: fc.Arbitrary<FaultEvent[]> = fc
  .record({
    atMs: fc.integer({ min: 0, max: 1000 }),
    stepMs: fc.integer({ min: 1, max: 200 }),
    pair: fc.tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...HOSTS)).filter(([from, to]) => from !== to),
    means: fc.array(fc.constantFrom(2, 40, 150), { minLength: 1, maxLength: 3 }),
  })
  .map(({ atMs, stepMs, pair: [from, to], means }): FaultEvent[] => [
    ...means.map(
      (latencyMsMean, step): FaultEvent => ({
        atMs: atMs + step * stepMs,
        kind: "link-quality",
        from,
        to,
        latencyMsMean,
      }),
    ),
    { atMs: atMs + means.length * stepMs, kind: "link-quality", from, to, latencyMsMean: DEFAULT_LATENCY_MS_MEAN },
  ]);

/** Every kind of fault of the plan arbitrary and links degraded one by one, plus latency stepped on some links. */
const latencyPlanArbitrary: fc.Arbitrary<FaultPlan> = fc
  .tuple(planArbitrary, fc.array(latencySteps, { minLength: 1, maxLength: 3 }))
  .map(([plan, steps]) => normalizePlan({ ...plan, faults: [...plan.faults, ...steps.flat()] }));

/** Datagrams sent on each one-link latency change's link shortly before it, so that it lands while they fly. */
function withSendsBeforeChanges(workload: NetworkWorkload, offsetsMs: readonly number[]): NetworkWorkload {
  const sends: DatagramSpec[] = workload.plan.faults.flatMap((event) => {
    if (
      event.kind !== "link-quality" ||
      event.latencyMsMean === undefined ||
      event.from === undefined ||
      event.to === undefined
    )
      return [];
    const [from, to] = [event.from as HostName, event.to as HostName];
    return offsetsMs.map((offsetMs) => ({ atMs: Math.max(0, event.atMs - offsetMs), from, to }));
  });
  return { ...workload, datagrams: [...workload.datagrams, ...sends] };
}

const latencyWorkload: fc.Arbitrary<NetworkWorkload> = fc
  .tuple(
    workloadArbitrary(undefined, { streamsMax: 2, datagramsMin: 20, datagramsMax: 60, plan: latencyPlanArbitrary }),
    fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true })), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([workload, offsetsMs]) => withSendsBeforeChanges(workload, offsetsMs));

interface Judged {
  workload: NetworkWorkload;
  observed: Observed;
  timeline: FaultTimeline;
}

async function observe(makeWorld: WorldFactory, workload: NetworkWorkload): Promise<Judged> {
  const { observed } = await runWorkload(makeWorld, workload, { untilMs: RUN_MS });
  return { workload, observed, timeline: new FaultTimeline({ hosts: HOSTS, plan: workload.plan }) };
}

function sendOf({ observed }: Judged, receipt: DatagramEvent): DatagramEvent {
  const sends = observed.datagramsSent.filter((send) => send.index === receipt.index);
  invariant(
    sends.length === 1,
    () => `datagram ${receipt.index} arrived at ${receipt.to} (t=${receipt.time}) but was sent ${sends.length} times`,
  );
  return sends[0] as DatagramEvent;
}

function describeDatagram(send: DatagramEvent): string {
  return `datagram ${send.index} ${send.from}->${send.to} sent at t=${send.time}`;
}

// ---------------------------------------------------------------------------
// Nothing crosses a cut link

function checkNoCrossing(judged: Judged): void {
  const { timeline, observed } = judged;
  for (const receipt of observed.datagramsReceived) {
    const send = sendOf(judged, receipt);
    const what = describeDatagram(send);
    invariant(
      receipt.from === send.from && receipt.to === send.to,
      () => `${what} arrived as ${receipt.from}->${receipt.to}`,
    );
    invariant(receipt.intact === true, () => `${what} arrived changed`);
    invariant(receipt.time >= send.time, () => `${what} arrived before it was sent, at t=${receipt.time}`);
    invariant(
      !timeline.surelyBlocked(send.from, send.to, send.time),
      () => `${what} crossed a link the plan blocked at its send`,
    );
    invariant(
      !timeline.surelyBlocked(send.from, send.to, receipt.time),
      () => `${what} crossed a link the plan blocked at its arrival (t=${receipt.time})`,
    );
  }
  for (const receipt of observed.streams) {
    const index = readHeader(receipt.bytes.view());
    const lastRead = receipt.reads.at(-1);
    if (index === undefined || lastRead === undefined) continue;
    const cuts = timeline.cutsBetween(receipt.from, receipt.to, receipt.acceptedAt, lastRead.time);
    const late = receipt.reads.find((read) => cuts.some((cut) => cut < read.time));
    invariant(
      late === undefined,
      () =>
        `stream ${index} ${receipt.from}->${receipt.to} (accepted at t=${receipt.acceptedAt}) read bytes at t=${late?.time} after the plan cut its pair at t=${cuts[0]}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Nothing reaches a crashed or paused incarnation; nothing comes from a crashed writer

function checkNoDeliveryToStopped({ timeline, observed }: Judged): void {
  for (const send of observed.datagramsSent) {
    invariant(
      !timeline.surelyNotRunning(send.from, send.incarnation, send.time),
      () => `${describeDatagram(send)} by incarnation ${send.incarnation}, which the plan had crashed or paused`,
    );
  }
  for (const receipt of observed.datagramsReceived) {
    invariant(
      !timeline.surelyNotRunning(receipt.to, receipt.incarnation, receipt.time),
      () =>
        `datagram ${receipt.index} was handed at t=${receipt.time} to incarnation ${receipt.incarnation} of ${receipt.to}, which the plan had crashed or paused`,
    );
  }
  for (const receipt of observed.streams) {
    const index = readHeader(receipt.bytes.view());
    const writer = index === undefined ? undefined : observed.writers.get(index);
    for (const read of receipt.reads) {
      invariant(
        !timeline.surelyNotRunning(receipt.to, receipt.incarnation, read.time),
        () =>
          `stream ${index} bytes were read at t=${read.time} by incarnation ${receipt.incarnation} of ${receipt.to}, which the plan had crashed or paused`,
      );
      if (writer === undefined) continue;
      // A crash resets the connections still open; what a writer sent before closing may still arrive.
      const crash = timeline
        .hostChangesDuring(receipt.from, receipt.acceptedAt, read.time)
        .find(
          (change) =>
            change.kind === "crash" &&
            change.incarnation === writer.incarnation &&
            change.time > receipt.acceptedAt &&
            change.time < read.time &&
            (writer.endedAt === undefined || writer.endedAt > change.time),
        );
      invariant(
        crash === undefined,
        () =>
          `stream ${index} bytes were read at t=${read.time}, after its writer ${receipt.from} crashed at t=${crash?.time} with the connection open`,
      );
    }
  }
}

// ---------------------------------------------------------------------------
// A clog holds its link

function checkClogHolds(judged: Judged): void {
  for (const receipt of judged.observed.datagramsReceived) {
    const send = sendOf(judged, receipt);
    const until = judged.timeline.surelyHeldUntil(send.from, send.to, send.time);
    invariant(
      receipt.time >= until,
      () =>
        `${describeDatagram(send)} arrived at t=${receipt.time}, before the plan's clog of its link ended at t=${until}`,
    );
  }
}

// ---------------------------------------------------------------------------
// What must arrive arrives

/**
 * The latest a datagram sent at `time` may arrive, given the plan's clogs and quality of
 * its link: behind a clog, or after the latency in force at its send (or behind an earlier
 * datagram on the FIFO link that drew more), plus the extra delay of a reordered one.
 */
function flightEnd(timeline: FaultTimeline, send: DatagramEvent): number {
  const held = Math.max(
    timeline.clogCeiling(send.from, send.to, send.time),
    timeline.latestInOrderArrival(send.from, send.to, send.time),
  );
  const reorder =
    timeline.qualityBound(send.from, send.to, send.time).reorderProbability > 0 ? REORDER_DELAY_MS_MAX : 0;
  return held + reorder;
}

/** The incarnation of `host` that runs throughout [start, end], by the plan; undefined if none does. */
function runningThroughout(timeline: FaultTimeline, host: string, start: number, end: number): number | undefined {
  const state = timeline.before(start).hosts.get(host);
  if (state === undefined || !state.up || state.paused || timeline.hostChangesDuring(host, start, end).length > 0)
    return undefined;
  return state.incarnation;
}

function checkDatagramsArrive({ timeline, observed }: Judged): void {
  for (const send of observed.datagramsSent) {
    const end = flightEnd(timeline, send);
    const receiver = runningThroughout(timeline, send.to, send.time, end);
    if (timeline.qualityBound(send.from, send.to, send.time).lossProbability > 0) continue;
    if (end >= RUN_MS || receiver === undefined || !timeline.openThroughout(send.from, send.to, send.time, end))
      continue;
    const arrivals = observed.datagramsReceived.filter(
      (receipt) => receipt.index === send.index && receipt.incarnation === receiver,
    );
    invariant(
      arrivals.length > 0,
      () =>
        `${describeDatagram(send)} never arrived, on a link the plan kept open and loss-free until t=${end}, to a receiver running throughout`,
    );
  }
}

/** The most any host's clock drifts in the plan (a host-local wait lasts up to 1 / (1 - drift) of its length). */
function driftMax(plan: FaultPlan): number {
  return Math.max(0, ...plan.faults.map((event) => (event.kind === "clock-skew" ? Math.abs(event.drift ?? 0) : 0)));
}

/**
 * The stream's dial and bytes fit the run at the most latency the plan sets on its links
 * from the dial on: the round trip within the dial's timeout, the last byte and the
 * end-of-stream by the run's end (one round trip, the writer's gaps, one more flight).
 */
function streamFitsLatency(judged: Judged, spec: StreamSpec, dialAt: number): boolean {
  const { timeline, workload } = judged;
  const latencyMs = Math.max(
    timeline.latencyMsMaxDuring(spec.from, spec.to, dialAt, RUN_MS),
    timeline.latencyMsMaxDuring(spec.to, spec.from, dialAt, RUN_MS),
  );
  const drift = driftMax(workload.plan);
  const gapsMs = spec.chunks.reduce((sum, chunk) => sum + chunk.gapMs, 0) / (1 - drift);
  return 2 * latencyMs < DIAL_TIMEOUT_MS / (1 + drift) && dialAt + 3 * latencyMs + gapsMs < RUN_MS;
}

function checkStreamsComplete(judged: Judged): void {
  const { timeline, observed, workload } = judged;
  for (const [index, writer] of observed.writers) {
    const spec = workload.streams[index];
    if (spec === undefined || !streamFitsLatency(judged, spec, writer.dialAt)) continue;
    const { from, to } = spec;
    const untouched =
      runningThroughout(timeline, from, writer.dialAt, RUN_MS) !== undefined &&
      runningThroughout(timeline, to, writer.dialAt, RUN_MS) !== undefined &&
      timeline.openThroughout(from, to, writer.dialAt, RUN_MS) &&
      timeline.openThroughout(to, from, writer.dialAt, RUN_MS) &&
      timeline.clogCeiling(from, to, RUN_MS) <= writer.dialAt &&
      timeline.clogCeiling(to, from, RUN_MS) <= writer.dialAt;
    if (!untouched) continue;
    const what = `stream ${index} ${from}->${to} dialed at t=${writer.dialAt}, which the plan never touched`;
    invariant(
      writer.outcome === (spec.abort ? "reset" : "closed"),
      () => `${what} ended its writer with ${writer.outcome}`,
    );
    // An abortive close discards what is still in flight: only a closed stream must arrive whole.
    if (spec.abort) continue;
    const total = spec.chunks.reduce((sum, chunk) => sum + chunk.bytes, 0) + HEADER_BYTES;
    const receipt = observed.streams.find((candidate) => readHeader(candidate.bytes.view()) === index);
    invariant(receipt !== undefined, () => `${what} never reached its reader`);
    invariant(
      receipt.outcome === "eof" && receipt.bytes.length === total,
      () => `${what} delivered ${receipt.bytes.length} of ${total} bytes, then ${receipt.outcome}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Each datagram takes the latency its link had at its send

function checkLatency(judged: Judged): void {
  const { timeline, observed } = judged;
  for (const receipt of observed.datagramsReceived) {
    const send = sendOf(judged, receipt);
    const { minMs } = timeline.latencyBound(send.from, send.to, send.time);
    invariant(
      receipt.time >= send.time + minMs,
      () =>
        `${describeDatagram(send)} arrived at t=${receipt.time}, sooner than the ${minMs} ms its link's latency allows at the send`,
    );
    // A paused receiver holds what arrives: only one running throughout must take it in time.
    const end = flightEnd(timeline, send);
    if (runningThroughout(timeline, receipt.to, send.time, end) !== receipt.incarnation) continue;
    invariant(
      receipt.time <= end,
      () =>
        `${describeDatagram(send)} arrived at t=${receipt.time}, after t=${end}, the latest its link's latency (${timeline.latencyBound(send.from, send.to, send.time).maxMs} ms at most at the send) and clogs allow`,
    );
  }
}

// ---------------------------------------------------------------------------
// Each link keeps its declared quality

function checkLinkQuality(judged: Judged): void {
  const { timeline, observed } = judged;
  const arrivals = new Map<number, number[]>();
  observed.datagramsReceived.forEach((receipt, position) =>
    arrivals.set(receipt.index, [...(arrivals.get(receipt.index) ?? []), position]),
  );
  const lastOnLink = new Map<string, { send: DatagramEvent; position: number }>();
  for (const send of observed.datagramsSent) {
    const positions = arrivals.get(send.index) ?? [];
    const quality = timeline.qualityBound(send.from, send.to, send.time);
    invariant(positions.length <= 2, () => `${describeDatagram(send)} arrived ${positions.length} times`);
    invariant(
      positions.length <= 1 || quality.duplicateProbability > 0,
      () => `${describeDatagram(send)} arrived twice on a link the plan never let duplicate`,
    );
    if (quality.reorderProbability > 0 || positions.length === 0) continue;
    const link = `${send.from}>${send.to}`;
    const previous = lastOnLink.get(link);
    const first = Math.min(...positions);
    invariant(
      previous === undefined || previous.position < first,
      () =>
        `${describeDatagram(send)} overtook datagram ${previous?.send.index} (sent at t=${previous?.send.time}) on a link the plan never let reorder`,
    );
    lastOnLink.set(link, { send, position: Math.max(...positions) });
  }
}

// ---------------------------------------------------------------------------

type Check = (judged: Judged) => void;

function observedProperty(
  check: Check,
  makeWorld: WorldFactory,
  workloads = observedWorkload,
): fc.IAsyncProperty<[NetworkWorkload]> {
  return fc.asyncProperty(workloads, async (workload) => check(await observe(makeWorld, workload)));
}

const RUNS = 40;

const properties: Array<{
  name: string;
  title: string;
  check: Check;
  broken: Array<[string, WorldFactory]>;
  workloads?: fc.Arbitrary<NetworkWorkload>;
}> = [
  {
    name: "sim.network.own-undo",
    title:
      "faults undone by their own duration (isolations from some hosts or outbound only, nested; crashes restarted) cut and restore exactly their links and hosts",
    check: (judged) => {
      checkNoCrossing(judged);
      checkNoDeliveryToStopped(judged);
      checkDatagramsArrive(judged);
    },
    broken: [
      ["an isolation's own undo that opens links another fault still blocks", undoOpensSharedLinksWorld],
      ["a heal that leaves one link cut", healLeavesOneLinkWorld],
    ],
    workloads: ownUndoWorkload,
  },
  {
    name: "sim.network.no-crossing",
    title: "no datagram or stream byte crosses a link the plan cut",
    check: checkNoCrossing,
    broken: [
      ["links that ignore partitions", partitionBlindWorld],
      ["a link table that forgets one direction of a partition", partitionForgetsDirectionWorld],
      ["a one-way partition that cuts the reverse links", oneWayReversedWorld],
      ["a partition that resets none of the streams it cuts", partitionKeepsStreamsWorld],
    ],
  },
  {
    name: "sim.network.no-delivery-to-stopped",
    title: "nothing reaches a crashed or paused incarnation, nothing comes from a crashed writer",
    check: checkNoDeliveryToStopped,
    broken: [
      ["datagrams handed to a paused host", pausedHostsReceiveWorld],
      ["a crash that leaves the host's datagram handlers registered", crashKeepsDatagramHandlersWorld],
    ],
  },
  {
    name: "sim.network.clog-holds",
    title: "a datagram sent into a clog arrives after it",
    check: checkClogHolds,
    broken: [["a clog on the reverse link", clogOnReverseLinkWorld]],
  },
  {
    name: "sim.network.must-deliver",
    title: "what an open, loss-free link carries to a running host arrives",
    check: (judged) => {
      checkDatagramsArrive(judged);
      checkStreamsComplete(judged);
    },
    broken: [
      ["a heal that leaves one link cut", healLeavesOneLinkWorld],
      ["a one-way partition that cuts the reverse links", oneWayReversedWorld],
      ["a link's quality set on the reverse link", qualityOnReverseLinkWorld],
      ["links that lose datagrams whatever their quality", lossyLinksWorld],
    ],
  },
  {
    name: "sim.network.latency",
    title: "each datagram arrives within the latency the plan set on its link when it was sent",
    check: checkLatency,
    broken: [
      ["links that ignore latency changes", latencyIgnoredWorld],
      ["a link's latency change applied to every link", latencyOnEveryLinkWorld],
      ["a link's quality set on the reverse link", qualityOnReverseLinkWorld],
      ["a latency change that also slows datagrams already in flight", latencyReachesInFlightWorld],
    ],
    workloads: latencyWorkload,
  },
  {
    name: "sim.network.link-quality",
    title: "each link duplicates and reorders only as the plan set its quality",
    check: checkLinkQuality,
    broken: [
      ["a link's quality set on the reverse link", qualityOnReverseLinkWorld],
      ["links that duplicate whatever their quality", duplicatingLinksWorld],
      ["links that reorder whatever their quality", reorderingDatagramsWorld],
    ],
  },
];

for (const { name, title, check, broken, workloads } of properties) {
  describe(`${name}: ${title}, judged from the plan and what was observed`, () => {
    it("holds for the world", async () => {
      await fc.assert(observedProperty(check, realWorld, workloads), propertyParameters(name, RUNS));
    });
    it.each(broken)("catches %s", async (_label, makeWorld) => {
      await expectCaught(observedProperty(check, makeWorld, workloads), name, RUNS);
    });
  });
}
