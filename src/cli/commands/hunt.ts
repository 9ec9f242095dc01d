/**
 * `dst hunt`: hunting mode, as TigerBeetle's VOPR is used. Fresh seeds drawn from
 * real randomness (node:crypto, here in the CLI; a simulation sees only its seed) run
 * on worker threads until the first failure or until the wall-time budget (--time) is
 * spent. The failure is rerun in this thread (it must reproduce), written as a
 * counterexample and printed with its seed and replay command: exit 1. A budget spent
 * without one: exit 0. Bad input: exit 2. The budget decides when runs start: each
 * worker starts one run at once, and no run starts once the budget is spent; runs in
 * flight then finish (one may still fail). At the first failure the runs in flight
 * are abandoned: the hunt has its answer.
 * With `all`, each seed's scenario is drawn uniformly: every scenario gets the same
 * expected number of runs, so slow ones are not starved of runs (they take a larger
 * share of the time instead).
 */
import { SingleBar } from "cli-progress";
import { join } from "node:path";
import { activeCatalogue, activeModuleReference } from "../scenario-catalogue.ts";
import { counterexampleOf } from "../../sim/counterexample.ts";
import type { WireMode } from "../../sim/net/rpc/frame-channel.ts";
import { ScenarioError, type RunOptions, type Scenario } from "../../sim/runner.ts";
import type { SweepRecord } from "../sweep/sweep-record.ts";
import { currentCodeVersion } from "../code-version.ts";
import { EXIT_OK, EXIT_VIOLATION } from "../exit-codes.ts";
import { freshIndex, freshSeed } from "../fresh-seed.ts";
import { parseDuration, parseWireMode, UsageError } from "../input.ts";
import type { Output } from "../main.ts";
import { ensureOutputDirectory, openOutputLines, writeOutputFile } from "../output-files.ts";
import { describeRun, runCommandLine } from "../report.ts";
import { runTasks } from "../sweep/pool.ts";
import type { SweepAnswer, SweepTask } from "../sweep/task.ts";
import { counterexampleFileName, timedRun } from "./run.ts";
import { parseWorkers } from "./sweep.ts";

export interface HuntCommandOptions {
  /** The wall-time budget, e.g. 90s, 10m, 2h (default HUNT_TIME_DEFAULT). */
  time?: string;
  workers?: string;
  variant?: string;
  buggify?: boolean;
  wire?: string;
  /** Write every finished run as a sweep record (JSON lines, in the order they finished). */
  out?: string;
  /** The directory the failure's counterexample goes to. */
  counterexamples: string;
  progress: boolean;
}

/** The budget when --time is not given. */
export const HUNT_TIME_DEFAULT = "10m";
/** The longest budget a hunt accepts: a week. */
export const HUNT_TIME_MS_MAX = 7 * 24 * 3_600_000;

/** Where a hunt's seeds and scenarios come from: fresh randomness, or a fixed sequence in tests. */
export interface HuntDraws {
  seed(): number;
  /** An index in [0, count): the scenario of the next seed when hunting `all`. */
  scenarioIndex(count: number): number;
}

const FRESH_DRAWS: HuntDraws = { seed: freshSeed, scenarioIndex: freshIndex };

/** What every run of a hunt shares. */
interface HuntSettings {
  readonly scenarios: readonly Scenario[];
  readonly variant: string | undefined;
  readonly buggify: boolean;
  readonly wireMode: WireMode | undefined;
}

/** How a hunt ended: its finished runs, and the failing or crashed one that stopped it, if any. */
interface HuntOutcome {
  records: SweepRecord[];
  /** Runs that threw instead of finishing (counted as runs: each stops the hunt). */
  crashes: number;
  stoppedBy?: { task: SweepTask; answer: SweepAnswer };
  elapsedMs: number;
}

