/**
 * Exports a run's diagram as Chrome Trace Event JSON, for Perfetto
 * (ui.perfetto.dev) and chrome://tracing.
 *
 * Mapping: one process (pid) per lane, named after its host (the world lane is
 * pid 1). On each, thread 1 "records" holds one event per trace record: an
 * instant ("i"), or for a message's send and delivery a zero-length complete
 * event ("X"), which the flow events ("s" at the send, "f" at the delivery,
 * bound to the enclosing slice) join into an arrow. Spans (down, paused,
 * isolated, ...) and operations are complete events on threads of their own,
 * one thread per overlapping row. Violations are also global instants ("s":
 * "g"), a line across every track. Timestamps (`ts`, `dur`) are microseconds of
 * virtual time.
 */
import type { DiagramEvent, DiagramModel } from "./diagram-types.ts";
import { kindCategory } from "./event-text.ts";
import { assignRows } from "./interval-rows.ts";

export interface ChromeTraceEvent {
  name: string;
  ph: "i" | "X" | "s" | "f" | "M";
  pid: number;
  tid: number;
  cat?: string;
  ts?: number;
  dur?: number;
  /** Instant scope: "t" thread, "g" global. */
  s?: "t" | "p" | "g";
  id?: number;
  /** Flow binding point: "e" binds to the enclosing slice. */
  bp?: "e";
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: "ms";
  otherData: Record<string, string | number>;
}

export const RECORDS_THREAD = 1;
/** First thread of a lane's span rows, then of its operation rows. */
export const SPAN_THREAD_FIRST = 10;
export const OPERATION_THREAD_FIRST = 1000;

/** The pid of a lane. */
export function pidOf(lane: number): number {
  return lane + 1;
}

/** Microseconds of virtual time, to the nanosecond. */
function microseconds(timeMs: number): number {
  return Math.round(timeMs * 1_000_000) / 1000;
}

/** The Chrome trace of a diagram. */
export function chromeTraceOf(model: DiagramModel): ChromeTrace {
  const traceEvents: ChromeTraceEvent[] = [];
  const threads = new Map<string, { pid: number; tid: number; name: string }>();
  const useThread = (pid: number, tid: number, name: string) => threads.set(`${pid}/${tid}`, { pid, tid, name });
  model.lanes.forEach((lane, index) => {
    traceEvents.push({ name: "process_name", ph: "M", pid: pidOf(index), tid: 0, args: { name: lane.name } });
    traceEvents.push({ name: "process_sort_index", ph: "M", pid: pidOf(index), tid: 0, args: { sort_index: index } });
    useThread(pidOf(index), RECORDS_THREAD, "records");
  });
  traceEvents.push(...recordEvents(model));
  traceEvents.push(...flowEvents(model));
  const spanRows = assignRows(model.spans);
  model.spans.forEach((span, index) => {
    const tid = SPAN_THREAD_FIRST + (spanRows[index] as number);
    useThread(pidOf(span.lane), tid, `faults & state ${tid - SPAN_THREAD_FIRST + 1}`);
    const args: Record<string, unknown> = { kind: span.kind, openedBy: model.events[span.event]?.recordIndex };
    if (span.open) args.open = true;
    traceEvents.push({
      name: span.label,
      cat: `span.${span.kind}`,
      ph: "X",
      ts: microseconds(span.startMs),
      dur: microseconds(span.endMs - span.startMs),
      pid: pidOf(span.lane),
      tid,
      args,
    });
  });
  const operationRows = assignRows(model.operations);
  model.operations.forEach((operation, index) => {
    const tid = OPERATION_THREAD_FIRST + (operationRows[index] as number);
    useThread(pidOf(operation.lane), tid, `operations ${tid - OPERATION_THREAD_FIRST + 1}`);
    const args = {
      outcome: operation.outcome,
      invoke: model.events[operation.invoke]?.recordIndex,
      complete: operation.complete === undefined ? null : model.events[operation.complete]?.recordIndex,
    };
    traceEvents.push({
      name: `${operation.op} ${operation.outcome}`,
      cat: `operation.${operation.outcome}`,
      ph: "X",
      ts: microseconds(operation.startMs),
      dur: microseconds(operation.endMs - operation.startMs),
      pid: pidOf(operation.lane),
      tid,
      args,
    });
  });
  for (const { pid, tid, name } of threads.values()) {
    traceEvents.push({ name: "thread_name", ph: "M", pid, tid, args: { name } });
    traceEvents.push({ name: "thread_sort_index", ph: "M", pid, tid, args: { sort_index: tid } });
  }
  return {
    traceEvents,
    displayTimeUnit: "ms",
    otherData: {
      title: model.title,
      producer: "dst export --format chrome",
      time: "microseconds of virtual time",
      records: model.events.length,
    },
  };
}

/** One event per record: zero-length slices for message ends (flows bind to them), instants otherwise. */
function recordEvents(model: DiagramModel): ChromeTraceEvent[] {
  const messageEnds = new Set<number>();
  for (const message of model.messages) {
    if (message.end === undefined) continue;
    messageEnds.add(message.send);
    messageEnds.add(message.end);
  }
  const events: ChromeTraceEvent[] = [];
  model.events.forEach((event, position) => {
    const common = {
      name: event.kind,
      cat: kindCategory(event.kind),
      ts: microseconds(event.time),
      pid: pidOf(event.lane),
      tid: RECORDS_THREAD,
      args: argsOf(event),
    };
    events.push(messageEnds.has(position) ? { ...common, ph: "X", dur: 0 } : { ...common, ph: "i", s: "t" });
  });
  for (const violation of model.violations) {
    events.push({
      name: `violation: ${violation.invariant}`,
      cat: "violation",
      ph: "i",
      s: "g",
      ts: microseconds(violation.time),
      pid: pidOf(violation.lane),
      tid: RECORDS_THREAD,
      args: { kind: violation.kind, details: violation.details },
    });
  }
  return events;
}

function argsOf(event: DiagramEvent): Record<string, unknown> {
  return { record: event.recordIndex, ...(event.fields ?? {}) };
}

/** A flow from each delivered (or dropped-at-the-receiver) message's send to its end. */
function flowEvents(model: DiagramModel): ChromeTraceEvent[] {
  const events: ChromeTraceEvent[] = [];
  model.messages.forEach((message, index) => {
    if (message.end === undefined) return;
    const send = model.events[message.send] as DiagramEvent;
    const end = model.events[message.end] as DiagramEvent;
    const cat = `net.${message.transport}`;
    const name = message.outcome === "delivered" ? "message" : `message ${message.outcome}`;
    events.push({
      name,
      cat,
      ph: "s",
      id: index + 1,
      ts: microseconds(send.time),
      pid: pidOf(send.lane),
      tid: RECORDS_THREAD,
    });
    events.push({
      name,
      cat,
      ph: "f",
      bp: "e",
      id: index + 1,
      ts: microseconds(end.time),
      pid: pidOf(end.lane),
      tid: RECORDS_THREAD,
    });
  });
  return events;
}
