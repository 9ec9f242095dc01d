/**
 * Loads the run to show or export: a trace file (JSON lines, as `dst run --trace`
 * writes) or a counterexample file, which is replayed with the trace kept in
 * memory. Every bad input is a `UsageError` with one clear line.
 */
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import {
  CounterexampleError,
  parseCounterexample,
  replayOptions,
  type Counterexample,
} from "../../sim/counterexample.ts";
import { FaultPlanError } from "../../sim/faults/plan.ts";
import { runScenario, ScenarioError, type RunResult, type Scenario } from "../../sim/runner.ts";
import type { TraceRecord } from "../../sim/trace.ts";
import { UsageError } from "../input.ts";
import { catalogueForCounterexample } from "../scenario-catalogue.ts";
import { isTraceRecordLine, parseTraceLines } from "./trace-lines.ts";

/** The largest input file read (a trace beyond it is better cut with `head` first). */
export const INPUT_FILE_BYTES_MAX = 256 * 1024 * 1024;

export interface LoadedRun {
  /** A title for the page: the file name, or the scenario, seed and variant. */
  title: string;
  records: TraceRecord[];
  /** Set when the input was a counterexample: whether the replay had the recorded fingerprint. */
  reproduced?: boolean;
}

/** Reads a trace or a counterexample file (told apart by content). */
export async function loadRun(path: string): Promise<LoadedRun> {
  const text = readInput(path);
  const trimmed = text.trimStart();
  if (trimmed.length === 0)
    throw new UsageError(`input ${path} is empty: expected a trace (JSON lines) or a counterexample`);
  const firstLine = trimmed.slice(0, trimmed.indexOf("\n") === -1 ? undefined : trimmed.indexOf("\n"));
  if (isTraceRecordLine(firstLine)) return { title: basename(path), records: parseTraceLines(text, path) };
  const neither = `input ${path} is neither a trace (JSON lines of records, each with a "time" and a "kind") nor a counterexample`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(neither);
  }
  if (typeof value !== "object" || value === null || !("format" in value)) throw new UsageError(neither);
  return replayCounterexample(value, path);
}

function readInput(path: string): string {
  try {
    const size = statSync(path).size;
    if (size > INPUT_FILE_BYTES_MAX)
      throw new UsageError(`input ${path} has ${size} bytes, more than the ${INPUT_FILE_BYTES_MAX} this command reads`);
    return readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`cannot read input ${path}: ${code}`);
  }
}

async function replayCounterexample(value: unknown, path: string): Promise<LoadedRun> {
  const counterexample = asUsageError(path, () => parseCounterexample(value));
  const scenario = (await catalogueForCounterexample(counterexample.module, path)).find(counterexample.scenario);
  if (scenario === undefined)
    throw new UsageError(`${path}: unknown scenario "${counterexample.scenario}" (dst list shows them)`);
  return asUsageError(path, async () => {
    const { result, lines } = await replayWithTrace(scenario, counterexample);
    const records = lines.map((line) => JSON.parse(line) as TraceRecord);
    const variant = counterexample.variant === undefined ? "" : ` variant ${counterexample.variant}`;
    return {
      title: `${counterexample.scenario} seed ${counterexample.seed}${variant}`,
      records,
      reproduced: result.fingerprint === counterexample.expected.fingerprint,
    };
  });
}

/**
 * Replays `counterexample` on `scenario`, keeping its trace: each record's canonical text (byte arrays already
 * summarised), the lines a trace file (`dst run --trace`) holds.
 */
export async function replayWithTrace(
  scenario: Scenario,
  counterexample: Counterexample,
): Promise<{ result: RunResult; lines: string[] }> {
  const lines: string[] = [];
  const result = await runScenario(scenario, {
    ...replayOptions(counterexample),
    trace: { sink: (line) => lines.push(line) },
  });
  return { result, lines };
}

/**
 * Runs `action`, turning the errors of bad input (counterexample, plan, scenario options) into a `UsageError` naming
 * the file.
 */
function asUsageError<T>(path: string, action: () => T): T {
  const rethrow = (error: unknown): never => {
    if (error instanceof CounterexampleError || error instanceof ScenarioError || error instanceof FaultPlanError)
      throw new UsageError(`${path}: ${error.message}`);
    throw error;
  };
  try {
    const result = action();
    return (result instanceof Promise ? result.catch(rethrow) : result) as T;
  } catch (error) {
    return rethrow(error);
  }
}
