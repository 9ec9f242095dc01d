/**
 * Runs one sweep task (in a worker thread or inline): the scenario on its seed,
 * and, when asked, a second time with both traces kept, naming the first record
 * where they differ.
 */
import { runScenario, ScenarioError, type RunOptions, type Scenario } from "../../sim/runner.ts";
import { activeCatalogue } from "../scenario-catalogue.ts";
import { sweepRecordOf } from "./sweep-record.ts";
import type { DeterminismDifference, SweepAnswer, SweepTask } from "./task.ts";

export async function executeTask(
  task: SweepTask,
  resolve?: (name: string) => Scenario | undefined,
): Promise<SweepAnswer> {
  const scenario = resolve === undefined ? (await activeCatalogue()).find(task.scenario) : resolve(task.scenario);
  if (scenario === undefined) return { id: task.id, ok: false, error: `unknown scenario "${task.scenario}"` };
  const options: RunOptions = { seed: task.seed };
  if (task.variant !== undefined) options.variant = task.variant;
  if (task.buggify === true) options.buggify = true;
  if (task.wireMode !== undefined) options.wireMode = task.wireMode;
  try {
    const firstLines: string[] = [];
    const start = performance.now();
    const result = await runScenario(
      scenario,
      task.checkDeterminism ? { ...options, trace: { sink: (line) => firstLines.push(line) } } : options,
    );
    const record = sweepRecordOf(result, performance.now() - start, task.buggify === true);
    if (!task.checkDeterminism) return { id: task.id, ok: true, record };
    const secondLines: string[] = [];
    const second = await runScenario(scenario, { ...options, trace: { sink: (line) => secondLines.push(line) } });
    const difference =
      second.fingerprint === result.fingerprint && secondLines.length === firstLines.length
        ? undefined
        : firstDifference(firstLines, secondLines);
    return difference === undefined
      ? { id: task.id, ok: true, record }
      : { id: task.id, ok: true, record, nondeterminism: difference };
  } catch (error) {
    if (error instanceof ScenarioError) return { id: task.id, ok: false, error: error.message, refused: true };
    return {
      id: task.id,
      ok: false,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

function firstDifference(first: readonly string[], second: readonly string[]): DeterminismDifference {
  const length = Math.max(first.length, second.length);
  for (let index = 0; index < length; index++) {
    if (first[index] !== second[index]) {
      const difference: DeterminismDifference = { index };
      if (first[index] !== undefined) difference.first = first[index];
      if (second[index] !== undefined) difference.second = second[index];
      return difference;
    }
  }
  return { index: length };
}
