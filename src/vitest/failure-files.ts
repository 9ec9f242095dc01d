/**
 * What a failing run leaves behind for the vitest helper, next to each other: its
 * counterexample (what `dst run` and `dst sweep` write, naming the module its
 * scenario came from), and, from one replay of that file, its trace (the JSON lines
 * `dst run --trace` writes, which `dst export` reads) and its HTML view (the page
 * `dst view` writes). The replay is also a check: a counterexample whose replay does
 * not reproduce its fingerprint is said to be so in the message, since a replay of
 * it would diverge too.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { counterexampleOf, type Counterexample } from "../sim/counterexample.ts";
import type { RunResult, Scenario } from "../sim/runner.ts";
import type { TraceRecord } from "../sim/trace.ts";
import { currentCodeVersion } from "../cli/code-version.ts";
import { viewPage } from "../cli/commands/view.ts";
import { findConfigFile, moduleReference } from "../cli/scenario-catalogue.ts";
import { replayWithTrace } from "../cli/view/load-run.ts";
import { counterexampleBaseName } from "../cli/commands/run.ts";
import { describeScenarioRun, type ScenarioRun } from "./describe-run.ts";

/** The default directory for the counterexamples of failing runs, under the current directory. */
export const COUNTEREXAMPLES_DIRECTORY_DEFAULT = "dst-counterexamples";

/** A run that failed: its run, and the files that replay and show it. */
export interface ScenarioFailureReport {
  readonly seed: number;
  readonly result: RunResult;
  readonly counterexamplePath: string;
  /** The trace (JSON lines) and the HTML view, from a replay of the counterexample (absent with `trace: false`). */
  readonly tracePath?: string;
  readonly viewPath?: string;
  /** The lines a test prints: replay and shrink commands, the trace and view, the rerun, violations, workload. */
  readonly message: string;
}

/** The error a failing run fails its test with. */
export class ScenarioFailure extends Error {
  override readonly name = "ScenarioFailure";
  constructor(readonly report: ScenarioFailureReport) {
    super(report.message);
  }
}

/** Where and what a failure writes (the options of the helpers that write one). */
export interface FailureFilesOptions {
  /** Where a failing run's files are written (default COUNTEREXAMPLES_DIRECTORY_DEFAULT). */
  readonly counterexamples?: string;
  /**
   * The module the scenario comes from, recorded in the counterexample so that `dst replay <file>` finds the scenario
   * without --config: a path or a file: URL (`new URL("../scenarios/x.ts", import.meta.url).href`) of a module that
   * exports it (a dst config, or the scenario's own module). Default: the dst config of the current directory, if any.
   */
  readonly module?: string;
  /** Also write the trace and the HTML view, from one replay of the counterexample (default true). */
  readonly trace?: boolean;
}

/** The files a failure wrote (absolute paths). */
export interface FailureFiles {
  readonly counterexample: string;
  /** The trace, JSON lines (absent with `trace: false`). */
  readonly trace?: string;
  /** The HTML view of the trace (absent with `trace: false`). */
  readonly view?: string;
  /** The replay's fingerprint when it differs from the failing run's (a nondeterministic scenario). */
  readonly replayFingerprint?: string;
}

/**
 * Writes the counterexample of `result` (made as `run` says) as `<baseName>.counterexample.json` in the options'
 * directory, then its trace `<baseName>.trace.jsonl` and view `<baseName>.html`.
 */
export async function writeFailureFiles(
  scenario: Scenario,
  run: ScenarioRun,
  result: RunResult,
  baseName: string,
  options: FailureFilesOptions,
): Promise<FailureFiles> {
  const directory = resolve(options.counterexamples ?? COUNTEREXAMPLES_DIRECTORY_DEFAULT);
  mkdirSync(directory, { recursive: true });
  const module = options.module ?? findConfigFile();
  // The result carries the variant, wire mode, plan and knobs; the run adds what it does not.
  const counterexample = counterexampleOf(
    result,
    { seed: run.seed, buggify: run.buggify === true, safetyMs: run.safetyMs },
    currentCodeVersion(),
    module === undefined ? undefined : moduleReference(module),
  );
  const path = join(directory, `${baseName}.counterexample.json`);
  writeFileSync(path, `${JSON.stringify(counterexample, null, 2)}\n`);
  if (options.trace === false) return { counterexample: path };
  return { counterexample: path, ...(await writeTraceAndView(scenario, counterexample, join(directory, baseName))) };
}

async function writeTraceAndView(
  scenario: Scenario,
  counterexample: Counterexample,
  base: string,
): Promise<{ trace: string; view: string; replayFingerprint?: string }> {
  const { result, lines } = await replayWithTrace(scenario, counterexample);
  const trace = `${base}.trace.jsonl`;
  writeFileSync(trace, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  const variant = counterexample.variant === undefined ? "" : ` variant ${counterexample.variant}`;
  const title = `${counterexample.scenario} seed ${counterexample.seed}${variant}`;
  const view = `${base}.html`;
  writeFileSync(
    view,
    viewPage(
      lines.map((line) => JSON.parse(line) as TraceRecord),
      title,
    ).html,
  );
  const diverged = result.fingerprint !== counterexample.expected.fingerprint;
  return { trace, view, ...(diverged ? { replayFingerprint: result.fingerprint } : {}) };
}

/** The lines a failing test prints about its files: the commands on the counterexample, then the trace and view. */
export function describeFailureFiles(files: FailureFiles, fingerprint: string): string[] {
  const shown = (path: string) => relative(process.cwd(), path);
  const counterexample = shown(files.counterexample);
  const lines = [
    `counterexample written; replay it, shrink it with:`,
    `  npx dst replay ${counterexample}`,
    `  npx dst shrink ${counterexample}`,
  ];
  if (files.trace !== undefined && files.view !== undefined)
    lines.push(
      `its trace (JSON lines; npx dst export --format chrome for Perfetto) and its view (open in a browser):`,
      `  ${shown(files.trace)}`,
      `  ${shown(files.view)}`,
    );
  if (files.replayFingerprint !== undefined)
    lines.push(
      `NONDETERMINISM: replaying the counterexample gave fingerprint ${files.replayFingerprint}, not the run's ` +
        `${fingerprint}: the trace and view show the replay, and dst replay will not reproduce the run`,
    );
  return lines;
}

/**
 * Writes the files of a failing run (named `<baseName>.*`, default `<scenario>-seed-<n>[-<variant>]`) and the report
 * a test prints: `headline`, then the files and the commands on them, then the rerun.
 */
export async function reportFailure(
  scenario: Scenario,
  run: ScenarioRun,
  result: RunResult,
  options: FailureFilesOptions,
  headline = `${scenario.name} seed ${run.seed}${run.variant === undefined ? "" : ` variant ${run.variant}`} failed`,
  baseName = counterexampleBaseName(scenario.name, run.seed, run.variant),
): Promise<ScenarioFailureReport> {
  const files = await writeFailureFiles(scenario, run, result, baseName, options);
  const message = [
    headline,
    ...describeFailureFiles(files, result.fingerprint),
    `or rerun it:`,
    `  ${describeScenarioRun(scenario, run, result)}`,
  ].join("\n");
  return {
    seed: run.seed,
    result,
    counterexamplePath: files.counterexample,
    ...(files.trace !== undefined ? { tracePath: files.trace } : {}),
    ...(files.view !== undefined ? { viewPath: files.view } : {}),
    message,
  };
}
