/**
 * `dst sweep`: many seeds of one scenario (or `all`), on worker threads, with a live
 * progress bar on stderr (runs done, failures, runs/s, ETA), one JSON line per run
 * (--out) written in seed order, and a summary: failures grouped by violation
 * signature, each with its smallest seed and replay command, then coverage of rare
 * paths and of the scenarios' declared rare states (gaps reported; they fail the
 * sweep only with --fail-on-gaps). `--shard i/n` runs the seeds with seed % n == i - 1, so n machines split
 * the same range; `dst merge` combines their outputs into the same summary.
 * `--check-determinism` reruns a sample of seeds and fails on any difference.
 */
import { SingleBar } from "cli-progress";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { activeCatalogue, activeModuleReference } from "../scenario-catalogue.ts";
import { counterexampleOf } from "../../sim/counterexample.ts";
import type { WireMode } from "../../sim/net/rpc/frame-channel.ts";
import { runScenario, ScenarioError, type RunOptions, type Scenario } from "../../sim/runner.ts";
import type { SweepRecord } from "../sweep/sweep-record.ts";
import { currentCodeVersion } from "../code-version.ts";
import { pointRootsOf, scanPoints, type Point } from "../coverage/points.ts";
import { rareStatesOf, formatRareStates } from "../coverage/rare-states.ts";
import { coverageOf, formatCoverage } from "../coverage/report.ts";
import { EXIT_OK, EXIT_RARE_STATE_GAPS, EXIT_VIOLATION } from "../exit-codes.ts";
import { parseSeedRange, parseWireMode, UsageError } from "../input.ts";
import type { Output } from "../main.ts";
import { ensureOutputDirectory, openOutputLines, writeOutputFile } from "../output-files.ts";
import { runCommandLine, violationSignature } from "../report.ts";
import { runTasks } from "../sweep/pool.ts";
import type { DeterminismDifference, SweepAnswer, SweepTask } from "../sweep/task.ts";

export interface SweepCommandOptions {
  seeds: string;
  variant?: string;
  buggify?: boolean;
  wire?: string;
  out?: string;
  counterexamples?: string;
  progress: boolean;
  workers?: string;
  shard?: string;
  checkDeterminism?: string | boolean;
  /** Exit EXIT_RARE_STATE_GAPS when a declared rare state is a gap (default: gaps are only reported). */
  failOnGaps?: boolean;
}

/** Most workers a sweep may start. */
export const SWEEP_WORKERS_MAX = 64;
/** Without --workers, sweeps of fewer runs than this run in this thread. */
export const SWEEP_INLINE_RUNS_MAX = 16;

export async function sweepCommand(
  target: Scenario | "all",
  options: SweepCommandOptions,
  output: Output,
): Promise<number> {
  const { first, last } = parseSeedRange(options.seeds);
  const shard = parseShard(options.shard);
  const requestedWorkers = parseWorkers(options.workers);
  const sampleEvery = parseDeterminismSample(options.checkDeterminism);
  const catalogue = await activeCatalogue();
  const scenarios = target === "all" ? [...catalogue.scenarios] : [target];
  if (options.variant !== undefined && scenarios.length > 1)
    throw new UsageError("--variant needs one scenario, not all");
  const tasks = buildTasks(scenarios, first, last, shard, {
    variant: options.variant,
    sampleEvery,
    buggify: options.buggify === true,
    wireMode: parseWireMode(options.wire),
  });
  // A worker thread costs about 1.5 s to start (loading the sources): short sweeps run inline unless asked.
  const workers = options.workers === undefined && tasks.length < SWEEP_INLINE_RUNS_MAX ? 1 : requestedWorkers;
  // Checked before the first run: a sweep can take hours, and its output is the point of it.
  if (options.counterexamples !== undefined) ensureOutputDirectory(options.counterexamples, "counterexamples");
  const lines = options.out === undefined ? undefined : openOutputLines(options.out, "sweep results");
  const ordered = new OrderedWriter(tasks.length, (record) => lines?.write(JSON.stringify(record)));
  const bar = startProgressBar(options.progress === true, tasks.length);
  const records: SweepRecord[] = [];
  const nondeterministic: Array<{ task: SweepTask; difference: DeterminismDifference }> = [];
  const errors: string[] = [];
  const refusals: string[] = [];
  const start = performance.now();
  await runTasks(tasks, workers, (answer: SweepAnswer) => {
    const task = tasks[answer.id] as SweepTask;
    if (!answer.ok && answer.refused === true) refusals.push(`${task.scenario} seed ${task.seed}: ${answer.error}`);
    if (!answer.ok) {
      errors.push(`${task.scenario} seed ${task.seed}: ${answer.error}`);
      ordered.skip(answer.id);
    } else {
      records.push(answer.record);
      ordered.put(answer.id, answer.record);
      if (answer.nondeterminism !== undefined) nondeterministic.push({ task, difference: answer.nondeterminism });
    }
    const done = records.length + errors.length;
    bar?.update(done, {
      failures: records.filter((record) => record.outcome !== "ok").length + errors.length,
      rate: (done / ((performance.now() - start) / 1000)).toFixed(1),
    });
  });
  bar?.stop();
  await lines?.close();
  // A refused run is bad input (a plan naming a host the scenario lacks), not a failure: exit 2, not a table.
  if (refusals.length > 0) throw new ScenarioError(refusals[0] as string);
  if (options.counterexamples !== undefined) await writeCounterexamples(records, scenarios, options.counterexamples);
  output.out(summarizeSweep(records, (performance.now() - start) / 1000, workers));
  const rareStates = printCoverage(output, target, scenarios, scanPoints(pointRootsOf(catalogue)), records);
  for (const error of errors) output.out(`ERROR ${error}`);
  printDeterminism(output, tasks, nondeterministic, sampleEvery);
  const failed = records.some((record) => record.outcome !== "ok") || errors.length > 0 || nondeterministic.length > 0;
  if (failed) return EXIT_VIOLATION;
  return options.failOnGaps === true && rareStates.some((entry) => entry.gap) ? EXIT_RARE_STATE_GAPS : EXIT_OK;
}

