/**
 * Invariant: in a sequential register history (each operation returns before
 * the next is invoked), a read changed to return a stale value (one written
 * earlier but overwritten before the read began) is judged not linearizable.
 *
 * The same property run against a deliberately broken checker that ignores
 * real-time order must fail: the suite would catch that bug.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { historyToOperations } from "../../../src/sim/check/operation.ts";
import type { Operation } from "../../../src/sim/check/operation.ts";
import { checkLinearizability } from "../../../src/sim/check/linearizability.ts";
import { HistoryRecorder } from "../../../src/sim/check/history-recorder.ts";
import { casRegisterModel } from "../../../src/sim/check/models/cas-register.ts";
import type {
  RegisterInput,
  RegisterOutput,
  RegisterState,
  RegisterValue,
} from "../../../src/sim/check/models/cas-register.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { checkIgnoringRealTime } from "./_fixtures/broken-checker.ts";
import { applyToRegister } from "./_fixtures/register-workload.ts";

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;
type Checker = typeof checkLinearizability<RegisterState, RegisterInput, RegisterOutput>;

/** A sequential run: writes take fresh values (1, 2, 3, ...), so every written value is distinct. */
const sequentialInputs = fc.array(
  fc.oneof(
    fc.constant("read" as const),
    fc.constant("write" as const),
    fc.nat({ max: 6 }).map((back) => ({ casBack: back })),
  ),
  { maxLength: 20, size: "max" },
);

/**
 * Runs the inputs one at a time, then `write a; write b; read`, and returns the
 * operations with one read (the `pick`-th that has a stale value to return) made stale.
 */
function sequentialHistoryWithStaleRead(
  kinds: readonly ("read" | "write" | { casBack: number })[],
  pick: number,
): RegisterOperation[] {
  const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
  /** Every value a write or cas has offered so far (distinct by construction). */
  const offered: RegisterValue[] = [];
  let state: RegisterState = null;
  let time = 0;
  const run = (input: RegisterInput): void => {
    const handle = recorder.invoke(0, input, time++);
    const [output, next] = applyToRegister(state, input);
    state = next;
    if (input.f === "write") offered.push(input.value);
    if (input.f === "cas") offered.push(input.value[1]);
    recorder.ok(handle, output, time++);
  };
  const fresh = (): number => offered.length + 1;
  for (const kind of [...kinds, "write" as const, "write" as const, "read" as const]) {
    if (kind === "read") run({ f: "read", value: null });
    else if (kind === "write") run({ f: "write", value: fresh() });
    else run({ f: "cas", value: [offered[offered.length - 1 - kind.casBack] ?? 0, fresh()] });
  }
  return makeOneReadStale(historyToOperations(recorder.history()), pick);
}

function makeOneReadStale(operations: RegisterOperation[], pick: number): RegisterOperation[] {
  const candidates: { index: number; stale: number[] }[] = [];
  const seen: number[] = [];
  let current: RegisterState = null;
  operations.forEach((operation, index) => {
    if (operation.input.f === "read") candidates.push({ index, stale: seen.filter((value) => value !== current) });
    current = applyToRegister(current, operation.input)[1];
    if (typeof current === "number" && !seen.includes(current)) seen.push(current);
  });
  const usable = candidates.filter((candidate) => candidate.stale.length > 0);
  const chosen = usable[pick % usable.length];
  if (chosen === undefined) throw new Error("the trailing write, write, read always has a stale value");
  const staleValue = chosen.stale[pick % chosen.stale.length] as number;
  return operations.map((operation, index) =>
    index === chosen.index ? { ...operation, output: staleValue } : operation,
  );
}

function staleReadProperty(checker: Checker) {
  return fc.property(sequentialInputs, fc.nat(), (kinds, pick) => {
    const result = checker(casRegisterModel, sequentialHistoryWithStaleRead(kinds, pick));
    return result.verdict === "not-linearizable";
  });
}

const propertyName = "check: a stale read in a sequential history is judged not linearizable";

describe("real-time order", () => {
  it("a stale read in a sequential history is judged not linearizable", () => {
    fc.assert(staleReadProperty(checkLinearizability), propertyParameters(propertyName, 300));
  });

  it("the same property fails for a broken checker that ignores real-time order", () => {
    const details = fc.check(staleReadProperty(checkIgnoringRealTime), propertyParameters(propertyName, 300));
    expect(details.failed).toBe(true);
  });

  it("the broken checker wrongly accepts a known non-linearizable history", () => {
    // write 1 completes, then write 2 completes, then a read returns 1.
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    recorder.ok(recorder.invoke(0, { f: "write", value: 1 }, 0), null, 1);
    recorder.ok(recorder.invoke(0, { f: "write", value: 2 }, 2), null, 3);
    recorder.ok(recorder.invoke(1, { f: "read", value: null }, 4), 1, 5);
    const operations = historyToOperations(recorder.history());
    expect(checkLinearizability(casRegisterModel, operations).verdict).toBe("not-linearizable");
    expect(checkIgnoringRealTime(casRegisterModel, operations).verdict).toBe("linearizable");
  });
});