export async function huntCommand(
  target: Scenario | "all",
  options: HuntCommandOptions,
  output: Output,
  draws: HuntDraws = FRESH_DRAWS,
): Promise<number> {
  const budgetMs = parseDuration(options.time ?? HUNT_TIME_DEFAULT, "--time", HUNT_TIME_MS_MAX);
  const workers = parseWorkers(options.workers);
  const settings: HuntSettings = {
    scenarios: target === "all" ? [...(await activeCatalogue()).scenarios] : [target],
    variant: options.variant,
    buggify: options.buggify === true,
    wireMode: parseWireMode(options.wire),
  };
  checkVariant(settings);
  ensureOutputDirectory(options.counterexamples, "counterexamples");
  const lines = options.out === undefined ? undefined : openOutputLines(options.out, "hunt results");
  const outcome = await hunt(
    settings,
    budgetMs,
    workers,
    draws,
    (record) => lines?.write(JSON.stringify(record)),
    options.progress && process.stderr.isTTY,
  );
  await lines?.close();
  const runs = outcome.records.length + outcome.crashes;
  const timing = `${(outcome.elapsedMs / 1000).toFixed(1)} s on ${workers} worker(s), ${(runs / Math.max(outcome.elapsedMs / 1000, 1e-9)).toFixed(2)} runs/s`;
  const runsText = `${runs} run${runs === 1 ? "" : "s"}`;
  if (outcome.stoppedBy === undefined) {
    output.out(`no failure in ${runsText}: the budget of ${options.time ?? HUNT_TIME_DEFAULT} is spent (${timing})`);
    if (settings.scenarios.length > 1) output.out(`runs per scenario: ${runsPerScenario(outcome.records)}`);
    return EXIT_OK;
  }
  const { task, answer } = outcome.stoppedBy;
  if (!answer.ok && answer.refused === true) throw new ScenarioError(answer.error);
  output.out(
    `FAILURE after ${runsText} (${timing}): ${task.scenario} seed ${task.seed}${task.variant === undefined ? "" : ` (variant ${task.variant})`}`,
  );
  if (!answer.ok) {
    output.out(`CRASH ${task.scenario} seed ${task.seed}: ${answer.error}\nrerun with:\n  ${runCommandLine(task)}`);
    return EXIT_VIOLATION;
  }
  await reportFailure(answer.record, settings, options.counterexamples, output);
  return EXIT_VIOLATION;
}

function checkVariant({ scenarios, variant }: HuntSettings): void {
  if (variant === undefined) return;
  if (scenarios.length > 1) throw new UsageError("--variant needs one scenario, not all");
  const scenario = scenarios[0] as Scenario;
  if (scenario.variants?.[variant] === undefined) {
    const known = Object.keys(scenario.variants ?? {});
    throw new UsageError(
      `scenario ${scenario.name} has no variant "${variant}" (variants: ${known.length > 0 ? known.join(", ") : "none"})`,
    );
  }
}

/**
 * Runs fresh seeds until the first failure, crash or refusal, or until `budgetMs` of wall time has passed (then
 * finishes the runs in flight).
 */
async function hunt(
  settings: HuntSettings,
  budgetMs: number,
  workers: number,
  draws: HuntDraws,
  onRecord: (record: SweepRecord) => void,
  showProgress: boolean,
): Promise<HuntOutcome> {
  const controller = new AbortController();
  const start = performance.now();
  const outcome: HuntOutcome = { records: [], crashes: 0, elapsedMs: 0 };
  const inFlight = new Map<number, SweepTask>();
  const progress = showProgress ? new HuntProgress(budgetMs, start) : undefined;
  let nextId = 0;
  function* tasks(): Generator<SweepTask> {
    while (nextId < workers || performance.now() - start < budgetMs) {
      const task = newTask(nextId++, settings, draws);
      inFlight.set(task.id, task);
      yield task;
    }
  }
  const onAnswer = (answer: SweepAnswer) => {
    const task = inFlight.get(answer.id) as SweepTask;
    inFlight.delete(answer.id);
    if (answer.ok) {
      outcome.records.push(answer.record);
      onRecord(answer.record);
    } else {
      outcome.crashes++;
    }
    if (!answer.ok || answer.record.outcome !== "ok") {
      outcome.stoppedBy = { task, answer };
      controller.abort();
    }
    progress?.update(outcome.records.length + outcome.crashes, outcome.stoppedBy === undefined ? 0 : 1);
  };
  try {
    await runTasks(tasks(), workers, onAnswer, { signal: controller.signal });
  } finally {
    progress?.stop();
  }
  outcome.elapsedMs = performance.now() - start;
  return outcome;
}

