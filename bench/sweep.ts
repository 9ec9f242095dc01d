/**
 * Sweep throughput: seeds per minute for each scenario with one worker, side by side
 * with all cores (the ratio is the parallel speed-up). Each scenario sweeps as
 * many seeds as fill about BENCH_SWEEP_TARGET_MS of one worker's time (from one
 * inline run of seed 1), between 4 and BENCH_SWEEP_SEEDS, so that slow scenarios
 * (a Gazette run takes seconds) and fast ones are all measured in a bench run of
 * minutes. BENCH_SWEEP_SCENARIOS limits it to a few scenarios.
 *
 * Before and after: with BENCH_BASELINE_DIR=<an older checkout with its
 * dependencies installed>, each scenario is instead swept by whole `dst sweep`
 * processes of that checkout and of this one, back to back, on the same seeds and
 * workers, and each row gives seeds per minute and simulated seconds per run of
 * both: what longer, harsher runs cost, and what the speed-ups bought back.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SCENARIOS } from "../scenarios/index.ts";
import { findScenario } from "../scenarios/index.ts";
import { runTasks } from "../src/cli/sweep/pool.ts";
import { counterexampleOf } from "../src/sim/counterexample.ts";
import { runScenario, type Scenario } from "../src/sim/runner.ts";
import { shrinkCounterexample } from "../src/sim/shrink/shrink-counterexample.ts";
import type { SweepTask } from "../src/cli/sweep/task.ts";
import type { BenchSection, BenchRow } from "./lib.ts";

const SEEDS_PER_SCENARIO_MAX = Number(process.env.BENCH_SWEEP_SEEDS ?? 60);
const SEEDS_PER_SCENARIO_MIN = 4;
const TARGET_MS = Number(process.env.BENCH_SWEEP_TARGET_MS ?? 20_000);
/** BENCH_SWEEP_SCENARIOS=etcd-kv,gazette-outages measures only these (default: every scenario). */
const ONLY = (process.env.BENCH_SWEEP_SCENARIOS ?? "").split(",").filter(Boolean);

/** Seeds to sweep for `scenario`: about TARGET_MS of one worker's time. */
async function seedsFor(scenario: Scenario): Promise<number> {
  const start = performance.now();
  await runScenario(scenario, { seed: 1 });
  const oneRunMs = Math.max(1, performance.now() - start);
  return Math.max(SEEDS_PER_SCENARIO_MIN, Math.min(SEEDS_PER_SCENARIO_MAX, Math.ceil(TARGET_MS / oneRunMs)));
}

async function seedsPerMinute(scenario: string, workers: number, seeds: number): Promise<number> {
  const tasks: SweepTask[] = Array.from({ length: seeds }, (_, index) => ({
    id: index,
    scenario,
    seed: index + 1,
    checkDeterminism: false,
  }));
  const start = performance.now();
  let failures = 0;
  await runTasks(tasks, workers, (answer) => {
    if (!answer.ok) failures++;
  });
  if (failures > 0) throw new Error(`bench sweep: ${failures} runs of ${scenario} could not run`);
  return tasks.length / ((performance.now() - start) / 60_000);
}

/** Wall time to shrink the demonstration's failing run, beside the time of one run of it. */
async function shrinkDemonstration(): Promise<{
  shrinkMs: number;
  oneRunMs: number;
  runs: number;
  before: number;
  after: number;
}> {
  const scenario = findScenario("counter-quorum") as Scenario;
  const options = { seed: 3, variant: "ack-before-fsync" };
  const runStart = performance.now();
  const failing = await runScenario(scenario, options);
  const oneRunMs = performance.now() - runStart;
  const start = performance.now();
  const shrunk = await shrinkCounterexample(counterexampleOf(failing, options), {
    resolveScenario: (name) => findScenario(name) as Scenario,
  });
  return {
    shrinkMs: performance.now() - start,
    oneRunMs,
    runs: shrunk.runs,
    before: shrunk.before.faults,
    after: shrunk.after.faults,
  };
}

const BASELINE_DIR = process.env.BENCH_BASELINE_DIR;
const THIS_CHECKOUT = fileURLToPath(new URL("..", import.meta.url));

interface WholeSweep {
  readonly seedsPerMinute: number;
  /** Mean simulated seconds per run. */
  readonly simSecondsPerRun: number;
}

/**
 * Sweeps `scenario` over seeds 1..seeds with the `dst` of `checkout`, as a whole process; undefined when that checkout
 * has no such scenario.
 */
