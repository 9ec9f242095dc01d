/**
 * The trace → diagram model (src/cli/view/diagram-model.ts and its parts).
 *
 * Invariants, one sentence each:
 * - Lanes are the world lane, then each host in order of its first record, then hosts only named in fields.
 * - The k-th stream delivery from A to B on a connection ends the k-th send from A to B on it; sends never delivered
 *   are "lost".
 * - A numbered message-channel delivery ends the send of its number, however messages were reordered; a duplicate ends
 *   nothing; a loss makes its send "dropped".
 * - An RPC frame's arrow is labelled with the kind its sender named, else its call's method (and its type, but for
 *   requests and notifications),
 *   in both wire modes (a frames-mode segment carries its frame's label); other byte segments are not labelled.
 * - A datagram delivery or receiver-side drop ends the pending send on its link and port that arrives at that time
 *   (else the earliest that arrived), so reordering and duplicates pair correctly.
 * - Crash → start, pause → resume, isolate/partition → heal, and timed faults become spans; heal-all ends every fault
 *   span; a span still on at the end is open.
 * - Operations pair invocation and completion by host and id (else by name, first in first out), with Jepsen outcomes.
 * - Every violation record is a violation of the model, with its invariant and details.
 * - A linearizability violation's operation ids become the positions of those operations (ids the trace lacks are left
 *   out).
 */
import { describe, expect, it } from "vitest";
import { buildDiagramModel } from "../../../src/cli/view/diagram-model.ts";
import { WORLD_LANE, type DiagramModel } from "../../../src/cli/view/diagram-types.ts";
import { operationPhase } from "../../../src/cli/view/operation-building.ts";
import type { TraceRecord } from "../../../src/sim/trace.ts";
import { KEY_IDS, LINEARIZED_IDS, linearizabilityTrace, UNPLACEABLE_ID } from "./_support/linearizability-trace.ts";

type Row = [time: number, host: string | undefined, kind: string, fields?: Record<string, unknown>];

function model(rows: Row[]): DiagramModel {
  const records = rows.map(([time, host, kind, fields], index): TraceRecord => {
    const record: TraceRecord = { index, time, kind };
    if (host !== undefined) record.host = host;
    if (fields !== undefined) record.fields = fields;
    return record;
  });
  return buildDiagramModel(records, "test");
}

const laneNames = (diagram: DiagramModel) => diagram.lanes.map((lane) => lane.name);
const recordOf = (diagram: DiagramModel, position: number | undefined) =>
  position === undefined ? undefined : diagram.events[position]?.recordIndex;

describe("lanes", () => {
  it("world first, hosts by first record, then hosts only named in fields", () => {
    const diagram = model([
      [0, "n2", "process.start"],
      [0, undefined, "phase.safety"],
      [1, "n1", "process.start"],
      [2, "n1", "net.stream.send", { connection: 1, to: "n9", bytes: 3 }],
    ]);
    expect(laneNames(diagram)).toEqual([WORLD_LANE, "n2", "n1", "n9"]);
    expect(diagram.lanes[0]?.role).toBe("world");
    expect(diagram.events.map((event) => diagram.lanes[event.lane]?.name)).toEqual(["n2", WORLD_LANE, "n1", "n1"]);
  });

  it("sorts records given out of order by time, then index", () => {
    const records: TraceRecord[] = [
      { index: 1, time: 5, kind: "b", host: "a" },
      { index: 0, time: 5, kind: "a", host: "a" },
      { index: 2, time: 1, kind: "c", host: "a" },
    ];
    const diagram = buildDiagramModel(records, "test");
    expect(diagram.events.map((event) => event.kind)).toEqual(["c", "a", "b"]);
    expect(diagram.startMs).toBe(1);
    expect(diagram.endMs).toBe(5);
  });

  it("an instant trace still spans a visible range", () => {
    const diagram = model([[3, "a", "x"]]);
    expect(diagram.endMs).toBeGreaterThan(diagram.startMs);
  });
});

