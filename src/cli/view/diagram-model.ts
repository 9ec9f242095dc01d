/**
 * Builds the space-time diagram of a run from its trace records: lanes, events,
 * messages, spans, operations and violations (see diagram-types.ts).
 */
import type { TraceRecord } from "../../sim/trace.ts";
import { WORLD_LANE, type DiagramEvent, type DiagramLane, type DiagramModel } from "./diagram-types.ts";
import { fieldsText } from "./event-text.ts";
import { matchMessages } from "./message-matching.ts";
import { buildOperations } from "./operation-building.ts";
import { buildSpans } from "./span-building.ts";
import { buildViolations } from "./violation-building.ts";

/** The shortest time range a diagram shows, in ms (a trace whose records share one instant). */
export const DIAGRAM_RANGE_MS_MIN = 1;

/** Builds the diagram of `records` (any order: they are sorted by time, then index). */
export function buildDiagramModel(records: readonly TraceRecord[], title: string): DiagramModel {
  const sorted = inTimeOrder(records);
  const lanes = laneList(sorted);
  const laneIndex = new Map(lanes.map((lane, index) => [lane.name, index]));
  const laneOf = (host: string): number => {
    let index = laneIndex.get(host);
    if (index === undefined) {
      index = lanes.length;
      lanes.push({ name: host, role: "host" });
      laneIndex.set(host, index);
    }
    return index;
  };
  const events: DiagramEvent[] = sorted.map((record) => ({
    recordIndex: record.index,
    time: record.time,
    lane: laneOf(record.host ?? WORLD_LANE),
    kind: record.kind,
    fields: record.fields,
    text: fieldsText(record.fields),
  }));
  const startMs = sorted[0]?.time ?? 0;
  const endMs = Math.max(sorted[sorted.length - 1]?.time ?? 0, startMs + DIAGRAM_RANGE_MS_MIN);
  const hostOf = (lane: number): string => lanes[lane]?.name ?? WORLD_LANE;
  const operations = buildOperations(events, endMs);
  return {
    title,
    startMs,
    endMs,
    lanes,
    events,
    messages: matchMessages(events, laneOf, hostOf),
    spans: buildSpans(events, { laneOf, worldLane: laneOf(WORLD_LANE) }, endMs),
    operations,
    violations: buildViolations(events, operations),
  };
}

function inTimeOrder(records: readonly TraceRecord[]): readonly TraceRecord[] {
  for (let i = 1; i < records.length; i++) {
    const previous = records[i - 1] as TraceRecord;
    const current = records[i] as TraceRecord;
    if (current.time < previous.time || (current.time === previous.time && current.index < previous.index)) {
      return [...records].sort((a, b) => a.time - b.time || a.index - b.index);
    }
  }
  return records;
}

/**
 * The lanes: the world lane first, then hosts in order of their first record,
 * then hosts only named in fields (a message's `to` or `from`, a fault's `host`).
 */
function laneList(records: readonly TraceRecord[]): DiagramLane[] {
  const names = new Set<string>([WORLD_LANE]);
  for (const record of records) if (record.host !== undefined) names.add(record.host);
  for (const record of records) {
    const fields = record.fields;
    if (fields === undefined || !(record.kind.startsWith("net.") || record.kind.startsWith("fault."))) continue;
    for (const key of ["to", "from", "host"]) {
      const value = fields[key];
      if (typeof value === "string") names.add(value);
    }
    if (Array.isArray(fields.groups)) {
      for (const group of fields.groups)
        if (Array.isArray(group)) for (const host of group) if (typeof host === "string") names.add(host);
    }
  }
  return [...names].map((name) => ({ name, role: name === WORLD_LANE ? "world" : "host" }));
}