function wholeSweep(checkout: string, scenario: string, seeds: number, workers: number): WholeSweep | undefined {
  const directory = mkdtempSync(join(tmpdir(), "dst-bench-"));
  const out = join(directory, "sweep.jsonl");
  try {
    const start = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        join(checkout, "bin", "dst.mjs"),
        "sweep",
        scenario,
        "--seeds",
        `1..${seeds}`,
        "--workers",
        String(workers),
        "--no-progress",
        "--out",
        out,
      ],
      { encoding: "utf8", cwd: checkout },
    );
    const wallMs = performance.now() - start;
    if (run.status === 2 && run.stderr.includes("unknown scenario")) return undefined;
    // Exit 1 only says some seed failed (a finding, not a failure to measure).
    if (run.status !== 0 && run.status !== 1)
      throw new Error(
        `bench sweep: dst sweep ${scenario} in ${checkout} exited ${String(run.status)}: ${run.stderr.slice(0, 500)}`,
      );
    const records = readFileSync(out, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as { seed?: number; stats?: { virtualTimeMs?: number } });
    const runs = records.filter((record) => record.seed !== undefined);
    const simMs = runs.reduce((sum, record) => sum + (record.stats?.virtualTimeMs ?? 0), 0);
    return { seedsPerMinute: seeds / (wallMs / 60_000), simSecondsPerRun: simMs / Math.max(1, runs.length) / 1000 };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function gitHead(checkout: string): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: checkout, encoding: "utf8" });
  return head.status === 0 ? head.stdout.trim() : "unknown commit";
}

async function benchBeforeAndAfter(baseline: string): Promise<BenchSection> {
  if (!existsSync(join(baseline, "bin", "dst.mjs")))
    throw new Error(`BENCH_BASELINE_DIR: no bin/dst.mjs in ${baseline}`);
  const cores = availableParallelism();
  const rows: BenchRow[] = [];
  const before = `${gitHead(baseline)}`;
  for (const scenario of SCENARIOS.filter((candidate) => ONLY.length === 0 || ONLY.includes(candidate.name))) {
    const seeds = await seedsFor(scenario);
    const then = wholeSweep(baseline, scenario.name, seeds, cores);
    if (then === undefined) continue;
    const now = wholeSweep(THIS_CHECKOUT, scenario.name, seeds, cores) as WholeSweep;
    rows.push({
      name: `${scenario.name} (${seeds} seeds; ${now.simSecondsPerRun.toFixed(1)} sim s per run, before ${then.simSecondsPerRun.toFixed(1)})`,
      value: now.seedsPerMinute,
      unit: "seeds/min",
      baseline: then.seedsPerMinute,
      baselineName: `before, ${before}`,
    });
  }
  return {
    title: `Sweeps before and after: seeds per minute, ${gitHead(THIS_CHECKOUT)} against ${before} (${cores} workers)`,
    rows,
    notes: [
      "Whole `dst sweep` processes (start-up included), the baseline first, then this checkout, on the same seeds. A scenario the baseline lacks is left out.",
    ],
  };
}

export async function benchSweep(): Promise<BenchSection> {
  if (BASELINE_DIR !== undefined && BASELINE_DIR !== "") return benchBeforeAndAfter(BASELINE_DIR);
  const cores = availableParallelism();
  const rows: BenchRow[] = [];
  const unknown = ONLY.filter((name) => findScenario(name) === undefined);
  if (unknown.length > 0) throw new Error(`BENCH_SWEEP_SCENARIOS: unknown scenario ${unknown.join(", ")}`);
  for (const scenario of SCENARIOS.filter((candidate) => ONLY.length === 0 || ONLY.includes(candidate.name))) {
    const seeds = await seedsFor(scenario);
    const single = await seedsPerMinute(scenario.name, 1, seeds);
    const parallel = await seedsPerMinute(scenario.name, cores, seeds);
    rows.push({
      name: `${scenario.name}, ${cores} workers (${seeds} seeds)`,
      value: parallel,
      unit: "seeds/min",
      baseline: single,
      baselineName: "1 worker",
    });
  }
  const shrink = await shrinkDemonstration();
  rows.push({
    name: `shrink counter-quorum seed 3 ack-before-fsync (${shrink.before} to ${shrink.after} faults, ${shrink.runs} runs)`,
    value: shrink.shrinkMs / 1000,
    unit: "s",
    baseline: shrink.oneRunMs / 1000,
    baselineName: "one run of the failing seed",
  });
  return {
    title: `Sweeps and shrinking: seeds per minute (${cores} cores)`,
    rows,
    notes: [
      `Each scenario sweeps as many seeds as fill about ${TARGET_MS / 1000} s of one worker (${SEEDS_PER_SCENARIO_MIN} to ${SEEDS_PER_SCENARIO_MAX}). Each run is isolated in its own world; workers pull seeds as they finish. The ratio is the parallel speed-up, worker start-up (about 1.5 s per worker, loading the TypeScript sources) included.`,
    ],
  };
}
