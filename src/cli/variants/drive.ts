/**
 * Drives the searches of `dst variants` on the sweep's worker pool: the searches
 * (search.ts) hand out runs, the pool runs them as sweep tasks, each answer goes back
 * to its search. A failing run is one the runner reports a violation for, or an error
 * (as in `dst sweep`); a run refused as bad input stops the command.
 */
import { ScenarioError } from "../../sim/runner.ts";
import type { Violation } from "../../sim/world.ts";
import type { SweptEntry } from "../../../scenarios/variant-catalogue/index.ts";
import { runTasks } from "../sweep/pool.ts";
import type { SweepAnswer, SweepTask } from "../sweep/task.ts";
import { VariantSearches, type SearchOutcome, type SearchRun } from "./search.ts";

/** What went wrong in a run: its first violation, or the error it ended with. */
export type RunFailure =
  | Pick<Violation, "kind" | "invariant" | "host" | "details">
  | { kind: "error"; invariant: "error"; details: string };

/** One swept entry's result. */
export interface SweptResult {
  readonly entry: SweptEntry;
  readonly outcome: SearchOutcome;
  /** How the caught seed failed (absent when not caught). */
  readonly failure: RunFailure | undefined;
  /** Seeds the variant failed on whose unmodified run failed too (not counted as catches). */
  readonly unattributed: readonly number[];
  /** Runs made for this entry, the unmodified ones and those past the caught seed included. */
  readonly runs: number;
  /** From its first run handed out to its outcome. */
  readonly wallMs: number;
}

export interface DriveOptions {
  readonly seeds: { readonly first: number; readonly last: number };
  readonly workers: number;
  /** Called as each entry settles (in settling order). */
  readonly onSettled?: (result: SweptResult, index: number) => void;
}

/** Runs every entry's search; the results in catalogue order. */
export async function driveSearches(entries: readonly SweptEntry[], options: DriveOptions): Promise<SweptResult[]> {
  const searches = new VariantSearches(entries.length, options.seeds);
  const runs = new Map<number, SearchRun>();
  const failures = entries.map(() => new Map<number, RunFailure>());
  const startedAt: Array<number | undefined> = entries.map(() => undefined);
  const results: Array<SweptResult | undefined> = entries.map(() => undefined);
  let wake: (() => void) | undefined;
  async function* tasks(): AsyncGenerator<SweepTask> {
    for (;;) {
      const run = searches.next();
      if (run === "done") return;
      if (run === "wait") {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      startedAt[run.search] ??= performance.now();
      const task = taskOf(entries[run.search] as SweptEntry, run, runs.size);
      runs.set(task.id, run);
      yield task;
    }
  }
  await runTasks(tasks(), options.workers, (answer) => {
    const run = runs.get(answer.id) as SearchRun;
    const failure = failureOf(answer);
    if (failure !== undefined && !run.baseline) failures[run.search]?.set(run.seed, failure);
    const outcome = searches.answer(run, failure !== undefined);
    if (outcome !== undefined) {
      const state = searches.states[run.search];
      const result: SweptResult = {
        entry: entries[run.search] as SweptEntry,
        outcome,
        failure: outcome.caught ? failures[run.search]?.get(outcome.seed) : undefined,
        unattributed: [...(state?.unattributed ?? [])],
        runs: state?.started ?? 0,
        wallMs: performance.now() - (startedAt[run.search] ?? performance.now()),
      };
      results[run.search] = result;
      options.onSettled?.(result, run.search);
    }
    const resume = wake;
    wake = undefined;
    resume?.();
  });
  return results.map((result) => result as SweptResult);
}

function taskOf(entry: SweptEntry, run: SearchRun, id: number): SweepTask {
  const task: SweepTask = { id, scenario: entry.scenario, seed: run.seed, checkDeterminism: false };
  if (!run.baseline) task.variant = entry.variant;
  if (entry.buggify === true) task.buggify = true;
  return task;
}

/** The run's failure, undefined when it passed; a refused run (bad input) throws. */
function failureOf(answer: SweepAnswer): RunFailure | undefined {
  if (!answer.ok) {
    if (answer.refused === true) throw new ScenarioError(answer.error);
    return { kind: "error", invariant: "error", details: answer.error };
  }
  const first = answer.record.violations[0];
  if (first === undefined) return undefined;
  const failure: RunFailure = { kind: first.kind, invariant: first.invariant, details: first.details };
  return first.host === undefined ? failure : { ...failure, host: first.host };
}
