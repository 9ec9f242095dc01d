/**
 * `dst export --format chrome <trace.jsonl|counterexample.json> -o out.json`:
 * writes the run as Chrome Trace Event JSON, for Perfetto and chrome://tracing
 * (a counterexample is replayed first, to get its trace).
 */
import { UsageError } from "../input.ts";
import type { Output } from "../main.ts";
import { chromeTraceOf } from "../view/chrome-trace.ts";
import { buildDiagramModel } from "../view/diagram-model.ts";
import { loadRun } from "../view/load-run.ts";
import { writeOutputFile } from "../output-files.ts";

/** The formats `dst export` writes. */
export const EXPORT_FORMATS: readonly string[] = ["chrome"];

export interface ExportCommandOptions {
  format: string;
  /** Where to write the export. */
  output: string;
}

/** Writes the export; resolves with exit code 0. Bad input or an unknown format throws `UsageError`. */
export async function exportCommand(input: string, options: ExportCommandOptions, output: Output): Promise<number> {
  if (!EXPORT_FORMATS.includes(options.format)) throw new UsageError(`unknown export format "${options.format}" (formats: ${EXPORT_FORMATS.join(", ")})`);
  const run = await loadRun(input);
  if (run.reproduced === false) output.err(`dst: warning: the replay of ${input} did not reproduce its recorded fingerprint; exporting the replay`);
  const trace = chromeTraceOf(buildDiagramModel(run.records, run.title));
  writeOutputFile(options.output, `${JSON.stringify(trace)}\n`, "export");
  output.out(`wrote ${options.output}: ${trace.traceEvents.length} Chrome trace events (open in ui.perfetto.dev or chrome://tracing)`);
  return 0;
}
