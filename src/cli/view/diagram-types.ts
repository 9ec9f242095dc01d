/**
 * The space-time diagram of one run, as data: lanes (one per host, plus a "world"
 * lane for records about no host), the records as events on them, messages as
 * arrows from a send to its delivery, shaded spans (down, paused, isolated, ...),
 * client operations as bars, and violations.
 *
 * Every reference to an event is its position in `events` (sorted by time, then
 * by record index), never the trace record's own `index`: a kept trace may have
 * dropped its oldest records.
 */

/**
 * The name of the lane that holds records about no host (phases, global faults); no host can have it (host names are
 * kebab-case).
 */
export const WORLD_LANE = "(world)";

export interface DiagramLane {
  name: string;
  /** "world" for the lane of host-less records, "host" otherwise. */
  role: "world" | "host";
}

export interface DiagramEvent {
  /** The trace record's own index. */
  recordIndex: number;
  /** Virtual time in milliseconds. */
  time: number;
  /** Position of the lane in `DiagramModel.lanes`. */
  lane: number;
  kind: string;
  /** The record's fields (kept for exports; the page shows `text`). */
  fields: Record<string, unknown> | undefined;
  /** The fields as one short, searchable line: `connection=1 to=n1 bytes=23`. */
  text: string;
}

export type MessageTransport = "stream" | "datagram";

/**
 * What became of a message: delivered, dropped (by a fault or a dead receiver), or never delivered before the trace
 * ended or the stream reset.
 */
export type MessageOutcome = "delivered" | "dropped" | "lost";

export interface DiagramMessage {
  transport: MessageTransport;
  /** Event position of the send. */
  send: number;
  /** Event position of the delivery or of the drop at the receiver; absent when neither was recorded. */
  end: number | undefined;
  fromLane: number;
  toLane: number;
  outcome: MessageOutcome;
  /** The stream's connection id (streams only). */
  connection?: number;
  /** What the message carries, for its arrow: an RPC frame's method and type (see message-labels.ts). */
  label?: string;
}

/** What a shaded span means. */
export type SpanKind = "down" | "paused" | "isolated" | "partitioned" | "clogged" | "disk-faults" | "link-quality";

export interface DiagramSpan {
  kind: SpanKind;
  lane: number;
  startMs: number;
  endMs: number;
  /** One line for the diagram and the event list, e.g. "partition n1 | n2 n3". */
  label: string;
  /** Event position of the record that opened the span. */
  event: number;
  /** True when the trace ended before the span did. */
  open: boolean;
}

/** Jepsen's outcomes: ok, fail (certainly no effect), info (unknown); open if never completed. */
export type OperationOutcome = "ok" | "fail" | "info" | "open";

export interface DiagramOperation {
  lane: number;
  /** The operation's name (the record's `op` field, or taken from its kind). */
  op: string;
  startMs: number;
  endMs: number;
  outcome: OperationOutcome;
  /** Event position of the invocation (of the completion, for a completion without one). */
  invoke: number;
  /** Event position of the completion, if any. */
  complete: number | undefined;
}

/** The operations a linearizability violation names, as positions in `DiagramModel.operations`. */
export interface ViolationOperations {
  /** The failing partition (the key), when the model partitions. */
  key?: string;
  /** The operation that cannot be placed after the prefix. */
  unplaceable?: number;
  /** The longest linearizable prefix, in linearization order. */
  linearized: number[];
  /** The operations that cannot come next (the unplaceable one among them). */
  blocked: number[];
  /** Every operation of the failing partition, in order of invocation. */
  operations: number[];
}

export interface DiagramViolation {
  /** Event position of the violation record. */
  event: number;
  time: number;
  lane: number;
  invariant: string;
  /** safety, liveness or kernel. */
  kind: string;
  details: string;
  /** Set for a linearizability violation whose record names its operations (scenarios/harness/history-check.ts). */
  operations?: ViolationOperations;
}

export interface DiagramModel {
  title: string;
  /** Virtual time range shown at full zoom-out, in milliseconds. */
  startMs: number;
  endMs: number;
  lanes: DiagramLane[];
  events: DiagramEvent[];
  messages: DiagramMessage[];
  spans: DiagramSpan[];
  operations: DiagramOperation[];
  violations: DiagramViolation[];
}
