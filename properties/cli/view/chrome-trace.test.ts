/**
 * The Chrome Trace Event export (src/cli/view/chrome-trace.ts, `dst export`).
 *
 * Invariants, one sentence each:
 * - The export is JSON with a `traceEvents` array whose every event has a name, a phase, a pid and a tid, and a
 *   timestamp unless it is metadata.
 * - Every lane is one process, named after its host; every record is one event on its host's process, at its virtual
 *   time in microseconds.
 * - Every matched message is a flow: an "s" at the send and an "f" (bound to the enclosing slice) at the delivery, each
 *   inside a zero-length slice.
 * - Spans and operations are complete events whose slices never overlap on one thread.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chromeTraceOf, pidOf, type ChromeTrace, type ChromeTraceEvent } from "../../../src/cli/view/chrome-trace.ts";
import { buildDiagramModel } from "../../../src/cli/view/diagram-model.ts";
import { exportCommand } from "../../../src/cli/commands/export.ts";
import { main } from "../../../src/cli/main.ts";
import type { TraceRecord } from "../../../src/sim/trace.ts";
import { syntheticTrace } from "./_support/synthetic-trace.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-export-"));
const quiet = { out: () => {}, err: () => {} };

function checkShape(trace: ChromeTrace): void {
  expect(Array.isArray(trace.traceEvents)).toBe(true);
  expect(trace.displayTimeUnit).toBe("ms");
  for (const event of trace.traceEvents) {
    expect(typeof event.name).toBe("string");
    expect(["i", "X", "s", "f", "M"]).toContain(event.ph);
    expect(Number.isInteger(event.pid)).toBe(true);
    expect(Number.isInteger(event.tid)).toBe(true);
    if (event.ph !== "M") expect(Number.isFinite(event.ts)).toBe(true);
    if (event.ph === "X") expect(event.dur).toBeGreaterThanOrEqual(0);
  }
}

function checkRecords(trace: ChromeTrace, records: readonly TraceRecord[], laneNames: readonly string[]): void {
  const processNames = new Map(
    trace.traceEvents
      .filter((event) => event.ph === "M" && event.name === "process_name")
      .map((event) => [event.pid, (event.args as { name: string }).name]),
  );
  expect([...processNames.values()]).toEqual(laneNames);
  const perHost = new Map<string, number>();
  for (const record of records) perHost.set(record.host ?? "(world)", (perHost.get(record.host ?? "(world)") ?? 0) + 1);
  const recordEvents = trace.traceEvents.filter(
    (event) => event.tid === 1 && (event.ph === "i" || event.ph === "X") && event.s !== "g",
  );
  expect(recordEvents.length).toBe(records.length);
  for (const [host, count] of perHost) {
    const pid = pidOf(laneNames.indexOf(host));
    expect(recordEvents.filter((event) => event.pid === pid).length, `records of ${host}`).toBe(count);
  }
  const byIndex = new Map(recordEvents.map((event) => [(event.args as { record: number }).record, event]));
  for (const record of records) {
    const event = byIndex.get(record.index);
    expect(event?.name).toBe(record.kind);
    expect(event?.ts).toBeCloseTo(record.time * 1000, 3);
  }
}

function checkFlows(trace: ChromeTrace): number {
  const starts = new Map<number, ChromeTraceEvent>();
  const finishes = new Map<number, ChromeTraceEvent>();
  for (const event of trace.traceEvents) {
    if (event.ph === "s") starts.set(event.id as number, event);
    if (event.ph === "f") finishes.set(event.id as number, event);
  }
  expect([...starts.keys()].sort()).toEqual([...finishes.keys()].sort());
  const slices = new Set(
    trace.traceEvents
      .filter((event) => event.ph === "X" && event.dur === 0)
      .map((event) => `${event.pid}/${event.tid}/${event.ts}`),
  );
  for (const [id, start] of starts) {
    const finish = finishes.get(id) as ChromeTraceEvent;
    expect(finish.bp).toBe("e");
    expect(finish.ts as number).toBeGreaterThanOrEqual(start.ts as number);
    expect(slices.has(`${start.pid}/${start.tid}/${start.ts}`), `slice enclosing flow start ${id}`).toBe(true);
    expect(slices.has(`${finish.pid}/${finish.tid}/${finish.ts}`), `slice enclosing flow end ${id}`).toBe(true);
  }
  return starts.size;
}

function checkNoOverlap(trace: ChromeTrace): void {
  const byThread = new Map<string, ChromeTraceEvent[]>();
  for (const event of trace.traceEvents) {
    if (event.ph !== "X" || event.tid === 1) continue;
    const key = `${event.pid}/${event.tid}`;
    byThread.set(key, [...(byThread.get(key) ?? []), event]);
  }
  for (const [thread, slices] of byThread) {
    slices.sort((a, b) => (a.ts as number) - (b.ts as number));
    for (let i = 1; i < slices.length; i++) {
      const previous = slices[i - 1] as ChromeTraceEvent;
      expect((slices[i] as ChromeTraceEvent).ts as number, `thread ${thread}`).toBeGreaterThanOrEqual(
        (previous.ts as number) + (previous.dur as number) - 1e-6,
      );
    }
  }
}

describe("chrome export of a synthetic trace", () => {
  const records = syntheticTrace({ records: 3000 });
  const model = buildDiagramModel(records, "synthetic");
  const trace = JSON.parse(JSON.stringify(chromeTraceOf(model))) as ChromeTrace;

  it("has the required fields", () => checkShape(trace));
  it("has one process per host and one event per record, at its time", () =>
    checkRecords(
      trace,
      records,
      model.lanes.map((lane) => lane.name),
    ));
  it("joins every matched message with a flow", () => {
    expect(checkFlows(trace)).toBe(model.messages.filter((message) => message.end !== undefined).length);
  });
  it("puts spans and operations on non-overlapping threads", () => {
    expect(trace.traceEvents.some((event) => event.cat === "span.down")).toBe(true);
    expect(trace.traceEvents.some((event) => event.cat === "operation.ok")).toBe(true);
    checkNoOverlap(trace);
  });
  it("marks violations with a global instant", () => {
    const violations = trace.traceEvents.filter((event) => event.s === "g");
    expect(violations).toMatchObject([{ ph: "i", s: "g", name: "violation: synthetic.broken" }]);
  });
});

describe("dst export --format chrome", () => {
  it("exports a real failing run's trace file", async () => {
    const tracePath = join(scratch, "run.jsonl");
    expect(
      await main(
        [
          "run",
          "counter-quorum",
          "--seed",
          "3",
          "--variant",
          "ack-before-fsync",
          "--trace",
          tracePath,
          "--out",
          scratch,
        ],
        quiet,
      ),
    ).toBe(1);
    const out: string[] = [];
    const outputPath = join(scratch, "run.chrome.json");
    expect(
      await exportCommand(
        tracePath,
        { format: "chrome", output: outputPath },
        { out: (text) => out.push(text), err: () => {} },
      ),
    ).toBe(0);
    expect(out.join("\n")).toMatch(/Chrome trace events/);
    const trace = JSON.parse(readFileSync(outputPath, "utf8")) as ChromeTrace;
    checkShape(trace);
    const records = readFileSync(tracePath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as TraceRecord);
    checkRecords(trace, records, ["(world)", "n1", "n2", "n3", "client"]);
    expect(checkFlows(trace)).toBeGreaterThan(1000);
    checkNoOverlap(trace);
    expect(trace.traceEvents.filter((event) => event.s === "g").map((event) => event.name)).toEqual([
      "violation: counter.acknowledged-write-lost",
    ]);
  });
});
