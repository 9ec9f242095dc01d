/**
 * Start-up: whole `dst` processes, as a user runs them, timed from spawn to exit:
 * `dst list` and `dst run gazette-journals --seed 1` from the prebuilt bundle in
 * dist/ (what `dst` runs), beside the same commands loading the TypeScript sources
 * through tsx (DST_FROM_SOURCES=1: the start-up tax the bundle removes).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchRow, BenchSection } from "./lib.ts";

const DST = fileURLToPath(new URL("../bin/dst.mjs", import.meta.url));
const REPEATS = 3;

/** Best wall time of REPEATS runs of `dst ...args`, in ms; throws if a run fails. */
function timeCommand(args: readonly string[], fromSources: boolean): number {
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const start = performance.now();
    const run = spawnSync(process.execPath, [DST, ...args], {
      env: { ...process.env, DST_FROM_SOURCES: fromSources ? "1" : "0" },
      encoding: "utf8",
    });
    const wallMs = performance.now() - start;
    if (run.status !== 0) throw new Error(`bench: dst ${args.join(" ")} exited ${String(run.status)}: ${run.stderr}`);
    best = Math.min(best, wallMs);
  }
  return best;
}

function row(name: string, args: readonly string[]): BenchRow {
  const bundled = timeCommand(args, false);
  const sources = timeCommand(args, true);
  return {
    name,
    value: bundled / 1000,
    unit: "s",
    baseline: sources / 1000,
    baselineName: "the same from the sources through tsx",
  };
}

export async function benchStartup(): Promise<BenchSection> {
  // Build (or check) the bundle once before timing.
  timeCommand(["list"], false);
  return {
    title: "Start-up: whole dst processes",
    rows: [
      row("dst list", ["list"]),
      row("dst run gazette-journals --seed 1", ["run", "gazette-journals", "--seed", "1"]),
    ],
    notes: [`Wall time from spawn to exit, best of ${REPEATS}; lower is better, so a ratio below 1 is the saving.`],
  };
}