/** The progress bar on stderr, when asked for and stderr is a terminal. */
function startProgressBar(wanted: boolean, total: number): SingleBar | undefined {
  if (!wanted || !process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    format: "{bar} {value}/{total} runs | {failures} failed | {rate} runs/s | ETA {eta_formatted}",
    hideCursor: true,
  });
  bar.start(total, 0, { failures: 0, rate: "0.0" });
  return bar;
}

/** Prints the probe coverage and the rare-state table of a sweep's records; returns the rare states. */
function printCoverage(
  output: Output,
  target: Scenario | "all",
  scenarios: readonly Scenario[],
  points: readonly Point[],
  records: readonly SweepRecord[],
) {
  output.out("");
  output.out(
    formatCoverage(
      coverageOf(records, points),
      target === "all" ? undefined : (target.probePrefixes ?? [`${target.name.split("-")[0]}.`]),
    ),
  );
  const rareStates = rareStatesOf(records, scenarios);
  output.out("");
  output.out(formatRareStates(rareStates));
  return rareStates;
}

/** Prints each run whose replay differed, or that the sampled replays matched. */
function printDeterminism(
  output: Output,
  tasks: readonly SweepTask[],
  nondeterministic: ReadonlyArray<{ task: SweepTask; difference: DeterminismDifference }>,
  sampleEvery: number | undefined,
): void {
  for (const { task, difference } of nondeterministic) {
    output.out(
      `NONDETERMINISM ${task.scenario} seed ${task.seed}: first differing trace record ${difference.index}\n  first run:  ${difference.first ?? "(end of trace)"}\n  second run: ${difference.second ?? "(end of trace)"}`,
    );
  }
  if (sampleEvery !== undefined && nondeterministic.length === 0) {
    output.out(
      `determinism: ${tasks.filter((task) => task.checkDeterminism).length} sampled runs replayed with identical traces`,
    );
  }
}

/** What every task of a sweep shares. */
interface TaskSettings {
  readonly variant: string | undefined;
  readonly sampleEvery: number | undefined;
  readonly buggify: boolean;
  readonly wireMode: WireMode | undefined;
}

