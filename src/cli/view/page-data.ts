/**
 * The diagram as compact JSON for the page: columns of numbers instead of one
 * object per event, kinds and texts through tables (many records share a text),
 * and times rounded to the microsecond. A trace of 100,000 records stays a few
 * megabytes, and the page parses it in one `JSON.parse`.
 */
import type { DiagramModel, MessageOutcome, OperationOutcome, SpanKind, ViolationOperations } from "./diagram-types.ts";

/** The order of the coded enumerations: the page decodes them with the same tables. */
export const MESSAGE_OUTCOMES: readonly MessageOutcome[] = ["delivered", "dropped", "lost"];
export const SPAN_KINDS: readonly SpanKind[] = [
  "down",
  "paused",
  "isolated",
  "partitioned",
  "clogged",
  "disk-faults",
  "link-quality",
];
export const OPERATION_OUTCOMES: readonly OperationOutcome[] = ["ok", "fail", "info", "open"];

/** Positions are event positions; -1 stands for "none". */
export interface PageData {
  title: string;
  startMs: number;
  endMs: number;
  lanes: Array<{ name: string; role: string }>;
  kinds: string[];
  texts: string[];
  events: { time: number[]; lane: number[]; kind: number[]; text: number[]; record: number[] | null };
  /** `label`: a code in `texts`, -1 for none. */
  messages: {
    send: number[];
    end: number[];
    from: number[];
    to: number[];
    outcome: number[];
    datagram: number[];
    label: number[];
  };
  spans: {
    kind: number[];
    lane: number[];
    start: number[];
    end: number[];
    label: number[];
    event: number[];
    open: number[];
  };
  operations: {
    lane: number[];
    op: number[];
    start: number[];
    end: number[];
    outcome: number[];
    invoke: number[];
    complete: number[];
  };
  /** `operations` holds positions in `operations` (see ViolationOperations). */
  violations: Array<{
    event: number;
    time: number;
    lane: number;
    invariant: string;
    kind: string;
    details: string;
    operations?: ViolationOperations;
  }>;
  tables: { messageOutcomes: readonly string[]; spanKinds: readonly string[]; operationOutcomes: readonly string[] };
}

/** Time in ms rounded to the microsecond (the page's finest resolution). */
function micro(time: number): number {
  return Math.round(time * 1000) / 1000;
}

/** A table of distinct strings, each coded by its position. */
class StringTable {
  readonly values: string[] = [];
  private readonly codes = new Map<string, number>();
  code(value: string): number {
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.codes.set(value, code);
    }
    return code;
  }
}

/** Encodes a diagram for the page. */
export function pageDataOf(model: DiagramModel): PageData {
  const kinds = new StringTable();
  const texts = new StringTable();
  const events: PageData["events"] = { time: [], lane: [], kind: [], text: [], record: [] };
  let recordsArePositions = true;
  model.events.forEach((event, position) => {
    events.time.push(micro(event.time));
    events.lane.push(event.lane);
    events.kind.push(kinds.code(event.kind));
    events.text.push(texts.code(event.text));
    events.record?.push(event.recordIndex);
    if (event.recordIndex !== position) recordsArePositions = false;
  });
  if (recordsArePositions) events.record = null;
  const messages: PageData["messages"] = { send: [], end: [], from: [], to: [], outcome: [], datagram: [], label: [] };
  for (const message of model.messages) {
    messages.send.push(message.send);
    messages.end.push(message.end ?? -1);
    messages.from.push(message.fromLane);
    messages.to.push(message.toLane);
    messages.outcome.push(MESSAGE_OUTCOMES.indexOf(message.outcome));
    messages.datagram.push(message.transport === "datagram" ? 1 : 0);
    messages.label.push(message.label === undefined ? -1 : texts.code(message.label));
  }
  const spans: PageData["spans"] = { kind: [], lane: [], start: [], end: [], label: [], event: [], open: [] };
  for (const span of model.spans) {
    spans.kind.push(SPAN_KINDS.indexOf(span.kind));
    spans.lane.push(span.lane);
    spans.start.push(micro(span.startMs));
    spans.end.push(micro(span.endMs));
    spans.label.push(texts.code(span.label));
    spans.event.push(span.event);
    spans.open.push(span.open ? 1 : 0);
  }
  const operations: PageData["operations"] = {
    lane: [],
    op: [],
    start: [],
    end: [],
    outcome: [],
    invoke: [],
    complete: [],
  };
  for (const operation of model.operations) {
    operations.lane.push(operation.lane);
    operations.op.push(texts.code(operation.op));
    operations.start.push(micro(operation.startMs));
    operations.end.push(micro(operation.endMs));
    operations.outcome.push(OPERATION_OUTCOMES.indexOf(operation.outcome));
    operations.invoke.push(operation.invoke);
    operations.complete.push(operation.complete ?? -1);
  }
  return {
    title: model.title,
    startMs: micro(model.startMs),
    endMs: micro(model.endMs),
    lanes: model.lanes.map((lane) => ({ name: lane.name, role: lane.role })),
    kinds: kinds.values,
    texts: texts.values,
    events,
    messages,
    spans,
    operations,
    violations: model.violations.map((violation) => ({ ...violation, time: micro(violation.time) })),
    tables: { messageOutcomes: MESSAGE_OUTCOMES, spanKinds: SPAN_KINDS, operationOutcomes: OPERATION_OUTCOMES },
  };
}

/** The data as JSON safe inside a `<script>` element (no `<` can close it). */
export function pageDataJson(data: PageData): string {
  return JSON.stringify(data)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
