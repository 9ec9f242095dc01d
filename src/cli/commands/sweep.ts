/**
 * `dst sweep`: many seeds of one scenario, sequentially, with a progress bar on
 * stderr, one JSON line per run (--out), and a summary table of failures grouped by
 * violation signature, each with its smallest seed and the command that replays it.
 */
import { SingleBar } from "cli-progress";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { counterexampleOf } from "../../sim/counterexample.ts";
import { runScenario, type RunOptions, type Scenario } from "../../sim/runner.ts";
import { sweepRecordOf, type SweepRecord } from "../../sim/sweep-record.ts";
import { parseSeedRange } from "../input.ts";
import type { Output } from "../main.ts";
import { violationSignature } from "../report.ts";

export interface SweepCommandOptions {
  seeds: string;
  variant?: string;
  out?: string;
  counterexamples?: string;
  progress: boolean;
}

export async function sweepCommand(scenario: Scenario, options: SweepCommandOptions, output: Output): Promise<number> {
  const { first, last } = parseSeedRange(options.seeds);
  const total = last - first + 1;
  const lines = options.out === undefined ? undefined : createWriteStream(options.out);
  if (options.counterexamples !== undefined) mkdirSync(options.counterexamples, { recursive: true });
  const bar = options.progress && process.stderr.isTTY ? new SingleBar({
    format: "{bar} {value}/{total} runs | {failures} failed | {rate} runs/s | ETA {eta_formatted}",
    hideCursor: true,
  }) : undefined;
  bar?.start(total, 0, { failures: 0, rate: "0.0" });
  const records: SweepRecord[] = [];
  const start = performance.now();
  let failures = 0;
  for (let seed = first; seed <= last; seed++) {
    const runOptions: RunOptions = { seed };
    if (options.variant !== undefined) runOptions.variant = options.variant;
    const runStart = performance.now();
    const result = await runScenario(scenario, runOptions);
    const record = sweepRecordOf(result, performance.now() - runStart);
    records.push(record);
    lines?.write(`${JSON.stringify(record)}\n`);
    if (!result.ok) {
      failures++;
      if (options.counterexamples !== undefined) {
        writeFileSync(join(options.counterexamples, `${scenario.name}-seed-${seed}.counterexample.json`), JSON.stringify(counterexampleOf(result, runOptions), null, 2));
      }
    }
    const elapsedSeconds = (performance.now() - start) / 1000;
    bar?.update(seed - first + 1, { failures, rate: ((seed - first + 1) / Math.max(elapsedSeconds, 1e-9)).toFixed(1) });
  }
  bar?.stop();
  if (lines !== undefined) await new Promise<void>((resolve) => lines.end(() => resolve()));
  output.out(summarizeSweep(records, (performance.now() - start) / 1000));
  return failures === 0 ? 0 : 1;
}

/** The summary table: totals, then failures grouped by signature with the smallest seed. */
export function summarizeSweep(records: readonly SweepRecord[], wallSeconds?: number): string {
  const failed = records.filter((record) => record.outcome !== "ok");
  const lines = [`${records.length} runs, ${records.length - failed.length} ok, ${failed.length} failed${wallSeconds === undefined ? "" : ` in ${wallSeconds.toFixed(1)} s`}`];
  const groups = new Map<string, SweepRecord[]>();
  for (const record of failed) {
    const signature = violationSignature(record.violations[0] as SweepRecord["violations"][number]);
    const group = groups.get(signature) ?? [];
    group.push(record);
    groups.set(signature, group);
  }
  if (groups.size > 0) {
    lines.push("", "| failures | signature | smallest seed | replay |", "| ---: | --- | ---: | --- |");
    for (const [signature, group] of [...groups.entries()].sort((a, b) => b[1].length - a[1].length)) {
      const smallest = group.reduce((best, record) => (record.seed < best.seed ? record : best));
      const variant = smallest.variant === undefined ? "" : ` --variant ${smallest.variant}`;
      lines.push(`| ${group.length} | ${signature} | ${smallest.seed} | npx dst run ${smallest.scenario} --seed ${smallest.seed}${variant} |`);
    }
  }
  return lines.join("\n");
}