function buildTasks(
  scenarios: readonly Scenario[],
  first: number,
  last: number,
  shard: { index: number; count: number } | undefined,
  { variant, sampleEvery, buggify, wireMode }: TaskSettings,
): SweepTask[] {
  const tasks: SweepTask[] = [];
  for (const scenario of scenarios) {
    for (let seed = first; seed <= last; seed++) {
      if (shard !== undefined && seed % shard.count !== shard.index - 1) continue;
      const task: SweepTask = {
        id: tasks.length,
        scenario: scenario.name,
        seed,
        checkDeterminism: sampleEvery !== undefined && seed % sampleEvery === 0,
      };
      if (variant !== undefined) task.variant = variant;
      if (buggify) task.buggify = true;
      if (wireMode !== undefined) task.wireMode = wireMode;
      tasks.push(task);
    }
  }
  if (sampleEvery !== undefined && tasks.length > 0 && !tasks.some((task) => task.checkDeterminism))
    (tasks[0] as SweepTask).checkDeterminism = true;
  return tasks;
}

async function writeCounterexamples(
  records: readonly SweepRecord[],
  scenarios: readonly Scenario[],
  directory: string,
): Promise<void> {
  const module = await activeModuleReference();
  for (const record of records) {
    if (record.outcome === "ok") continue;
    const scenario = scenarios.find((candidate) => candidate.name === record.scenario) as Scenario;
    const options: RunOptions = { seed: record.seed, buggify: record.buggify === true };
    if (record.variant !== undefined) options.variant = record.variant;
    if (record.wireMode !== undefined) options.wireMode = record.wireMode;
    const result = await runScenario(scenario, options);
    writeOutputFile(
      join(directory, `${record.scenario}-seed-${record.seed}.counterexample.json`),
      `${JSON.stringify(counterexampleOf(result, options, currentCodeVersion(), module), null, 2)}\n`,
      "counterexample",
    );
  }
}

/** Writes records in task order although workers finish out of order. */
class OrderedWriter {
  private next = 0;
  private readonly waiting = new Map<number, SweepRecord | null>();

  constructor(
    private readonly total: number,
    private readonly write: (record: SweepRecord) => void,
  ) {}

  put(id: number, record: SweepRecord): void {
    this.waiting.set(id, record);
    this.flush();
  }

  skip(id: number): void {
    this.waiting.set(id, null);
    this.flush();
  }

  private flush(): void {
    while (this.next < this.total && this.waiting.has(this.next)) {
      const record = this.waiting.get(this.next);
      this.waiting.delete(this.next);
      if (record !== null && record !== undefined) this.write(record);
      this.next++;
    }
  }
}

export function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count || count > 1_000_000) {
    throw new UsageError(`malformed shard "${text}": expected i/n with 1 <= i <= n, e.g. 2/8`);
  }
  return { index, count };
}

/** `--workers N` (default: every core, up to SWEEP_WORKERS_MAX). */
export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return Math.min(availableParallelism(), SWEEP_WORKERS_MAX);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > SWEEP_WORKERS_MAX) {
    throw new UsageError(`malformed --workers "${text}": expected 1 to ${SWEEP_WORKERS_MAX}`);
  }
  return Number(text);
}

/** `--check-determinism` alone samples every 10th seed; `--check-determinism N` every Nth. */
function parseDeterminismSample(value: string | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 10;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(
      `malformed --check-determinism "${value}": expected a sampling interval N >= 1 (every Nth seed)`,
    );
  return Number(value);
}

/** The summary table: totals, then failures grouped by signature with the smallest seed. */
export function summarizeSweep(records: readonly SweepRecord[], wallSeconds?: number, workers?: number): string {
  const failed = records.filter((record) => record.outcome !== "ok");
  const timing =
    wallSeconds === undefined
      ? ""
      : ` in ${wallSeconds.toFixed(1)} s${workers === undefined ? "" : ` on ${workers} worker(s)`} (${((records.length / Math.max(wallSeconds, 1e-9)) * 60).toFixed(0)} seeds/min)`;
  const lines = [`${records.length} runs, ${records.length - failed.length} ok, ${failed.length} failed${timing}`];
  const groups = new Map<string, SweepRecord[]>();
  for (const record of failed) {
    const signature = `${record.scenario}: ${violationSignature(record.violations[0] as SweepRecord["violations"][number])}`;
    groups.set(signature, [...(groups.get(signature) ?? []), record]);
  }
  if (groups.size > 0) {
    lines.push("", "| failures | signature | smallest seed | replay |", "| ---: | --- | ---: | --- |");
    for (const [signature, group] of [...groups.entries()].sort(
      (a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]),
    )) {
      const smallest = group.reduce((best, record) => (record.seed < best.seed ? record : best));
      lines.push(`| ${group.length} | ${signature} | ${smallest.seed} | ${runCommandLine(smallest)} |`);
    }
  }
  return lines.join("\n");
}
