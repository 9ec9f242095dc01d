/**
 * Unit tests of the checker's result shape: verdicts, partitions, the budget,
 * and the counterexample (key, longest linearizable prefix in order, state
 * after it, and the operations that cannot come next, with reasons).
 */
import { describe, expect, it } from "vitest";
import { HistoryRecorder } from "../../../src/sim/check/history-recorder.ts";
import { checkLinearizability } from "../../../src/sim/check/linearizability.ts";
import { casRegisterModel } from "../../../src/sim/check/models/cas-register.ts";
import type { RegisterInput, RegisterOutput } from "../../../src/sim/check/models/cas-register.ts";
import { keyValueModel } from "../../../src/sim/check/models/key-value.ts";
import type { KeyValueInput, KeyValueOutput } from "../../../src/sim/check/models/key-value.ts";
import { historyToOperations } from "../../../src/sim/check/operation.ts";
import { AssertionError } from "../../../src/sim/assert.ts";

function registerRecorder(): HistoryRecorder<RegisterInput, RegisterOutput> {
  return new HistoryRecorder<RegisterInput, RegisterOutput>();
}

describe("counterexample", () => {
  it("names the prefix, the state after it and the read that cannot come next", () => {
    const recorder = registerRecorder();
    recorder.ok(recorder.invoke("a", { f: "write", value: 1 }, 0), null, 10);
    recorder.ok(recorder.invoke("b", { f: "read", value: null }, 20), 2, 30);
    const result = checkLinearizability(casRegisterModel, historyToOperations(recorder.history()));
    expect(result.verdict).toBe("not-linearizable");
    expect(result.partitionCount).toBe(1);
    expect(result.partitionsChecked).toBe(1);
    const counterexample = result.counterexample;
    if (counterexample === undefined) throw new Error("expected a counterexample");
    expect(counterexample.key).toBeUndefined();
    expect(counterexample.longestPrefix.map((operation) => operation.input)).toEqual([{ f: "write", value: 1 }]);
    expect(counterexample.stateAfterPrefix).toBe("1");
    expect(counterexample.blocked.map((blocked) => [blocked.operation.process, blocked.operation.output])).toEqual([
      ["b", 2],
    ]);
    expect(counterexample.blocked[0]?.reason).toBe("read -> 2 is not possible in state 1");
    expect(counterexample.message).toContain("longest linearizable prefix (1 operations)");
    expect(counterexample.message).toContain("#1 process b: read -> 2 [20, 30]: read -> 2 is not possible in state 1");
  });

  it("gives the prefix in linearization order and lists every operation that could come next", () => {
    const recorder = registerRecorder();
    recorder.ok(recorder.invoke(0, { f: "write", value: 1 }, 0), null, 1);
    recorder.ok(recorder.invoke(0, { f: "write", value: 2 }, 2), null, 3);
    const staleRead = recorder.invoke(1, { f: "read", value: null }, 4);
    const failedCas = recorder.invoke(2, { f: "cas", value: [2, 3] }, 5);
    recorder.ok(staleRead, 1, 6);
    recorder.ok(failedCas, false, 7);
    const counterexample = checkLinearizability(
      casRegisterModel,
      historyToOperations(recorder.history()),
    ).counterexample;
    expect(counterexample?.longestPrefix.map((operation) => operation.id)).toEqual([0, 1]);
    expect(counterexample?.stateAfterPrefix).toBe("2");
    expect(counterexample?.blocked.map((blocked) => blocked.reason)).toEqual([
      "read -> 1 is not possible in state 2",
      "cas [2 3] -> false is not possible in state 2",
    ]);
  });

  it("does not list operations invoked after the earliest pending return", () => {
    const recorder = registerRecorder();
    recorder.ok(recorder.invoke(0, { f: "write", value: 1 }, 0), null, 1);
    recorder.ok(recorder.invoke(0, { f: "read", value: null }, 2), 2, 3);
    recorder.ok(recorder.invoke(0, { f: "write", value: 2 }, 4), null, 5);
    const counterexample = checkLinearizability(
      casRegisterModel,
      historyToOperations(recorder.history()),
    ).counterexample;
    expect(counterexample?.longestPrefix.map((operation) => operation.id)).toEqual([0]);
    expect(counterexample?.blocked.map((blocked) => blocked.operation.id)).toEqual([1]);
  });

  it("names the failing key of a partitioned model", () => {
    const recorder = new HistoryRecorder<KeyValueInput, KeyValueOutput>();
    recorder.ok(recorder.invoke(0, { f: "put", key: "a", value: "x" }, 0), null, 1);
    recorder.ok(recorder.invoke(0, { f: "append", key: "b", value: "y" }, 2), null, 3);
    recorder.ok(recorder.invoke(1, { f: "get", key: "a", value: null }, 4), "x", 5);
    recorder.ok(recorder.invoke(1, { f: "get", key: "b", value: null }, 6), "yy", 7);
    const result = checkLinearizability(keyValueModel, historyToOperations(recorder.history()));
    expect(result.verdict).toBe("not-linearizable");
    expect(result.partitionCount).toBe(2);
    expect(result.counterexample?.key).toBe("b");
    expect(result.counterexample?.stateAfterPrefix).toBe('"y"');
    expect(result.counterexample?.message).toContain('key "b"');
    expect(result.counterexample?.blocked[0]?.reason).toBe('get "b" -> "yy" is not possible in state "y"');
    expect(result.counterexample?.operations.map((operation) => operation.id)).toEqual([1, 3]);
  });

  it("marks a blocked operation whose output is impossible after the prefix, and lists the partition's operations", () => {
    const recorder = registerRecorder();
    recorder.ok(recorder.invoke(0, { f: "write", value: 1 }, 0), null, 1);
    const write = recorder.invoke(1, { f: "write", value: 2 }, 2);
    const read = recorder.invoke(2, { f: "read", value: null }, 3);
    recorder.ok(write, null, 4);
    recorder.ok(read, 3, 5);
    const counterexample = checkLinearizability(
      casRegisterModel,
      historyToOperations(recorder.history()),
    ).counterexample;
    expect(counterexample?.longestPrefix.map((operation) => operation.id)).toEqual([0, 1]);
    expect(counterexample?.blocked.map((blocked) => [blocked.operation.id, blocked.possible])).toEqual([[2, false]]);
    expect(counterexample?.operations.map((operation) => operation.id)).toEqual([0, 1, 2]);
  });

  it("writes times to the microsecond", () => {
    const recorder = registerRecorder();
    recorder.ok(recorder.invoke("a", { f: "write", value: 1 }, 0.1234567), null, 10.0000004);
    recorder.ok(recorder.invoke("b", { f: "read", value: null }, 20.98765432), 2, 30.5);
    const message = checkLinearizability(casRegisterModel, historyToOperations(recorder.history())).counterexample
      ?.message;
    expect(message).toContain("#0 process a: write 1 [0.123, 10]");
    expect(message).toContain("#1 process b: read -> 2 [20.988, 30.5]");
  });

  it("has no counterexample when linearizable, and counts every partition", () => {
    const recorder = new HistoryRecorder<KeyValueInput, KeyValueOutput>();
    recorder.ok(recorder.invoke(0, { f: "append", key: "a", value: "1" }, 0), null, 1);
    recorder.ok(recorder.invoke(0, { f: "append", key: "b", value: "2" }, 2), null, 3);
    recorder.ok(recorder.invoke(0, { f: "get", key: "a", value: null }, 4), "1", 5);
    const result = checkLinearizability(keyValueModel, historyToOperations(recorder.history()));
    expect(result).toMatchObject({ verdict: "linearizable", partitionCount: 2, partitionsChecked: 2 });
    expect(result.counterexample).toBeUndefined();
    expect(result.exhausted).toBeUndefined();
  });
});

