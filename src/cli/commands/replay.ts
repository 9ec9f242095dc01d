/**
 * `dst replay`: reruns a counterexample exactly and compares the run with its
 * recording. Outcomes, each with its exit code (exit-codes.ts) so scripts can trust it:
 * - reproduced: the same fingerprint and the same violations: 1 when it recorded
 *   violations, 0 for a passing counterexample;
 * - now passes: it recorded violations and the run has none: 3;
 * - diverged: another fingerprint or other violations: 4.
 * A replay that did not reproduce says whether the code changed since the
 * counterexample was written (its recorded code version against this one).
 */
import { parseCounterexample, replayOptions, type Counterexample } from "../../sim/counterexample.ts";
import type { RunResult } from "../../sim/runner.ts";
import type { Violation } from "../../sim/world.ts";
import { codeChanged, currentCodeVersion, describeCodeChange } from "../code-version.ts";
import { EXIT_OK, EXIT_REPLAY_DIVERGED, EXIT_REPLAY_NOW_PASSES, EXIT_VIOLATION } from "../exit-codes.ts";
import { readJsonFile, UsageError } from "../input.ts";
import type { Output } from "../main.ts";
import { describeRun } from "../report.ts";
import { catalogueForCounterexample } from "../scenario-catalogue.ts";
import { timedRun } from "./run.ts";

export interface ReplayCommandOptions {
  trace?: string;
  json: boolean;
}

/** How a replay compares with the recording. */
export type ReplayOutcome = "reproduced" | "now-passes" | "diverged";

export async function replayCommand(path: string, options: ReplayCommandOptions, output: Output): Promise<number> {
  const counterexample = parseCounterexample(readJsonFile(path, "counterexample"));
  const scenario = (await catalogueForCounterexample(counterexample.module, path)).find(counterexample.scenario);
  if (scenario === undefined)
    throw new UsageError(`unknown scenario "${counterexample.scenario}" (dst list shows them)`);
  const { result, wallMs } = await timedRun(scenario, replayOptions(counterexample), options.trace);
  const outcome = replayOutcome(counterexample, result);
  const expected = counterexample.expected;
  const current = outcome === "reproduced" ? undefined : currentCodeVersion();
  if (options.json) {
    const code =
      current === undefined
        ? undefined
        : { recorded: counterexample.codeVersion, current, changed: codeChanged(counterexample.codeVersion, current) };
    output.out(
      JSON.stringify({
        ...result,
        wallMs,
        outcome,
        reproduced: outcome === "reproduced",
        expectedFingerprint: expected.fingerprint,
        code,
      }),
    );
  } else {
    output.out(describeRun(result, wallMs));
    output.out(describeOutcome(outcome, expected, result));
    if (current !== undefined) output.out(describeCodeChange(counterexample.codeVersion, current));
  }
  if (outcome === "now-passes") return EXIT_REPLAY_NOW_PASSES;
  if (outcome === "diverged") return EXIT_REPLAY_DIVERGED;
  return result.ok ? EXIT_OK : EXIT_VIOLATION;
}

/** Reproduced needs both the fingerprint and the violations; a run that lost every recorded violation now passes. */
export function replayOutcome(counterexample: Counterexample, result: RunResult): ReplayOutcome {
  const { fingerprint, violations } = counterexample.expected;
  if (result.fingerprint === fingerprint && sameViolations(violations, result.violations)) return "reproduced";
  if (result.ok && violations.length > 0) return "now-passes";
  return "diverged";
}

function sameViolations(recorded: readonly Violation[], observed: readonly Violation[]): boolean {
  const key = (violation: Violation) =>
    JSON.stringify([violation.kind, violation.invariant, violation.host ?? null, violation.time, violation.details]);
  return (
    recorded.length === observed.length &&
    recorded.every((violation, index) => key(violation) === key(observed[index] as Violation))
  );
}

function describeOutcome(outcome: ReplayOutcome, expected: Counterexample["expected"], result: RunResult): string {
  if (outcome === "reproduced")
    return `replay: same fingerprint ${result.fingerprint} and the same ${expected.violations.length} violation(s): reproduced exactly`;
  if (outcome === "now-passes") {
    return `replay: the run now passes: it recorded ${expected.violations.length} violation(s) (fingerprint ${expected.fingerprint}), it has none (fingerprint ${result.fingerprint}): NOT reproduced`;
  }
  const how =
    result.fingerprint === expected.fingerprint
      ? `same fingerprint ${result.fingerprint} but other violations than the ${expected.violations.length} recorded`
      : `fingerprint ${result.fingerprint} differs from the recorded ${expected.fingerprint}`;
  return `replay: ${how}: diverged from the recording, NOT reproduced`;
}
