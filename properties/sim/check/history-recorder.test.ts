/**
 * Unit tests of history recording and of its conversion to checker operations:
 * events get increasing indices and caller-given times; fail operations are
 * dropped; info and never-completed operations stay open (return +Infinity);
 * misuse throws.
 */
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/sim/assert.ts";
import { HistoryRecorder } from "../../../src/sim/check/history-recorder.ts";
import type { RegisterInput, RegisterOutput } from "../../../src/sim/check/models/cas-register.ts";
import { historyToOperations } from "../../../src/sim/check/operation.ts";

const read: RegisterInput = { f: "read", value: null };
const write = (value: number): RegisterInput => ({ f: "write", value });

describe("HistoryRecorder", () => {
  it("records events in order with indices, caller times and handles", () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const first = recorder.invoke("p1", write(1), 5);
    const second = recorder.invoke("p2", read, 5);
    expect(recorder.openCount).toBe(2);
    recorder.ok(second, null, 7);
    recorder.info(first, 9, "timed-out");
    expect(recorder.openCount).toBe(0);
    expect(recorder.history()).toEqual([
      { type: "invoke", index: 0, time: 5, operationId: first, process: "p1", input: write(1) },
      { type: "invoke", index: 1, time: 5, operationId: second, process: "p2", input: read },
      { type: "ok", index: 2, time: 7, operationId: second, process: "p2", output: null },
      { type: "info", index: 3, time: 9, operationId: first, process: "p1", reason: "timed-out" },
    ]);
  });

  it("refuses misuse", () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const handle = recorder.invoke(0, read, 10);
    expect(() => recorder.invoke(0, read, 10)).toThrow(AssertionError);
    expect(() => recorder.ok(handle, 1, 9)).toThrow(/time went backwards/);
    recorder.ok(handle, 1, 10);
    expect(() => recorder.fail(handle, 11)).toThrow(/not open/);
    expect(() => recorder.invoke(1, read, Number.NaN)).toThrow(/finite/);
  });
});

describe("historyToOperations", () => {
  it("drops fail operations and leaves info and unfinished ones open", () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const failed = recorder.invoke(0, write(1), 0);
    const timedOut = recorder.invoke(1, write(2), 0);
    const unfinished = recorder.invoke(2, write(3), 1);
    const completed = recorder.invoke(3, read, 2);
    recorder.fail(failed, 3);
    recorder.info(timedOut, 3);
    recorder.ok(completed, 2, 4);
    const operations = historyToOperations(recorder.history());
    expect(operations.map((operation) => [operation.id, operation.outcome, operation.call, operation.return])).toEqual([
      [timedOut, "unknown", 1, Number.POSITIVE_INFINITY],
      [unfinished, "unknown", 2, Number.POSITIVE_INFINITY],
      [completed, "ok", 3, 6],
    ]);
    expect(operations.map((operation) => operation.output)).toEqual([undefined, undefined, 2]);
    expect(operations[2]).toMatchObject({ callTime: 2, returnTime: 4, process: 3, input: read });
  });

  it("refuses a completion without its invoke", () => {
    expect(() =>
      historyToOperations<RegisterInput, RegisterOutput>([
        { type: "ok", index: 0, time: 0, operationId: 4, process: 0, output: 1 },
      ]),
    ).toThrow(/not open/);
  });
});