describe("outcomes", () => {
  it("an empty history is linearizable", () => {
    expect(checkLinearizability(casRegisterModel, [])).toMatchObject({
      verdict: "linearizable",
      partitionCount: 1,
      partitionsChecked: 1,
    });
    expect(checkLinearizability(keyValueModel, [])).toMatchObject({
      verdict: "linearizable",
      partitionCount: 0,
      partitionsChecked: 0,
    });
  });

  it("an info write may take effect later; a failed write never does", () => {
    const recorder = registerRecorder();
    recorder.info(recorder.invoke(0, { f: "write", value: 7 }, 0), 1, "timed-out");
    const laterRead = recorder.invoke(1, { f: "read", value: null }, 5);
    recorder.ok(laterRead, 7, 6);
    expect(checkLinearizability(casRegisterModel, historyToOperations(recorder.history())).verdict).toBe(
      "linearizable",
    );

    const failing = registerRecorder();
    failing.fail(failing.invoke(0, { f: "write", value: 7 }, 0), 1);
    failing.ok(failing.invoke(1, { f: "read", value: null }, 5), 7, 6);
    expect(checkLinearizability(casRegisterModel, historyToOperations(failing.history())).verdict).toBe(
      "not-linearizable",
    );
  });

  it("an info write constrains nothing if it never took effect", () => {
    const recorder = registerRecorder();
    recorder.info(recorder.invoke(0, { f: "write", value: 7 }, 0), 1);
    recorder.ok(recorder.invoke(1, { f: "read", value: null }, 5), null, 6);
    expect(checkLinearizability(casRegisterModel, historyToOperations(recorder.history())).verdict).toBe(
      "linearizable",
    );
  });
});

describe("limits", () => {
  /** Twelve concurrent writes, then a read of a value none wrote: refuting it takes thousands of steps. */
  const contested = (): ReturnType<typeof historyToOperations<RegisterInput, RegisterOutput>> => {
    const recorder = registerRecorder();
    const handles = Array.from({ length: 12 }, (_, process) =>
      recorder.invoke(process, { f: "write", value: process }, 0),
    );
    handles.forEach((handle) => recorder.ok(handle, null, 1));
    recorder.ok(recorder.invoke(9, { f: "read", value: null }, 2), 42, 3);
    return historyToOperations(recorder.history());
  };

  it("reports unknown when the step budget runs out", () => {
    const result = checkLinearizability(casRegisterModel, contested(), { maxSteps: 10 });
    expect(result).toMatchObject({
      verdict: "unknown",
      steps: 10,
      partitionsChecked: 0,
      exhausted: { limit: "max-steps", key: undefined },
    });
    expect(result.counterexample).toBeUndefined();
  });

  it("reports unknown on timeout, measured on the injected clock only", () => {
    let now = 0;
    const clock = (): number => (now += 1000);
    const result = checkLinearizability(casRegisterModel, contested(), { timeoutMs: 1, clock, maxSteps: 1_000_000 });
    // The clock is read when the check starts, then every 4096 steps.
    expect(result).toMatchObject({ verdict: "unknown", steps: 4096, exhausted: { limit: "timeout" } });
    expect(checkLinearizability(casRegisterModel, contested()).verdict).toBe("not-linearizable");
  });

  it("refuses a timeout without a clock", () => {
    expect(() => checkLinearizability(casRegisterModel, contested(), { timeoutMs: 10 })).toThrow(AssertionError);
  });
});