describe("stream messages", () => {
  it("match in order per connection and direction; undelivered sends are lost", () => {
    const diagram = model([
      [0, "a", "net.stream.send", { connection: 1, to: "b", bytes: 1 }],
      [0, "b", "net.stream.send", { connection: 1, to: "a", bytes: 2 }],
      [1, "a", "net.stream.send", { connection: 2, to: "b", bytes: 3 }],
      [1, "a", "net.stream.send", { connection: 1, to: "b", bytes: 4 }],
      [2, "b", "net.stream.deliver", { connection: 2, from: "a", bytes: 3 }],
      [3, "b", "net.stream.deliver", { connection: 1, from: "a", bytes: 1 }],
      [3, "a", "net.stream.deliver", { connection: 1, from: "b", bytes: 2 }],
      [4, "b", "net.stream.reset", { connection: 1, reason: "partition" }],
    ]);
    const pairs = diagram.messages.map((message) => [
      recordOf(diagram, message.send),
      recordOf(diagram, message.end),
      message.outcome,
    ]);
    expect(pairs).toEqual([
      [0, 5, "delivered"],
      [1, 6, "delivered"],
      [2, 4, "delivered"],
      [3, undefined, "lost"],
    ]);
    const [first] = diagram.messages;
    expect(diagram.lanes[first?.fromLane ?? -1]?.name).toBe("a");
    expect(diagram.lanes[first?.toLane ?? -1]?.name).toBe("b");
    expect(first?.connection).toBe(1);
    expect(first?.transport).toBe("stream");
  });
});

describe("numbered message-channel messages", () => {
  it("pair by the sender's number: reordered, duplicated and lost messages sent as datagrams", () => {
    const diagram = model([
      [0, "a", "net.message.send", { connection: 1, to: "b", seq: 1, bytes: 5 }],
      [1, "a", "net.message.send", { connection: 1, to: "b", seq: 2, bytes: 5 }],
      [1, "a", "net.message.drop", { connection: 1, to: "b", seq: 2, bytes: 5 }],
      [2, "a", "net.message.send", { connection: 1, to: "b", seq: 3, bytes: 5 }],
      [3, "b", "net.message.deliver", { connection: 1, from: "a", seq: 3, bytes: 5 }],
      [4, "b", "net.message.deliver", { connection: 1, from: "a", seq: 1, bytes: 5 }],
      [5, "b", "net.message.deliver", { connection: 1, from: "a", seq: 3, bytes: 5 }],
      [6, "b", "net.message.send", { connection: 1, to: "a", seq: 1, bytes: 5 }],
    ]);
    expect(
      diagram.messages.map((message) => [
        recordOf(diagram, message.send),
        recordOf(diagram, message.end),
        message.outcome,
      ]),
    ).toEqual([
      [0, 5, "delivered"],
      [1, undefined, "dropped"],
      [3, 4, "delivered"],
      [7, undefined, "lost"],
    ]);
  });
});

describe("message labels", () => {
  it("requests and notifications by method, the call's other frames by method and type, byte segments not at all", () => {
    const diagram = model([
      [0, "c", "net.message.send", { connection: 1, to: "s", bytes: 9, frame: "request", call: 1, method: "kv.put" }],
      [0, "c", "net.message.send", { connection: 1, to: "s", bytes: 9, frame: "request", call: 2, method: "kv.watch" }],
      [
        0,
        "c",
        "net.message.send",
        { connection: 1, to: "s", bytes: 9, frame: "notification", call: 3, method: "kv.hint" },
      ],
      [
        1,
        "s",
        "net.message.deliver",
        { connection: 1, from: "c", bytes: 9, frame: "request", call: 1, method: "kv.put" },
      ],
      [2, "s", "net.message.send", { connection: 1, to: "c", bytes: 4, frame: "response", call: 1 }],
      [2, "s", "net.message.send", { connection: 1, to: "c", bytes: 4, frame: "message", call: 2 }],
      [2, "c", "net.message.send", { connection: 1, to: "s", bytes: 4, frame: "credit", call: 2, count: 1 }],
      [2, "s", "net.message.send", { connection: 1, to: "c", bytes: 4, frame: "end", call: 2 }],
      [3, "s", "net.message.send", { connection: 1, to: "c", bytes: 4, frame: "error", call: 1 }],
      [3, "s", "net.message.send", { connection: 2, to: "c", bytes: 4, frame: "response", call: 1 }],
      [4, "c", "net.stream.send", { connection: 3, to: "s", bytes: 40 }],
    ]);
    expect(diagram.messages.map((message) => message.label)).toEqual([
      "kv.put",
      "kv.watch",
      "kv.hint",
      "kv.put response",
      "kv.watch message",
      "kv.watch credit",
      "kv.watch end",
      "error",
      "response",
      undefined,
    ]);
  });

  it("a message's kind names it in place of its method, for the call's other frames too; a frames-mode segment by the frame it carries", () => {
    const diagram = model([
      [
        0,
        "a",
        "net.message.send",
        {
          connection: 1,
          to: "b",
          bytes: 9,
          frame: "notification",
          call: 1,
          method: "raft.message",
          kind: "append-entries",
        },
      ],
      [
        0,
        "a",
        "net.message.send",
        { connection: 1, to: "b", bytes: 9, frame: "request", call: 2, method: "raft.message", kind: "request-vote" },
      ],
      [1, "b", "net.message.send", { connection: 1, to: "a", bytes: 4, frame: "response", call: 2 }],
      [2, "a", "net.stream.send", { connection: 2, to: "b", bytes: 30, frame: "request", call: 3, method: "kv.put" }],
      [3, "b", "net.stream.send", { connection: 2, to: "a", bytes: 7, frame: "response", call: 3 }],
      [
        3,
        "b",
        "net.stream.deliver",
        { connection: 2, from: "a", bytes: 30, frame: "request", call: 3, method: "kv.put" },
      ],
    ]);
    expect(diagram.messages.map((message) => message.label)).toEqual([
      "append-entries",
      "request-vote",
      "request-vote response",
      "kv.put",
      "kv.put response",
    ]);
    expect(recordOf(diagram, diagram.messages[3]?.end)).toBe(5);
  });
});

