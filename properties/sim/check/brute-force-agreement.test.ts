/**
 * Invariant: on small random register histories (linearizable or not, with
 * unknown outcomes and overlapping operations), the checker's verdict equals
 * that of a brute-force search over every real-time-respecting order, for a
 * deterministic model and for a nondeterministic one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkLinearizability } from "../../../src/sim/check/linearizability.ts";
import { casRegisterModel } from "../../../src/sim/check/models/cas-register.ts";
import type { RegisterInput, RegisterOutput, RegisterState } from "../../../src/sim/check/models/cas-register.ts";
import type { Model } from "../../../src/sim/check/model.ts";
import type { Operation } from "../../../src/sim/check/operation.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { bruteForceLinearizable } from "./_fixtures/brute-force-checker.ts";
import { lossyRegisterModel } from "./_fixtures/lossy-register-model.ts";
import { applyToRegister } from "./_fixtures/register-workload.ts";

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

const value = fc.integer({ min: 0, max: 2 });
const input: fc.Arbitrary<RegisterInput> = fc.oneof(
  fc.constant({ f: "read" as const, value: null }),
  value.map((written) => ({ f: "write" as const, value: written })),
  fc.tuple(value, value).map(([expected, next]) => ({ f: "cas" as const, value: [expected, next] as const })),
);
const operationShape = fc.record({
  input,
  call: fc.integer({ min: 0, max: 16 }),
  duration: fc.integer({ min: 1, max: 8 }),
  /** Where in [call, return) the operation takes effect, as a fraction. */
  point: fc.double({ min: 0, max: 0.99, noNaN: true }),
  /** About one operation in six has an unknown outcome. */
  unknown: fc.integer({ min: 0, max: 5 }).map((roll) => roll === 0),
  corrupt: fc.option(fc.oneof(value, fc.constant(null), fc.boolean()), { freq: 4 }),
});

/** Outputs from running the operations at their points on a register, then some outputs corrupted. */
const smallHistory = fc.array(operationShape, { minLength: 1, maxLength: 7 }).map((shapes): RegisterOperation[] => {
  const order = shapes
    .map((shape, index) => ({ index, at: shape.call + shape.point * shape.duration }))
    .sort((first, second) => first.at - second.at);
  const outputs: RegisterOutput[] = [];
  let state: RegisterState = null;
  for (const { index } of order) {
    const [output, next] = applyToRegister(state, (shapes[index] as (typeof shapes)[number]).input);
    outputs[index] = output;
    state = next;
  }
  return shapes.map((shape, index) => ({
    id: index,
    process: index,
    input: shape.input,
    outcome: shape.unknown ? "unknown" : "ok",
    output: shape.unknown ? undefined : shape.corrupt === null ? (outputs[index] as RegisterOutput) : shape.corrupt,
    call: shape.call,
    return: shape.unknown ? Number.POSITIVE_INFINITY : shape.call + shape.duration,
    callTime: shape.call,
    returnTime: shape.unknown ? Number.POSITIVE_INFINITY : shape.call + shape.duration,
  }));
});

function agreementProperty(model: Model<RegisterState, RegisterInput, RegisterOutput>) {
  return fc.property(smallHistory, (operations) => {
    const expected = bruteForceLinearizable(model, operations) ? "linearizable" : "not-linearizable";
    expect(checkLinearizability(model, operations).verdict).toBe(expected);
  });
}

describe("agreement with brute force", () => {
  it("cas register", () => {
    fc.assert(
      agreementProperty(casRegisterModel),
      propertyParameters("check: agrees with brute force on a cas register", 500),
    );
  });

  it("nondeterministic (lossy) register", () => {
    fc.assert(
      agreementProperty(lossyRegisterModel),
      propertyParameters("check: agrees with brute force on a lossy register", 500),
    );
  });

  it("generates both verdicts", () => {
    const verdicts = fc
      .sample(smallHistory, { numRuns: 200, seed: 7 })
      .map((operations) => bruteForceLinearizable(casRegisterModel, operations));
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(40);
    expect(verdicts.filter((verdict) => !verdict).length).toBeGreaterThan(40);
  });
});
