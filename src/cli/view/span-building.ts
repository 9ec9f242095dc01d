/**
 * Shaded spans of the diagram: when a host was down (crash or stop until the next
 * start), paused (pause until resume), cut off (isolate or partition until heal),
 * when a link was clogged, a disk faulty, or the links degraded.
 *
 * Process spans come from the process records (`process.crash`, `.stop`, `.start`,
 * `.pause`, `.resume`), which say what actually happened; network and disk spans
 * from the fault records, which carry their durations. `fault.heal-all` (the
 * start of the liveness phase) ends every fault span. A span still open when the
 * trace ends is drawn to its end and flagged open.
 */
import type { DiagramEvent, DiagramSpan, SpanKind } from "./diagram-types.ts";
import { numberText } from "./event-text.ts";

interface SpanState {
  spans: DiagramSpan[];
  down: Map<number, DiagramSpan>;
  paused: Map<number, DiagramSpan>;
  /** Isolations and partitions: all end at the next heal. */
  cuts: DiagramSpan[];
  /** Spans with their own end (clogs, disk faults) that heal-all may end sooner. */
  timed: DiagramSpan[];
  diskFaults: Map<number, DiagramSpan>;
  linkQuality: DiagramSpan | undefined;
}

/** The lanes the span builder needs: a host's lane by name, and the world lane. */
export interface SpanLanes {
  laneOf(host: string): number;
  worldLane: number;
}

/** Builds the spans of a trace whose events end at `endMs`, in order of their start. */
export function buildSpans(events: readonly DiagramEvent[], lanes: SpanLanes, endMs: number): DiagramSpan[] {
  const state: SpanState = {
    spans: [],
    down: new Map(),
    paused: new Map(),
    cuts: [],
    timed: [],
    diskFaults: new Map(),
    linkQuality: undefined,
  };
  for (let position = 0; position < events.length; position++) {
    const event = events[position] as DiagramEvent;
    if (event.kind.startsWith("process.")) processSpan(state, position, event);
    else if (event.kind.startsWith("fault.")) faultSpan(state, position, event, lanes);
  }
  for (const span of state.spans) {
    if (span.endMs === Number.POSITIVE_INFINITY || span.endMs > endMs) {
      span.endMs = Math.max(endMs, span.startMs);
      span.open = true;
    }
  }
  return state.spans;
}

function open(
  state: SpanState,
  kind: SpanKind,
  lane: number,
  position: number,
  event: DiagramEvent,
  label: string,
  endMs = Number.POSITIVE_INFINITY,
): DiagramSpan {
  const span: DiagramSpan = { kind, lane, startMs: event.time, endMs, label, event: position, open: false };
  state.spans.push(span);
  return span;
}

function close(span: DiagramSpan | undefined, time: number): void {
  if (span !== undefined && span.endMs > time) span.endMs = time;
}

function processSpan(state: SpanState, position: number, event: DiagramEvent): void {
  const lane = event.lane;
  switch (event.kind) {
    case "process.crash":
    case "process.stop":
      close(state.paused.get(lane), event.time);
      state.paused.delete(lane);
      if (!state.down.has(lane))
        state.down.set(
          lane,
          open(state, "down", lane, position, event, event.kind === "process.crash" ? "crashed" : "stopped"),
        );
      return;
    case "process.start":
    case "process.restart":
      close(state.down.get(lane), event.time);
      state.down.delete(lane);
      return;
    case "process.pause":
      if (!state.paused.has(lane)) state.paused.set(lane, open(state, "paused", lane, position, event, "paused"));
      return;
    case "process.resume":
      close(state.paused.get(lane), event.time);
      state.paused.delete(lane);
      return;
  }
}

function faultSpan(state: SpanState, position: number, event: DiagramEvent, lanes: SpanLanes): void {
  const fields = event.fields ?? {};
  const duration = typeof fields.durationMs === "number" ? fields.durationMs : 0;
  switch (event.kind) {
    case "fault.isolate":
      if (typeof fields.host === "string")
        state.cuts.push(open(state, "isolated", lanes.laneOf(fields.host), position, event, "isolated"));
      return;
    case "fault.partition":
      partitionSpans(state, position, event, lanes);
      return;
    case "fault.heal":
      healCuts(state, event.time);
      return;
    case "fault.heal-all":
      healAll(state, event.time);
      return;
    case "fault.clog":
      if (typeof fields.from !== "string") return;
      state.timed.push(
        open(
          state,
          "clogged",
          lanes.laneOf(fields.from),
          position,
          event,
          `clogged → ${String(fields.to)}`,
          event.time + duration,
        ),
      );
      return;
    case "fault.disk-faults": {
      if (typeof fields.host !== "string") return;
      const lane = lanes.laneOf(fields.host);
      close(state.diskFaults.get(lane), event.time);
      const span = open(
        state,
        "disk-faults",
        lane,
        position,
        event,
        `disk faults ${ratesText(fields.rates)}`.trimEnd(),
        event.time + duration,
      );
      state.diskFaults.set(lane, span);
      state.timed.push(span);
      return;
    }
    case "fault.link-quality":
      close(state.linkQuality, event.time);
      state.linkQuality = degraded(fields)
        ? open(state, "link-quality", lanes.worldLane, position, event, `links ${ratesText(fields)}`)
        : undefined;
      return;
  }
}

function partitionSpans(state: SpanState, position: number, event: DiagramEvent, lanes: SpanLanes): void {
  const groups = event.fields?.groups;
  if (!Array.isArray(groups)) return;
  const members = groups.map((group) =>
    Array.isArray(group) ? group.filter((host): host is string => typeof host === "string") : [],
  );
  const label = `partition ${members.map((group) => group.join(" ")).join(" | ")}${event.fields?.oneWay === true ? " (one-way)" : ""}`;
  state.cuts.push(open(state, "partitioned", lanes.worldLane, position, event, label));
  for (const host of members.flat())
    state.cuts.push(open(state, "partitioned", lanes.laneOf(host), position, event, label));
}

function healCuts(state: SpanState, time: number): void {
  for (const span of state.cuts) close(span, time);
  state.cuts = [];
}

function healAll(state: SpanState, time: number): void {
  healCuts(state, time);
  for (const span of state.timed) close(span, time);
  state.timed = [];
  state.diskFaults.clear();
  close(state.linkQuality, time);
  state.linkQuality = undefined;
}

function degraded(fields: Record<string, unknown>): boolean {
  return Object.entries(fields).some(
    ([key, value]) =>
      typeof value === "number" && value > 0 && (key.endsWith("Probability") || key.startsWith("latency")),
  );
}

/** `read-error 1.87% sync-error 2.08% torn-writes` from a record of rates. */
function ratesText(rates: unknown): string {
  if (typeof rates !== "object" || rates === null) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(rates as Record<string, unknown>)) {
    const name = key.replace(/Probability$/, "").replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    if (typeof value === "number" && key.endsWith("Probability")) {
      if (value > 0) parts.push(`${name} ${(value * 100).toFixed(2)}%`);
    } else if (value === true) {
      parts.push(name);
    } else if (typeof value === "number") {
      parts.push(`${name} ${numberText(value)}`);
    }
  }
  return parts.join(" ");
}