describe("datagram messages", () => {
  it("pair by arrival time, so reordered and duplicated datagrams match their own send", () => {
    const diagram = model([
      [0, "a", "net.datagram.send", { to: "b", port: 9, bytes: 1, arrival: 7 }],
      [1, "a", "net.datagram.send", { to: "b", port: 9, bytes: 2, arrival: 3 }],
      [1, "a", "net.datagram.send", { to: "b", port: 9, bytes: 2, arrival: 4 }],
      [3, "b", "net.datagram.deliver", { from: "a", port: 9, bytes: 2 }],
      [4, "b", "net.datagram.deliver", { from: "a", port: 9, bytes: 2 }],
      [7, "b", "net.datagram.deliver", { from: "a", port: 9, bytes: 1 }],
    ]);
    expect(
      diagram.messages.map((message) => [recordOf(diagram, message.send), recordOf(diagram, message.end)]),
    ).toEqual([
      [0, 5],
      [1, 3],
      [2, 4],
    ]);
    expect(
      diagram.messages.every((message) => message.transport === "datagram" && message.outcome === "delivered"),
    ).toBe(true);
  });

  it("a paused receiver's late delivery takes the earliest send that had arrived", () => {
    const diagram = model([
      [0, "a", "net.datagram.send", { to: "b", port: 9, bytes: 1, arrival: 2 }],
      [1, "a", "net.datagram.send", { to: "b", port: 9, bytes: 1, arrival: 3 }],
      [10, "b", "net.datagram.deliver", { from: "a", port: 9, bytes: 1 }],
      [10, "b", "net.datagram.deliver", { from: "a", port: 9, bytes: 1 }],
    ]);
    expect(diagram.messages.map((message) => recordOf(diagram, message.end))).toEqual([2, 3]);
  });

  it("drops: at the sender a message that never left, at the receiver the end of its send", () => {
    const diagram = model([
      [0, "a", "net.datagram.drop", { to: "b", port: 9, bytes: 1 }],
      [1, "a", "net.datagram.send", { to: "b", port: 9, bytes: 1, arrival: 2 }],
      [2, "b", "net.datagram.drop", { from: "a", port: 9, bytes: 1 }],
      [3, "a", "net.datagram.send", { to: "c", port: 9, bytes: 1, arrival: 4 }],
    ]);
    expect(
      diagram.messages.map((message) => [
        recordOf(diagram, message.send),
        recordOf(diagram, message.end),
        message.outcome,
      ]),
    ).toEqual([
      [0, undefined, "dropped"],
      [1, 2, "dropped"],
      [3, undefined, "lost"],
    ]);
  });
});

