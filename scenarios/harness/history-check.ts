/**
 * The final check of a scenario's client history for linearizability, shared by
 * the scenarios that record one (raft-kv, dqlite-register, etcd-kv).
 *
 * Contract: a history that is not linearizable is a safety violation of
 * `<system>.linearizable` whose details are the checker's counterexample and whose
 * fields name, by the operation ids the trace carries (scenarios/harness/client-operations.ts),
 * what Porcupine shows: `key` (the failing partition), `operations` (all of
 * its operations), `linearized` (the longest linearizable prefix, in order),
 * `blocked` (the operations that cannot come next) and `operation` (the one that
 * cannot be placed: the first blocked one whose output is impossible there, else
 * the first blocked one), with `operationTime`, its invocation's virtual time.
 * A search that runs out is a liveness violation of `<system>.linearizability-unknown`.
 */
import {
  checkLinearizability,
  historyToOperations,
  type Counterexample,
  type History,
  type Model,
  type OperationInput,
} from "../../src/sim/check/index.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";

export interface HistoryCheckOptions<State, Input extends OperationInput, Output> {
  /** The system's prefix of the invariants' names, e.g. "raft-kv". */
  readonly system: string;
  readonly model: Model<State, Input, Output>;
  /** Search steps at most (an "unknown" verdict is reported as liveness). */
  readonly stepsMax: number;
}

/** Checks `history`; reports `<system>.linearizable` (safety) or `<system>.linearizability-unknown` (liveness). */
export function checkHistoryLinearizable<State, Input extends OperationInput, Output>(
  context: ScenarioContext,
  history: History<Input, Output>,
  options: HistoryCheckOptions<State, Input, Output>,
): void {
  const operations = historyToOperations(history);
  const result = checkLinearizability(options.model, operations, { maxSteps: options.stepsMax });
  if (result.verdict === "not-linearizable" && result.counterexample !== undefined) {
    context.world.violate({
      invariant: `${options.system}.linearizable`,
      kind: "safety",
      details: result.counterexample.message,
      fields: counterexampleFields(result.counterexample),
    });
  } else if (result.verdict === "unknown") {
    context.world.violate({
      invariant: `${options.system}.linearizability-unknown`,
      kind: "liveness",
      details: `the check ran out of its budget (${result.exhausted?.limit ?? "max-steps"}, key ${result.exhausted?.key ?? "?"}) after ${result.steps} steps over ${operations.length} operations`,
    });
  }
}

/** What the viewer needs of a counterexample, by operation id (see the file comment). */
export function counterexampleFields(counterexample: Counterexample<OperationInput, unknown>): Record<string, unknown> {
  const unplaceable = counterexample.blocked.find((blocked) => !blocked.possible) ?? counterexample.blocked[0];
  return {
    key: counterexample.key,
    operation: unplaceable?.operation.id,
    operationTime: unplaceable?.operation.callTime,
    linearized: counterexample.longestPrefix.map((operation) => operation.id),
    blocked: counterexample.blocked.map((blocked) => blocked.operation.id),
    operations: counterexample.operations.map((operation) => operation.id),
  };
}
