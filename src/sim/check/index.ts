/**
 * Linearizability checking for Jepsen-style histories: record a history, turn
 * it into operations, and check them against a sequential model (WGL search
 * with Lowe's cache, per partition). Also the parsers and loader of the
 * reference histories in testdata/histories.
 */
export { assert, AssertionError } from "../assert.ts";
export type { Counterexample, BlockedOperation } from "./counterexample.ts";
export { formatCounterexample } from "./counterexample.ts";
export { combineHashes, continueStringHash, hashNumber, hashString, mixInteger } from "./hash.ts";
export type {
  History,
  HistoryEvent,
  HistoryEventType,
  InvokeEvent,
  OkEvent,
  FailOrInfoEvent,
  OperationInput,
  ProcessId,
} from "./history.ts";
export { HistoryRecorder } from "./history-recorder.ts";
export type { OperationHandle } from "./history-recorder.ts";
export { checkLinearizability, defaultMaxSteps } from "./linearizability.ts";
export type { CheckOptions, LinearizabilityResult, Verdict } from "./linearizability.ts";
export { partitionByKey } from "./model.ts";
export type { Model, Partition, StepResult } from "./model.ts";
export { casRegisterModel, hashRegisterState, keyedCasRegisterModel } from "./models/cas-register.ts";
export type { RegisterInput, RegisterOutput, RegisterState, RegisterValue } from "./models/cas-register.ts";
export { keyValueModel } from "./models/key-value.ts";
export type { KeyValueInput, KeyValueOutput, KeyValueState } from "./models/key-value.ts";
export { historyToOperations } from "./operation.ts";
export type { Operation } from "./operation.ts";
export { HistoryParseError } from "./parsers/history-parse-error.ts";
export { parseJepsenEtcdLog } from "./parsers/jepsen-etcd-log.ts";
export { parseKeyValueHistory } from "./parsers/key-value-history.ts";
export {
  checkReference,
  listReferenceEntries,
  loadReference,
  parseReference,
  referenceSets,
  referenceDataDirectory,
} from "./reference-data.ts";
export type { ParsedReference, ReferenceEntry, ReferenceSet } from "./reference-data.ts";
