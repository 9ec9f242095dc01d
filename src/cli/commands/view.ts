/**
 * `dst view <trace.jsonl|counterexample.json> -o run.html`: writes one
 * self-contained HTML page with the run's space-time diagram (a counterexample
 * is replayed first, to get its trace): a lane per host, messages as arrows,
 * crashes, pauses and partitions as shaded spans, violations in red, client
 * operations as bars coloured by outcome. A scenario gets its operations drawn
 * through scenarios/harness/client-operations.ts, or by tracing records with fields
 * `{ op, phase: "invoke" | "ok" | "fail" | "info" }` (and optionally `id`), or
 * `app.<op>.invoke` / `.ok` / `.fail` / `.info` kinds; see
 * src/cli/view/operation-building.ts.
 */
import { buildDiagramModel } from "../view/diagram-model.ts";
import { loadRun } from "../view/load-run.ts";
import { viewPageHtml } from "../view/page-html.ts";
import { checkOutputFile, writeOutputFile } from "../output-files.ts";
import type { Output } from "../main.ts";
import type { TraceRecord } from "../../sim/trace.ts";
import type { DiagramModel } from "../view/diagram-types.ts";

export interface ViewCommandOptions {
  /** Where to write the page. */
  output: string;
}

/** Writes the page; resolves with exit code 0. Bad input throws `UsageError`. */
export async function viewCommand(input: string, options: ViewCommandOptions, output: Output): Promise<number> {
  checkOutputFile(options.output, "page"); // before a counterexample's replay
  const run = await loadRun(input);
  if (run.reproduced === false)
    output.err(`dst: warning: the replay of ${input} did not reproduce its recorded fingerprint; showing the replay`);
  const { model, html } = viewPage(run.records, run.title);
  writeOutputFile(options.output, html, "page");
  const violations = model.violations.length === 0 ? "no violations" : `${model.violations.length} violation(s)`;
  output.out(
    `wrote ${options.output}: ${model.events.length} records, ${model.lanes.length - 1} hosts, ${model.messages.length} messages, ${model.operations.length} operations, ${violations} (${(html.length / 1024 / 1024).toFixed(1)} MB)`,
  );
  return 0;
}

/** The page `dst view` writes for a run's trace records, and the diagram it draws. */
export function viewPage(records: readonly TraceRecord[], title: string): { model: DiagramModel; html: string } {
  const model = buildDiagramModel(records, title);
  return { model, html: viewPageHtml(model) };
}
