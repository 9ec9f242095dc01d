/**
 * dst-harness: the public API (the package's `.` export). What a project needs to
 * test its own system: the runner and the scenario types, the Env its processes
 * see, the World, fault plans (and their fast-check arbitraries), the disks, the
 * linearizability checker and its models, client-operation records, counterexamples
 * and shrinking. Its vitest helper is `dst-harness/vitest`; its determinism lint
 * rules `dst-harness/eslint`.
 *
 * A scenario module imports from here and is named in the project's dst.config
 * (defineConfig), which the `dst` command reads.
 */
import type { DstConfig } from "./cli/scenario-catalogue.ts";

export type { DstConfig } from "./cli/scenario-catalogue.ts";

// The runner and the scenario contract.
export {
  runScenario,
  standaloneContext,
  swarmWireMode,
  ScenarioError,
  DEFAULT_RUN_MAX_EVENTS,
  type DiskSystem,
  type KnobReader,
  type Phase,
  type RunOptions,
  type RunResult,
  type RunStats,
  type Scenario,
  type ScenarioContext,
  type ScenarioHooks,
  type ScenarioSwarm,
} from "./sim/runner.ts";
export { boolKnob, describeKnob, intKnob, pickKnob, type Knob, type KnobValue } from "./sim/knobs.ts";

// The world and what a simulated process sees of it.
export {
  AMBIENT_CALL_INVARIANT,
  World,
  describeError,
  type Violation,
  type ViolationKind,
  type WorldOptions,
} from "./sim/world.ts";
// The runtime determinism guard: what it refuses, and how trusted library code is let through.
export { AmbientCallError, allowAmbient, allowAmbientUntilSettled, type AmbientCall } from "./sim/ambient-guard.ts";
export * from "./sim/env.ts";
export { Random } from "./sim/random.ts";
export type { WireMode } from "./sim/net/rpc/frame-channel.ts";
export type { TraceRecord } from "./sim/trace.ts";
export { assert, assertEqual, AssertionError, unreachable } from "./sim/assert.ts";

// Disks.
export { SimDiskSystem, createSimDisks, type SimDiskSystemOptions } from "./sim/disk/system.ts";
export * from "./sim/disk/index.ts";

// Fault plans: data, the swarm that draws them, and fast-check arbitraries that shrink them.
export {
  FAULT_KINDS,
  FAULT_PLAN_VERSION,
  FaultPlanError,
  emptyPlan,
  normalizePlan,
  parsePlan,
  planSize,
  type DiskFaultRates,
  type FaultEvent,
  type FaultKind,
  type FaultPlan,
} from "./sim/faults/plan.ts";
export { faultPlanArbitrary, type FaultPlanArbitraryOptions } from "./sim/faults/arbitrary.ts";
export { SWARM_KINDS, swarmPlan, type SwarmKind, type SwarmOptions } from "./sim/faults/swarm.ts";
export { SHAPE_KINDS, type ShapeKind } from "./sim/faults/shapes.ts";
export { applyPlan, type DiskFaultTarget, type FaultApplier } from "./sim/faults/apply.ts";

// Checking histories: the linearizability checker and its models.
export {
  HistoryRecorder,
  HistoryParseError,
  casRegisterModel,
  checkLinearizability,
  defaultMaxSteps,
  formatCounterexample,
  hashRegisterState,
  historyToOperations,
  keyValueModel,
  keyedCasRegisterModel,
  parseJepsenEtcdLog,
  parseKeyValueHistory,
  partitionByKey,
  type BlockedOperation,
  type CheckOptions,
  type Counterexample as LinearizabilityCounterexample,
  type FailOrInfoEvent,
  type History,
  type HistoryEvent,
  type HistoryEventType,
  type InvokeEvent,
  type KeyValueInput,
  type KeyValueOutput,
  type KeyValueState,
  type LinearizabilityResult,
  type Model,
  type OkEvent,
  type Operation,
  type OperationHandle,
  type OperationInput,
  type Partition,
  type ProcessId,
  type RegisterInput,
  type RegisterOutput,
  type RegisterState,
  type RegisterValue,
  type StepResult,
  type Verdict,
} from "./sim/check/index.ts";
export {
  TracedHistory,
  TracedOperation,
  invokeOperation,
  invokeOperationWithId,
  reasonOf,
  type CompletionPhase,
} from "../scenarios/harness/client-operations.ts";
export { checkHistoryLinearizable, type HistoryCheckOptions } from "../scenarios/harness/history-check.ts";

// Counterexamples and shrinking.
export {
  CounterexampleError,
  counterexampleOf,
  parseCounterexample,
  replayOptions,
  type CodeVersion,
  type Counterexample,
} from "./sim/counterexample.ts";
export {
  SHRINK_RUNS_DEFAULT,
  ShrinkError,
  shrinkCounterexample,
  type ShrinkOptions,
  type ShrinkOutcome,
} from "./sim/shrink/shrink-counterexample.ts";

/** Types a dst.config's default export: `export default defineConfig({ scenarios: [pingPong] })`. */
export function defineConfig(config: DstConfig): DstConfig {
  return config;
}
