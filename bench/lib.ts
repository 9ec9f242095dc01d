/**
 * Benchmark reporting: every figure is printed side by side with a baseline
 * measured in the same run, as a ratio. Wall time is read here, in bench/, only.
 */
import { allowAmbient } from "../src/sim/ambient-guard.ts";

/**
 * The wall clock, in ms. A bench reads it inside host code too (the time from a
 * cluster's first append to its last acknowledgement), which the determinism guard
 * refuses unless allowed: the reading reaches no run's behaviour, only the figure.
 */
export function wallNow(): number {
  return allowAmbient(() => performance.now());
}
export interface BenchRow {
  /** What was measured. */
  name: string;
  /** The measured figure. */
  value: number;
  /** Its unit, e.g. "events/s". */
  unit: string;
  /** The baseline figure measured in the same run, in the same unit. */
  baseline?: number;
  /** What the baseline is. */
  baselineName?: string;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  notes?: string[];
}

export function formatSection(section: BenchSection): string {
  const lines = [`## ${section.title}`, "", "| measure | value | baseline | ratio |", "| --- | ---: | --- | ---: |"];
  for (const row of section.rows) {
    const baseline =
      row.baseline === undefined ? "" : `${formatNumber(row.baseline)} ${row.unit} (${row.baselineName ?? "baseline"})`;
    const ratio = row.baseline === undefined ? "" : `${(row.value / row.baseline).toFixed(2)}x`;
    lines.push(`| ${row.name} | ${formatNumber(row.value)} ${row.unit} | ${baseline} | ${ratio} |`);
  }
  for (const note of section.notes ?? []) lines.push("", note);
  return lines.join("\n");
}

export function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Wall-clock milliseconds for `work`, best of `repeats`. */
export async function timeBest(work: () => Promise<void> | void, repeats = 3): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const start = wallNow();
    await work();
    best = Math.min(best, wallNow() - start);
  }
  return best;
}
