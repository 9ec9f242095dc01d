/**
 * `dst run`: one scenario, one seed (without --seed, a fresh one drawn at random and
 * printed first). A failing run writes a counterexample file and prints the one
 * command that replays it. Where it writes (--out, --trace) is checked before the
 * run starts.
 */
import { join } from "node:path";
import { counterexampleOf } from "../../sim/counterexample.ts";
import { parsePlan } from "../../sim/faults/plan.ts";
import { runScenario, type RunOptions, type RunResult, type Scenario } from "../../sim/runner.ts";
import { currentCodeVersion } from "../code-version.ts";
import { freshSeed } from "../fresh-seed.ts";
import { parseKnobOptions, parseSeed, parseWireMode, readJsonFile } from "../input.ts";
import type { Output } from "../main.ts";
import { checkOutputDirectory, openOutputLines, writeOutputFile } from "../output-files.ts";
import { describeRun } from "../report.ts";
import { activeModuleReference } from "../scenario-catalogue.ts";

export interface RunCommandOptions {
  /** Absent: a fresh seed drawn at random. */
  seed?: string;
  faults?: string;
  trace?: string;
  variant?: string;
  buggify: boolean;
  wire?: string;
  /** `--knob name=value` texts: knobs fixed instead of the seed's draws. */
  knob?: string[];
  json: boolean;
  /** The directory a failing run writes its counterexample to. */
  out: string;
}

export async function runCommand(scenario: Scenario, options: RunCommandOptions, output: Output): Promise<number> {
  const drawn = options.seed === undefined;
  const runOptions: RunOptions = {
    seed: options.seed === undefined ? freshSeed() : parseSeed(options.seed),
    buggify: options.buggify,
  };
  const wireMode = parseWireMode(options.wire);
  if (wireMode !== undefined) runOptions.wireMode = wireMode;
  if (options.faults !== undefined)
    runOptions.faults = parsePlan(readJsonFile(options.faults, "fault plan"), undefined);
  if (options.variant !== undefined) runOptions.variant = options.variant;
  const knobs = parseKnobOptions(options.knob);
  if (knobs !== undefined) runOptions.knobs = knobs;
  // Whether the run fails is known only at its end: the directory for its counterexample must be usable from the start.
  checkOutputDirectory(options.out, "counterexamples");
  // Printed before the run, so that the seed is known even if the run never ends.
  if (drawn && !options.json)
    output.out(`seed ${runOptions.seed} (drawn at random; rerun with --seed ${runOptions.seed})`);
  const { result, wallMs } = await timedRun(scenario, runOptions, options.trace);
  const counterexamplePath = result.ok
    ? undefined
    : join(options.out, counterexampleFileName(scenario.name, result.seed, result.variant));
  try {
    if (counterexamplePath !== undefined) {
      const counterexample = counterexampleOf(result, runOptions, currentCodeVersion(), await activeModuleReference());
      writeOutputFile(counterexamplePath, `${JSON.stringify(counterexample, null, 2)}\n`, "counterexample");
    }
  } catch (error) {
    // The violations, at least.
    output.out(options.json ? JSON.stringify({ ...result, wallMs }) : describeRun(result, wallMs));
    throw error;
  }
  if (options.json) {
    output.out(
      JSON.stringify({
        ...result,
        wallMs,
        counterexample: counterexamplePath,
        seedDrawnAtRandom: drawn ? true : undefined,
      }),
    );
  } else {
    output.out(describeRun(result, wallMs));
    if (counterexamplePath !== undefined)
      output.out(`counterexample written; replay with:\n  npx dst replay ${counterexamplePath}`);
  }
  return result.ok ? 0 : 1;
}

/** The name of a failing run's counterexample file: `<scenario>-seed-<n>[-<variant>].counterexample.json`. */
export function counterexampleFileName(scenario: string, seed: number, variant: string | undefined): string {
  return `${counterexampleBaseName(scenario, seed, variant)}.counterexample.json`;
}

/** A failing run's files' common name (`<scenario>-seed-<n>[-<variant>]`): its counterexample's, trace's and view's. */
export function counterexampleBaseName(scenario: string, seed: number, variant: string | undefined): string {
  return `${scenario}-seed-${seed}${variant === undefined ? "" : `-${variant}`}`;
}

/**
 * Runs with an optional JSON-lines trace file (checked before the run starts); measures
 * wall time (the CLI's business, never the simulation's).
 */
export async function timedRun(
  scenario: Scenario,
  options: RunOptions,
  tracePath: string | undefined,
): Promise<{ result: RunResult; wallMs: number }> {
  const lines = tracePath === undefined ? undefined : openOutputLines(tracePath, "trace");
  const withTrace: RunOptions =
    lines === undefined ? options : { ...options, trace: { sink: (line) => lines.write(line) } };
  const start = performance.now();
  try {
    const result = await runScenario(scenario, withTrace);
    return { result, wallMs: performance.now() - start };
  } finally {
    await lines?.close();
  }
}
