/**
 * `dst run`: one scenario, one seed. A failing run writes a counterexample file and
 * prints the one command that replays it.
 */
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { counterexampleOf } from "../../sim/counterexample.ts";
import { parsePlan } from "../../sim/faults/plan.ts";
import { runScenario, type RunOptions, type RunResult, type Scenario } from "../../sim/runner.ts";
import { parseSeed, parseWireMode, readJsonFile } from "../input.ts";
import type { Output } from "../main.ts";
import { describeRun } from "../report.ts";

export interface RunCommandOptions {
  seed: string;
  faults?: string;
  trace?: string;
  variant?: string;
  buggify: boolean;
  wire?: string;
  json: boolean;
  out: string;
}

export async function runCommand(scenario: Scenario, options: RunCommandOptions, output: Output): Promise<number> {
  const runOptions: RunOptions = { seed: parseSeed(options.seed), buggify: options.buggify };
  const wireMode = parseWireMode(options.wire);
  if (wireMode !== undefined) runOptions.wireMode = wireMode;
  if (options.faults !== undefined) runOptions.faults = parsePlan(readJsonFile(options.faults, "fault plan"), undefined);
  if (options.variant !== undefined) runOptions.variant = options.variant;
  const { result, wallMs } = await timedRun(scenario, runOptions, options.trace);
  let counterexamplePath: string | undefined;
  if (!result.ok) {
    counterexamplePath = join(options.out, `${scenario.name}-seed-${result.seed}${result.variant ? `-${result.variant}` : ""}.counterexample.json`);
    writeFileSync(counterexamplePath, `${JSON.stringify(counterexampleOf(result, runOptions), null, 2)}\n`);
  }
  if (options.json) {
    output.out(JSON.stringify({ ...result, wallMs, counterexample: counterexamplePath }));
  } else {
    output.out(describeRun(result, wallMs));
    if (counterexamplePath !== undefined) output.out(`counterexample written; replay with:\n  npx dst replay ${counterexamplePath}`);
  }
  return result.ok ? 0 : 1;
}

/** Runs with an optional JSON-lines trace file; measures wall time (the CLI's business, never the simulation's). */
export async function timedRun(scenario: Scenario, options: RunOptions, tracePath: string | undefined): Promise<{ result: RunResult; wallMs: number }> {
  const stream = tracePath === undefined ? undefined : createWriteStream(tracePath);
  const withTrace: RunOptions = stream === undefined ? options : { ...options, trace: { sink: (line) => stream.write(`${line}\n`) } };
  const start = performance.now();
  const result = await runScenario(scenario, withTrace);
  const wallMs = performance.now() - start;
  if (stream !== undefined) await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { result, wallMs };
}
