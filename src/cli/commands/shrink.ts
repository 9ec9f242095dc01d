/**
 * `dst shrink`: minimises a counterexample's fault plan, safety phase and workload,
 * and moves its knobs toward their defaults, while its first violation keeps the same signature (kind, invariant and
 * host),
 * writes the minimal counterexample, and prints the sizes before and after and the
 * one command that replays the minimal file.
 *
 * Exit codes: 0 when a minimal counterexample was written; bad input (unreadable
 * file, a counterexample that does not fail, a malformed --max-runs, an output path
 * that cannot be written, checked before shrinking starts) throws
 * `UsageError` or `CounterexampleError`, which the CLI turns into exit code 2.
 */
import { parseCounterexample } from "../../sim/counterexample.ts";
import type { Scenario } from "../../sim/runner.ts";
import {
  SHRINK_RUNS_DEFAULT,
  SHRINK_RUNS_MAX,
  shrinkCounterexample,
  type ShrinkOutcome,
} from "../../sim/shrink/shrink-counterexample.ts";
import type { CounterexampleSize } from "../../sim/shrink/size.ts";
import { describeKnobs } from "../../sim/knobs.ts";
import { readJsonFile, UsageError } from "../input.ts";
import { currentCodeVersion, describeCodeChange } from "../code-version.ts";
import type { Output } from "../main.ts";
import { checkOutputFile, writeOutputFile } from "../output-files.ts";
import { catalogueForCounterexample, type ScenarioCatalogue } from "../scenario-catalogue.ts";
import { describeViolation } from "../report.ts";

export interface ShrinkCommandOptions {
  /** Where to write the minimal counterexample (default: the input's path with `.min.json` for `.json`). */
  out?: string;
  /** Most scenario runs (default SHRINK_RUNS_DEFAULT). */
  maxRuns?: string;
}

/** Runs `dst shrink <path>`; resolves with the exit code. */
export async function shrinkCommand(path: string, options: ShrinkCommandOptions, output: Output): Promise<number> {
  const maxRuns = options.maxRuns === undefined ? SHRINK_RUNS_DEFAULT : parseMaxRuns(options.maxRuns);
  const counterexample = parseCounterexample(readJsonFile(path, "counterexample"));
  const outPath = options.out ?? minimalPath(path);
  checkOutputFile(outPath, "minimal counterexample"); // before minutes of shrinking, not after
  const start = performance.now();
  const catalogue = await catalogueForCounterexample(counterexample.module, path);
  const resolveScenario = (name: string) => requireScenario(catalogue, name);
  const outcome = await shrinkCounterexample(counterexample, { resolveScenario, maxRuns });
  const wallMs = performance.now() - start;
  for (const line of describeShrink(outcome, maxRuns, wallMs)) output.out(line);
  if (!outcome.inputReproduced) output.out(describeCodeChange(counterexample.codeVersion, currentCodeVersion()));
  // Made by this code, whatever code made the input; from the input's module.
  const module = counterexample.module;
  const minimal = {
    ...outcome.minimal,
    codeVersion: currentCodeVersion(),
    ...(module !== undefined ? { module } : {}),
  };
  writeOutputFile(outPath, `${JSON.stringify(minimal, null, 2)}\n`, "minimal counterexample");
  output.out(`minimal counterexample written; replay with:\n  npx dst replay ${outPath}`);
  return 0;
}

/** `x.counterexample.json` → `x.counterexample.min.json`; any other name gets `.min.json` appended. */
export function minimalPath(path: string): string {
  return path.endsWith(".json") ? `${path.slice(0, -".json".length)}.min.json` : `${path}.min.json`;
}

function parseMaxRuns(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`malformed --max-runs "${text}": expected a positive integer`);
  const maxRuns = Number(text);
  if (maxRuns < 1 || maxRuns > SHRINK_RUNS_MAX)
    throw new UsageError(`--max-runs ${text} is outside [1, ${SHRINK_RUNS_MAX}]`);
  return maxRuns;
}

function requireScenario(catalogue: ScenarioCatalogue, name: string): Scenario {
  const scenario = catalogue.find(name);
  if (scenario === undefined) throw new UsageError(`unknown scenario "${name}" (dst list shows them)`);
  return scenario;
}

function describeShrink(outcome: ShrinkOutcome, maxRuns: number, wallMs: number): string[] {
  const { minimal } = outcome;
  const variant = minimal.variant === undefined ? "" : ` (variant ${minimal.variant})`;
  const lines = [`shrunk ${minimal.scenario} seed ${minimal.seed}${variant}, keeping ${outcome.signature}`];
  if (!outcome.inputReproduced)
    lines.push("note: the input fails the same way but no longer replays to its recorded fingerprint");
  lines.push(`before: ${describeSize(outcome.before)}`);
  lines.push(`after:  ${describeSize(outcome.after)}`);
  const budget = outcome.exhausted
    ? ` (budget of ${maxRuns} spent: smaller, perhaps not minimal; raise --max-runs to go further)`
    : "";
  lines.push(`runs ${outcome.runs}, wall ${(wallMs / 1000).toFixed(2)} s${budget}`);
  const first = minimal.expected.violations[0];
  if (first !== undefined) lines.push(describeViolation(first));
  return lines;
}

function describeSize(size: CounterexampleSize): string {
  const operations = size.operations === undefined ? "" : `, operations ${size.operations}`;
  const off = size.knobsOffDefault === undefined ? undefined : Object.keys(size.knobsOffDefault).length;
  const knobs =
    off === undefined || size.knobsOffDefault === undefined
      ? ""
      : `, knobs off their defaults ${off}${off > 0 ? ` (${describeKnobs(size.knobsOffDefault)})` : ""}`;
  return `faults ${size.faults}${operations}, first violation at ${size.violationTimeMs.toFixed(1)} ms, safety phase ${size.safetyMs} ms${knobs}`;
}
