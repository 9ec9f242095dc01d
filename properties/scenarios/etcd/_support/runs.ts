/**
 * Helpers of the etcd properties: run a scenario and describe a failing run as the
 * command that replays it (or the fault plan that breaks it).
 */

export type { ScenarioRun as EtcdRun } from "../../../_support/describe-run.ts";
export { runAs as runEtcd, describeScenarioRun as describeRun } from "../../../_support/describe-run.ts";