describe("spans", () => {
  const spansOf = (diagram: DiagramModel) =>
    diagram.spans.map((span) => ({
      kind: span.kind,
      host: diagram.lanes[span.lane]?.name,
      from: span.startMs,
      to: span.endMs,
      open: span.open,
    }));

  it("process spans: crash → start is down, pause → resume is paused, a crash ends a pause", () => {
    const diagram = model([
      [0, "a", "process.start", { incarnation: 1 }],
      [1, "a", "process.pause"],
      [2, "a", "process.resume", { parked: 0 }],
      [3, "a", "process.pause"],
      [4, "a", "process.crash", { incarnation: 1 }],
      [6, "a", "process.start", { incarnation: 2 }],
      [7, "b", "process.stop", { incarnation: 1 }],
      [9, "a", "app.log"],
    ]);
    expect(spansOf(diagram)).toEqual([
      { kind: "paused", host: "a", from: 1, to: 2, open: false },
      { kind: "paused", host: "a", from: 3, to: 4, open: false },
      { kind: "down", host: "a", from: 4, to: 6, open: false },
      { kind: "down", host: "b", from: 7, to: 9, open: true },
    ]);
    expect(diagram.spans[2]?.label).toBe("crashed");
  });

  it("network and disk faults: isolate and partition until heal, clogs and disk faults for their duration, heal-all ends all", () => {
    const diagram = model([
      [0, "a", "process.start"],
      [0, "b", "process.start"],
      [0, "c", "process.start"],
      [1, "a", "fault.isolate", { host: "a" }],
      [2, undefined, "fault.partition", { groups: [["b"], ["c"]], oneWay: true }],
      [3, undefined, "fault.heal", {}],
      [4, undefined, "fault.clog", { from: "b", to: "c", durationMs: 2 }],
      [
        5,
        "c",
        "fault.disk-faults",
        { host: "c", rates: { writeErrorProbability: 0.5, tornWrites: true }, durationMs: 100 },
      ],
      [5, undefined, "fault.link-quality", { lossProbability: 0.1 }],
      [8, undefined, "fault.heal-all"],
      [20, "a", "app.log"],
    ]);
    expect(spansOf(diagram)).toEqual([
      { kind: "isolated", host: "a", from: 1, to: 3, open: false },
      { kind: "partitioned", host: WORLD_LANE, from: 2, to: 3, open: false },
      { kind: "partitioned", host: "b", from: 2, to: 3, open: false },
      { kind: "partitioned", host: "c", from: 2, to: 3, open: false },
      { kind: "clogged", host: "b", from: 4, to: 6, open: false },
      { kind: "disk-faults", host: "c", from: 5, to: 8, open: false },
      { kind: "link-quality", host: WORLD_LANE, from: 5, to: 8, open: false },
    ]);
    expect(diagram.spans[1]?.label).toBe("partition b | c (one-way)");
    expect(diagram.spans[5]?.label).toBe("disk faults write-error 50.00% torn-writes");
    expect(diagram.spans[4]?.label).toBe("clogged → c");
  });

  it("a fault still on when the trace ends is open, drawn to the end", () => {
    const diagram = model([
      [0, "a", "fault.clog", { from: "a", to: "b", durationMs: 50 }],
      [10, "a", "app.log"],
    ]);
    expect(spansOf(diagram)).toEqual([{ kind: "clogged", host: "a", from: 0, to: 10, open: true }]);
  });
});

