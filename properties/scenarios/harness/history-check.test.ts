/**
 * The shared final check of a client history (scenarios/harness/history-check.ts).
 *
 * Invariants, one sentence each:
 * - A history that is not linearizable is one safety violation whose fields name, by operation id, the failing key, its
 *   operations, the longest linearizable prefix in order, the blocked operations and the one that cannot be placed
 *   (with its invocation time).
 * - Those fields reach the violation's trace record, after its invariant, kind and details, which they cannot override.
 * - A linearizable history is no violation; a search that runs out is a liveness violation.
 */
import { describe, expect, it } from "vitest";
import { checkHistoryLinearizable } from "../../../scenarios/harness/history-check.ts";
import {
  HistoryRecorder,
  keyValueModel,
  type KeyValueInput,
  type KeyValueOutput,
} from "../../../src/sim/check/index.ts";
import type { ScenarioContext } from "../../../src/sim/runner.ts";
import { World } from "../../../src/sim/world.ts";

function contextOf(world: World): ScenarioContext {
  return { world } as unknown as ScenarioContext;
}

/** Key "a" is fine; on key "b" a get returns a value nobody wrote, while a slow put is still open. */
function brokenHistory(): HistoryRecorder<KeyValueInput, KeyValueOutput> {
  const recorder = new HistoryRecorder<KeyValueInput, KeyValueOutput>();
  recorder.ok(recorder.invoke("c1", { f: "put", key: "a", value: "x" }, 0), null, 1);
  recorder.ok(recorder.invoke("c1", { f: "put", key: "b", value: "y" }, 2), null, 3);
  const slow = recorder.invoke("c2", { f: "put", key: "b", value: "z" }, 4);
  recorder.ok(recorder.invoke("c1", { f: "get", key: "b", value: null }, 5.1234567), "w", 6);
  recorder.ok(slow, null, 7);
  return recorder;
}

describe("checkHistoryLinearizable", () => {
  it("names the key, the prefix and the operation that cannot be placed, by operation id", () => {
    const world = new World({ seed: 1, trace: { keepRecords: true } });
    checkHistoryLinearizable(contextOf(world), brokenHistory().history(), {
      system: "kv",
      model: keyValueModel,
      stepsMax: 10_000,
    });
    expect(world.violations.map((violation) => [violation.invariant, violation.kind])).toEqual([
      ["kv.linearizable", "safety"],
    ]);
    const fields = world.violations[0]?.fields;
    expect(fields).toEqual({
      key: "b",
      operation: 3,
      operationTime: 5.1234567,
      linearized: [1, 2],
      blocked: [3],
      operations: [1, 2, 3],
    });
    expect(world.violations[0]?.details).toMatch(/^not linearizable \(key-value, key "b"\)\n/);
    const record = world.trace.records?.find((candidate) => candidate.kind === "violation");
    expect(Object.keys(record?.fields ?? {})).toEqual([
      "invariant",
      "kind",
      "details",
      "key",
      "operation",
      "operationTime",
      "linearized",
      "blocked",
      "operations",
    ]);
    expect(record?.fields?.operation).toBe(3);
  });

  it("a linearizable history is no violation; an exhausted search is a liveness violation", () => {
    const fine = new World({ seed: 1 });
    const recorder = new HistoryRecorder<KeyValueInput, KeyValueOutput>();
    recorder.ok(recorder.invoke("c1", { f: "put", key: "a", value: "x" }, 0), null, 1);
    checkHistoryLinearizable(contextOf(fine), recorder.history(), {
      system: "kv",
      model: keyValueModel,
      stepsMax: 10_000,
    });
    expect(fine.violations).toEqual([]);
    const exhausted = new World({ seed: 1 });
    checkHistoryLinearizable(contextOf(exhausted), brokenHistory().history(), {
      system: "kv",
      model: keyValueModel,
      stepsMax: 1,
    });
    expect(exhausted.violations.map((violation) => [violation.invariant, violation.kind])).toEqual([
      ["kv.linearizability-unknown", "liveness"],
    ]);
  });

  it("a violation's fields cannot override its invariant, kind or details in the trace", () => {
    const world = new World({ seed: 1, trace: { keepRecords: true } });
    world.violate({
      invariant: "x.broken",
      kind: "safety",
      details: "what broke",
      fields: { invariant: "forged", extra: 1 },
    });
    expect(world.trace.records?.[0]?.fields).toEqual({
      invariant: "x.broken",
      kind: "safety",
      details: "what broke",
      extra: 1,
    });
  });
});
