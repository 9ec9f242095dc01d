/**
 * `dst export --format chrome <trace.jsonl|counterexample.json> [-o out.json]`:
 * writes the run as Chrome Trace Event JSON, for Perfetto and chrome://tracing
 * (a counterexample is replayed first, to get its trace), to the file or, without
 * `-o` or with `-o -`, to standard output and nothing else there, as Unix tools do.
 */
import { UsageError } from "../input.ts";
import type { Output } from "../main.ts";
import { chromeTraceOf } from "../view/chrome-trace.ts";
import { buildDiagramModel } from "../view/diagram-model.ts";
import { loadRun } from "../view/load-run.ts";
import { checkOutputFile, writeOutputFile } from "../output-files.ts";

/** The formats `dst export` writes. */
export const EXPORT_FORMATS: readonly string[] = ["chrome"];

export interface ExportCommandOptions {
  format: string;
  /** Where to write the export: a file, or standard output when absent or "-". */
  output?: string;
}

/** Writes the export; resolves with exit code 0. Bad input or an unknown format throws `UsageError`. */
export async function exportCommand(input: string, options: ExportCommandOptions, output: Output): Promise<number> {
  if (!EXPORT_FORMATS.includes(options.format))
    throw new UsageError(`unknown export format "${options.format}" (formats: ${EXPORT_FORMATS.join(", ")})`);
  const path = options.output === "-" ? undefined : options.output;
  if (path !== undefined) checkOutputFile(path, "export"); // before a counterexample's replay
  const run = await loadRun(input);
  if (run.reproduced === false)
    output.err(`dst: warning: the replay of ${input} did not reproduce its recorded fingerprint; exporting the replay`);
  const trace = chromeTraceOf(buildDiagramModel(run.records, run.title));
  if (path === undefined) {
    output.out(JSON.stringify(trace)); // the export alone: a pipe's reader gets nothing else
    return 0;
  }
  writeOutputFile(path, `${JSON.stringify(trace)}\n`, "export");
  output.out(
    `wrote ${path}: ${trace.traceEvents.length} Chrome trace events (open in ui.perfetto.dev or chrome://tracing)`,
  );
  return 0;
}
