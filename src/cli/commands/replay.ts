/**
 * `dst replay`: reruns a counterexample exactly and confirms the same fingerprint.
 */
import { parseCounterexample, replayOptions } from "../../sim/counterexample.ts";
import type { Scenario } from "../../sim/runner.ts";
import { readJsonFile } from "../input.ts";
import type { Output } from "../main.ts";
import { describeRun } from "../report.ts";
import { timedRun } from "./run.ts";

export interface ReplayCommandOptions {
  trace?: string;
  json: boolean;
}

export async function replayCommand(
  path: string,
  options: ReplayCommandOptions,
  output: Output,
  requireScenario: (name: string) => Scenario,
): Promise<number> {
  const counterexample = parseCounterexample(readJsonFile(path, "counterexample"));
  const scenario = requireScenario(counterexample.scenario);
  const { result, wallMs } = await timedRun(scenario, replayOptions(counterexample), options.trace);
  const reproduced = result.fingerprint === counterexample.expected.fingerprint;
  if (options.json) {
    output.out(JSON.stringify({ ...result, wallMs, reproduced, expectedFingerprint: counterexample.expected.fingerprint }));
  } else {
    output.out(describeRun(result, wallMs));
    output.out(
      reproduced
        ? `replay: same fingerprint ${result.fingerprint}: reproduced exactly`
        : `replay: fingerprint ${result.fingerprint} differs from the recorded ${counterexample.expected.fingerprint}: NOT reproduced`,
    );
  }
  if (!reproduced) return 1;
  return result.ok ? 0 : 1;
}
