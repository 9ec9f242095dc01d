/**
 * `dst merge` combines sweep outputs (e.g. one per shard) into the same summary
 * table as a sweep, and optionally one merged JSON-lines file in seed order. It
 * ends, as `dst coverage` does (coverage.ts), with the rare-path points hit and the
 * scenarios' declared rare states: the share of runs that reached each, and the gaps.
 */
import { selectedCatalogue } from "../scenario-catalogue.ts";
import { pointRootsOf, scanPoints } from "../coverage/points.ts";
import { formatRareStates, rareStatesOf } from "../coverage/rare-states.ts";
import { coverageOf, formatCoverage } from "../coverage/report.ts";
import { EXIT_OK, EXIT_RARE_STATE_GAPS, EXIT_VIOLATION } from "../exit-codes.ts";
import type { Output } from "../main.ts";
import { checkOutputFile, writeOutputFile } from "../output-files.ts";
import { mergeRecords, readSweepRecords } from "../sweep/records-file.ts";
import { summarizeSweep } from "./sweep.ts";

export function mergeCommand(
  paths: readonly string[],
  options: { out?: string; failOnGaps?: boolean },
  output: Output,
): number {
  if (options.out !== undefined) checkOutputFile(options.out, "merged results");
  const records = mergeRecords(paths.map((path) => ({ path, records: readSweepRecords(path) })));
  if (options.out !== undefined)
    writeOutputFile(options.out, records.map((record) => `${JSON.stringify(record)}\n`).join(""), "merged results");
  output.out(summarizeSweep(records));
  output.out("");
  const catalogue = selectedCatalogue();
  output.out(formatCoverage(coverageOf(records, scanPoints(pointRootsOf(catalogue)))));
  const rareStates = rareStatesOf(records, catalogue.scenarios);
  output.out("");
  output.out(formatRareStates(rareStates));
  if (records.some((record) => record.outcome !== "ok")) return EXIT_VIOLATION;
  return options.failOnGaps === true && rareStates.some((entry) => entry.gap) ? EXIT_RARE_STATE_GAPS : EXIT_OK;
}
