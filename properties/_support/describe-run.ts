/** The replay command, the violations and the workload of a scenario run, for a failure message (src/vitest). */
export { describeRun, describeScenarioRun, runAs, type ScenarioRun } from "../../src/vitest/describe-run.ts";
