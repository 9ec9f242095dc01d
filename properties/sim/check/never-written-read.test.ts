/**
 * Invariant: if one read in a linearizable register history is changed to
 * return a value that no operation ever wrote, the history is judged not
 * linearizable; the counterexample's prefix replays on the model, and the model
 * rejects every operation it lists as unable to come next.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkLinearizability } from "../../../src/sim/check/linearizability.ts";
import { casRegisterModel } from "../../../src/sim/check/models/cas-register.ts";
import type { RegisterInput, RegisterOutput, RegisterState } from "../../../src/sim/check/models/cas-register.ts";
import { historyToOperations } from "../../../src/sim/check/operation.ts";
import type { Operation } from "../../../src/sim/check/operation.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { runRegisterWorkload, workloadScriptArbitrary } from "./_fixtures/register-workload.ts";

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/** Scripts only write values below 5, so 1000 is never written. */
const neverWritten = 1000;

/** Changes the `pick`-th ok read (or a read appended at the end, when there is none) to return `neverWritten`. */
function mutateOneRead(operations: RegisterOperation[], pick: number): RegisterOperation[] {
  const reads = operations.flatMap((operation, index) =>
    operation.input.f === "read" && operation.outcome === "ok" ? [index] : [],
  );
  if (reads.length === 0) {
    const end = operations.reduce(
      (latest, operation) => Math.max(latest, operation.call, Number.isFinite(operation.return) ? operation.return : 0),
      0,
    );
    const read: RegisterOperation = {
      id: -1,
      process: "mutation",
      input: { f: "read", value: null },
      outcome: "ok",
      output: neverWritten,
      call: end + 1,
      return: end + 2,
      callTime: end + 1,
      returnTime: end + 2,
    };
    return [...operations, read];
  }
  const target = reads[pick % reads.length] as number;
  return operations.map((operation, index) => (index === target ? { ...operation, output: neverWritten } : operation));
}

/** Replays the prefix on the model: the state after it, or undefined if the model rejects one of its operations. */
function replay(prefix: readonly RegisterOperation[]): { state: RegisterState } | undefined {
  let state: RegisterState = casRegisterModel.init();
  for (const operation of prefix) {
    const result = casRegisterModel.step(state, operation.input, operation.output);
    if (Array.isArray(result) || !("newState" in result)) return undefined;
    state = result.newState;
  }
  return { state };
}

function isRejected(state: RegisterState, operation: RegisterOperation): boolean {
  const result = casRegisterModel.step(state, operation.input, operation.output);
  return !Array.isArray(result) && !("newState" in result);
}

describe("a read of a value never written", () => {
  it("is judged not linearizable", () => {
    const name = "check: a read of a value never written is judged not linearizable";
    fc.assert(
      fc.property(workloadScriptArbitrary(150), fc.nat(), (script, pick) => {
        const operations = mutateOneRead(historyToOperations(runRegisterWorkload(script)), pick);
        const result = checkLinearizability(casRegisterModel, operations);
        expect(result.verdict).toBe("not-linearizable");
        const counterexample = result.counterexample;
        expect(counterexample).toBeDefined();
        if (counterexample === undefined) return;
        expect(counterexample.blocked.length).toBeGreaterThan(0);
        const afterPrefix = replay(counterexample.longestPrefix);
        expect(afterPrefix).toBeDefined();
        for (const blocked of counterexample.blocked)
          expect(isRejected(afterPrefix?.state ?? null, blocked.operation)).toBe(true);
      }),
      propertyParameters(name, 300),
    );
  });
});
