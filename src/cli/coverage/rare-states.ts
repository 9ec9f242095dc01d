/**
 * Rare states over a sweep: for each scenario that declares them (Scenario.rareStates),
 * how many of its runs reached each state (hit the probe that marks it), the share,
 * and the gaps: states reached by fewer than RARE_STATE_GAP_FRACTION of the runs.
 * A gap is reported, not failed: a sweep fails on gaps only when asked (--fail-on-gaps).
 */
import type { Scenario } from "../../sim/runner.ts";
import type { SweepRecord } from "../sweep/sweep-record.ts";

/** A declared state reached by a smaller share of a scenario's runs than this is a gap. */
export const RARE_STATE_GAP_FRACTION = 0.01;

export interface RareStateCoverage {
  scenario: string;
  state: string;
  /** The probe whose hit marks the state. */
  probe: string;
  /** The scenario's runs in the sweep. */
  runs: number;
  /** Of them, the runs that hit the probe at least once. */
  runsReached: number;
  /** Of them, the runs that had buggify points enabled. */
  buggifyRuns: number;
  /** runsReached / runs. */
  fraction: number;
  /** Invariant: gap === fraction < RARE_STATE_GAP_FRACTION. */
  gap: boolean;
}

/**
 * One entry per declared state of every scenario in `scenarios` that has runs in `records`, in registry then
 * declaration order.
 */
export function rareStatesOf(records: readonly SweepRecord[], scenarios: readonly Scenario[]): RareStateCoverage[] {
  const byScenario = new Map<string, SweepRecord[]>();
  for (const record of records) byScenario.set(record.scenario, [...(byScenario.get(record.scenario) ?? []), record]);
  const entries: RareStateCoverage[] = [];
  for (const scenario of scenarios) {
    const runs = byScenario.get(scenario.name);
    if (runs === undefined || scenario.rareStates === undefined) continue;
    const buggifyRuns = runs.filter((record) => record.buggify === true).length;
    for (const [state, probe] of Object.entries(scenario.rareStates)) {
      const runsReached = runs.filter((record) => (record.probes[probe] ?? 0) > 0).length;
      const fraction = runsReached / runs.length;
      entries.push({
        scenario: scenario.name,
        state,
        probe,
        runs: runs.length,
        runsReached,
        buggifyRuns,
        fraction,
        gap: fraction < RARE_STATE_GAP_FRACTION,
      });
    }
  }
  return entries;
}

/** The table: one row per declared state, GAP (with the probe, and whether the runs had --buggify) below 1%. */
export function formatRareStates(entries: readonly RareStateCoverage[]): string {
  if (entries.length === 0) return "rare states: no scenario in these runs declares any";
  const gaps = entries.filter((entry) => entry.gap).length;
  const percent = `${RARE_STATE_GAP_FRACTION * 100}%`;
  const lines = [
    `rare states: ${gaps} of ${entries.length} declared states are gaps (reached by fewer than ${percent} of their scenario's runs)`,
  ];
  lines.push(
    "",
    "| scenario | state | probe | runs reached | share | gap |",
    "| --- | --- | --- | ---: | ---: | --- |",
  );
  for (const entry of entries) {
    const share = `${(entry.fraction * 100).toFixed(1)}%`;
    lines.push(
      `| ${entry.scenario} | ${entry.state} | ${entry.probe} | ${entry.runsReached}/${entry.runs} | ${share} | ${entry.gap ? gapNote(entry) : ""} |`,
    );
  }
  return lines.join("\n");
}

/** What a reader of a gap can try next: buggify, unless every run had it already. */
function gapNote(entry: RareStateCoverage): string {
  const reached = entry.runsReached === 0 ? "no run hit" : `${entry.runsReached} run(s) hit`;
  if (entry.buggifyRuns === 0) return `GAP: ${reached} probe ${entry.probe}; try --buggify`;
  if (entry.buggifyRuns === entry.runs) return `GAP: ${reached} probe ${entry.probe}, even with --buggify`;
  return `GAP: ${reached} probe ${entry.probe} (${entry.buggifyRuns} of ${entry.runs} runs with --buggify)`;
}
