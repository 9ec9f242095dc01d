/**
 * Invariant: a history recorded from a random concurrent workload run against a
 * real sequential register (with random ok, fail and info outcomes) is always
 * judged linearizable.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { checkLinearizability } from "../../../src/sim/check/linearizability.ts";
import { casRegisterModel } from "../../../src/sim/check/models/cas-register.ts";
import { historyToOperations } from "../../../src/sim/check/operation.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { runRegisterWorkload, workloadScriptArbitrary } from "./_fixtures/register-workload.ts";

describe("linearizable by construction", () => {
  it("histories of a sequential register are judged linearizable", () => {
    const name = "check: histories of a sequential register are judged linearizable";
    fc.assert(
      fc.property(workloadScriptArbitrary(150), (script) => {
        const operations = historyToOperations(runRegisterWorkload(script));
        const result = checkLinearizability(casRegisterModel, operations);
        if (result.verdict !== "linearizable") {
          throw new Error(
            `verdict ${result.verdict}\n${result.counterexample?.message ?? JSON.stringify(result.exhausted)}`,
          );
        }
      }),
      propertyParameters(name, 300),
    );
  });
});