describe("operations", () => {
  it("pair by id across hosts' interleavings, with Jepsen outcomes; an unfinished one is open", () => {
    const diagram = model([
      [0, "c1", "kv.op", { op: "write", phase: "invoke", id: 1 }],
      [1, "c1", "kv.op", { op: "write", phase: "invoke", id: 2 }],
      [2, "c1", "kv.op", { op: "write", phase: "ok", id: 2 }],
      [3, "c1", "kv.op", { op: "write", phase: "info", id: 1 }],
      [4, "c2", "kv.op", { op: "read", phase: "invoke" }],
      [5, "c2", "kv.op", { op: "read", phase: "fail" }],
      [6, "c2", "kv.op", { op: "read", phase: "invoke" }],
      [8, "c2", "app.log"],
    ]);
    const operations = diagram.operations.map((operation) => [
      diagram.lanes[operation.lane]?.name,
      operation.op,
      operation.startMs,
      operation.endMs,
      operation.outcome,
    ]);
    expect(operations).toEqual([
      ["c1", "write", 0, 3, "info"],
      ["c1", "write", 1, 2, "ok"],
      ["c2", "read", 4, 5, "fail"],
      ["c2", "read", 6, 8, "open"],
    ]);
  });

  it("app.* kinds: .invoke/.ok/.fail/.info phases, and outcome words as completions", () => {
    expect(operationPhase("app.counter.increment.invoke", undefined)).toEqual({
      op: "counter.increment",
      phase: "invoke",
    });
    expect(operationPhase("app.counter.ack", { value: 3 })).toEqual({ op: "counter", phase: "ok" });
    expect(operationPhase("app.kv.timeout", {})).toEqual({ op: "kv", phase: "info" });
    expect(operationPhase("app.kv.rejected", {})).toEqual({ op: "kv", phase: "fail" });
    expect(operationPhase("app.log", { level: "info" })).toBeUndefined();
    expect(operationPhase("app.counter.recovered", {})).toBeUndefined();
    expect(operationPhase("net.stream.send", { op: "x", phase: "later" })).toBeUndefined();
    const diagram = model([
      [0, "c", "app.counter.increment.invoke"],
      [2, "c", "app.counter.increment.ok"],
      [3, "c", "app.counter.ack", { value: 1 }],
    ]);
    expect(
      diagram.operations.map((operation) => [operation.op, operation.startMs, operation.endMs, operation.outcome]),
    ).toEqual([
      ["counter.increment", 0, 2, "ok"],
      ["counter", 3, 3, "ok"],
    ]);
  });

  it("app.client.* kinds (scenarios/harness/client-operations.ts) name the operation in their op field and pair by id", () => {
    expect(operationPhase("app.client.invoke", { op: "write", id: 3 })).toEqual({ op: "write", phase: "invoke" });
    expect(operationPhase("app.client.info", { op: "cas", id: "1/4" })).toEqual({ op: "cas", phase: "info" });
    const diagram = model([
      [0, "c1", "app.client.invoke", { op: "write", id: 0, key: "x" }],
      [1, "c1", "app.client.invoke", { op: "append", id: "1/1" }],
      [2, "c1", "app.client.info", { op: "append", id: "1/1" }],
      [3, "c1", "app.client.ok", { op: "write", id: 0 }],
    ]);
    expect(
      diagram.operations.map((operation) => [operation.op, operation.startMs, operation.endMs, operation.outcome]),
    ).toEqual([
      ["write", 0, 3, "ok"],
      ["append", 1, 2, "info"],
    ]);
  });
});

describe("violations", () => {
  it("each violation record is a violation, on its host's lane or the world's", () => {
    const diagram = model([
      [0, "a", "process.start"],
      [5, "a", "violation", { invariant: "x.broken", kind: "safety", details: "details here" }],
      [6, undefined, "violation", { invariant: "y.stuck", kind: "liveness", details: "no progress" }],
    ]);
    expect(
      diagram.violations.map((violation) => [
        violation.invariant,
        violation.kind,
        violation.time,
        diagram.lanes[violation.lane]?.name,
        violation.details,
      ]),
    ).toEqual([
      ["x.broken", "safety", 5, "a", "details here"],
      ["y.stuck", "liveness", 6, WORLD_LANE, "no progress"],
    ]);
    expect(diagram.events[diagram.violations[0]?.event ?? -1]?.kind).toBe("violation");
  });

  it("a linearizability violation names the key's operations, its prefix in order and the unplaceable one, by position", () => {
    const diagram = buildDiagramModel(linearizabilityTrace(), "test");
    const idOf = (o: number) => diagram.events[diagram.operations[o]?.invoke ?? -1]?.fields?.id;
    const named = diagram.violations[0]?.operations;
    expect(named?.key).toBe("x");
    expect(named?.linearized.map(idOf)).toEqual([...LINEARIZED_IDS]);
    expect(named?.operations.map(idOf)).toEqual([...KEY_IDS]);
    expect(named?.blocked.map(idOf)).toEqual([UNPLACEABLE_ID]);
    expect(idOf(named?.unplaceable ?? -1)).toBe(UNPLACEABLE_ID);
  });

  it("ids the trace does not hold are left out; other violations name no operations", () => {
    const diagram = model([
      [0, "c", "app.client.invoke", { op: "read", id: 4 }],
      [1, "c", "app.client.ok", { op: "read", id: 4 }],
      [
        2,
        undefined,
        "violation",
        {
          invariant: "kv.linearizable",
          kind: "safety",
          details: "d",
          operation: 99,
          linearized: [4, 98],
          blocked: [99],
          operations: [4, 98, 99],
        },
      ],
      [3, undefined, "violation", { invariant: "x.other", kind: "safety", details: "d" }],
    ]);
    expect(diagram.violations[0]?.operations).toEqual({ linearized: [0], blocked: [], operations: [0] });
    expect(diagram.violations[1]?.operations).toBeUndefined();
  });
});
