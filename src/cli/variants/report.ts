/**
 * The output of `dst variants`: the table of swept entries (variant, scenario,
 * smallest failing seed, seeds swept, wall time, how it failed), the entries no
 * sweep can reach with their reason and property, the pending ones, and a summary;
 * or the same as JSON.
 */
import type { CatalogueEntry, PendingEntry, PropertyEntry } from "../../../scenarios/variant-catalogue/index.ts";
import type { SweptResult } from "./drive.ts";

/** Everything one command found. */
export interface VariantsReport {
  readonly seeds: { readonly first: number; readonly last: number };
  readonly workers: number;
  readonly wallMs: number;
  readonly swept: readonly SweptResult[];
  readonly property: readonly PropertyEntry[];
  readonly pending: readonly PendingEntry[];
}

/** One JSON object per catalogue entry: the entry, and for a swept one what its search found. */
export function entryRecords(report: VariantsReport): object[] {
  const others: CatalogueEntry[] = [...report.property, ...report.pending];
  return [...report.swept.map(sweptRecord), ...others];
}

/** A swept entry's JSON object: the entry and what its search found. */
export function sweptRecord(result: SweptResult): object {
  return {
    ...result.entry,
    caught: result.outcome.caught,
    seed: result.outcome.caught ? result.outcome.seed : null,
    seedsSwept: result.outcome.seedsSwept,
    wallMs: Math.round(result.wallMs),
    runs: result.runs,
    failure: result.failure ?? null,
    unattributed: result.unattributed,
  };
}

/** The whole report as one JSON object. */
export function reportJson(report: VariantsReport): string {
  return JSON.stringify(
    { seeds: report.seeds, workers: report.workers, wallMs: Math.round(report.wallMs), entries: entryRecords(report) },
    null,
    2,
  );
}

/** The tables and the summary, as text (Markdown tables). */
export function reportText(report: VariantsReport): string {
  const lines: string[] = [summaryLine(report)];
  if (report.swept.length > 0) {
    lines.push(
      "",
      "| variant | component | scenario | smallest failing seed | seeds swept | wall time | first violation |",
      "| --- | --- | --- | ---: | ---: | ---: | --- |",
    );
    for (const result of report.swept) lines.push(sweptRow(result));
  }
  if (report.property.length > 0) {
    lines.push("", "| variant | component | not swept because | caught by |", "| --- | --- | --- | --- |");
    for (const entry of report.property)
      lines.push(`| ${entry.variant} | ${entry.component} | ${entry.reason} | ${entry.property} |`);
  }
  if (report.pending.length > 0) {
    lines.push(
      "",
      `pending (${report.pending[0]?.pending}): ${report.pending.map((entry) => `${entry.component}/${entry.variant}`).join(", ")}`,
    );
  }
  return lines.join("\n");
}

function sweptRow(result: SweptResult): string {
  const { entry, outcome } = result;
  const scenario = `${entry.scenario}${entry.buggify === true ? " --buggify" : ""}`;
  const seed = outcome.caught ? String(outcome.seed) : "**not caught**";
  const failure = result.failure === undefined ? "" : `${result.failure.kind} ${result.failure.invariant}`;
  const unattributed =
    result.unattributed.length === 0 ? "" : ` (seeds ${result.unattributed.join(", ")} fail unmodified too)`;
  return `| ${entry.variant} | ${entry.component} | ${scenario} | ${seed} | ${outcome.seedsSwept} | ${formatWall(result.wallMs)} | ${failure}${unattributed} |`;
}

function summaryLine(report: VariantsReport): string {
  const caught = report.swept.filter((result) => result.outcome.caught).length;
  const missed = report.swept.length - caught;
  const budget = report.seeds.last - report.seeds.first + 1;
  const seeds =
    report.seeds.first === report.seeds.last
      ? `seed ${report.seeds.first}`
      : `seeds ${report.seeds.first}..${report.seeds.last}`;
  const parts = [
    `${report.swept.length} swept (${seeds}): ${caught} caught, ${missed} not caught within ${budget} seeds, in ${formatWall(report.wallMs)} on ${report.workers} worker(s)`,
    `${report.property.length} caught by properties only`,
  ];
  if (report.pending.length > 0) parts.push(`${report.pending.length} pending`);
  return parts.join("; ");
}

/** "0.4 s", "12 s", "3 min 05 s". */
export function formatWall(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}