function newTask(id: number, settings: HuntSettings, draws: HuntDraws): SweepTask {
  const scenario =
    settings.scenarios.length === 1
      ? settings.scenarios[0]
      : settings.scenarios[draws.scenarioIndex(settings.scenarios.length)];
  const task: SweepTask = { id, scenario: (scenario as Scenario).name, seed: draws.seed(), checkDeterminism: false };
  if (settings.variant !== undefined) task.variant = settings.variant;
  if (settings.buggify) task.buggify = true;
  if (settings.wireMode !== undefined) task.wireMode = settings.wireMode;
  return task;
}

/**
 * Reruns the failing seed in this thread (a failure that does not reproduce is
 * nondeterminism, and says so), prints its violations, writes its counterexample,
 * and prints the commands that replay it.
 */
async function reportFailure(
  record: SweepRecord,
  settings: HuntSettings,
  directory: string,
  output: Output,
): Promise<void> {
  const scenario = settings.scenarios.find((candidate) => candidate.name === record.scenario) as Scenario;
  const options: RunOptions = { seed: record.seed, buggify: settings.buggify };
  if (settings.variant !== undefined) options.variant = settings.variant;
  if (settings.wireMode !== undefined) options.wireMode = settings.wireMode;
  const { result, wallMs } = await timedRun(scenario, options, undefined);
  output.out(describeRun(result, wallMs));
  if (result.fingerprint !== record.fingerprint) {
    output.out(
      `NONDETERMINISM: the rerun's fingerprint ${result.fingerprint} differs from the hunt's ${record.fingerprint}`,
    );
  }
  if (result.ok) {
    output.out(
      `the rerun passed: no counterexample written; the hunt's run failed with ${record.violations[0]?.invariant ?? record.outcome}`,
    );
    return;
  }
  const path = join(directory, counterexampleFileName(scenario.name, record.seed, settings.variant));
  const counterexample = counterexampleOf(result, options, currentCodeVersion(), await activeModuleReference());
  writeOutputFile(path, `${JSON.stringify(counterexample, null, 2)}\n`, "counterexample");
  output.out(
    `counterexample written; replay with:\n  npx dst replay ${path}\nor rerun the seed:\n  ${runCommandLine(record)}`,
  );
}

function runsPerScenario(records: readonly SweepRecord[]): string {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.scenario, (counts.get(record.scenario) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
}

/** The progress line on stderr, in the sweep's style: the bar fills with the budget's time. */
class HuntProgress {
  private readonly bar = new SingleBar({
    format: "{bar} {runs} runs | {failures} failed | {rate} runs/s | {left} left",
    hideCursor: true,
  });
  private readonly ticker: ReturnType<typeof setInterval>;
  private runs = 0;
  private failures = 0;

  constructor(
    private readonly budgetMs: number,
    private readonly start: number,
  ) {
    this.bar.start(Math.ceil(budgetMs / 1000), 0, this.payload());
    this.ticker = setInterval(() => this.update(this.runs, this.failures), 1000);
  }

  update(runs: number, failures: number): void {
    this.runs = runs;
    this.failures = failures;
    this.bar.update(
      Math.min(Math.floor((performance.now() - this.start) / 1000), Math.ceil(this.budgetMs / 1000)),
      this.payload(),
    );
  }

  stop(): void {
    clearInterval(this.ticker);
    this.bar.stop();
  }

  private payload(): Record<string, string | number> {
    const elapsedMs = performance.now() - this.start;
    return {
      runs: this.runs,
      failures: this.failures,
      rate: (this.runs / Math.max(elapsedMs / 1000, 1e-9)).toFixed(1),
      left: formatDuration(Math.max(this.budgetMs - elapsedMs, 0)),
    };
  }
}

/** "1h 02m", "9m 05s", "42s". */
export function formatDuration(durationMs: number): string {
  const seconds = Math.ceil(durationMs / 1000);
  const [hours, minutes, rest] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, "0")}s`;
  return `${rest}s`;
}
