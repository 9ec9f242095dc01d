/**
 * `dst merge` combines sweep outputs (e.g. one per shard) into the same summary
 * table as a sweep, and optionally one merged JSON-lines file in seed order;
 * `dst coverage` reports how often each rare-path point was hit.
 */
import { scanPoints } from "../coverage/points.ts";
import { coverageOf, formatCoverage } from "../coverage/report.ts";
import type { Output } from "../main.ts";
import { checkOutputFile, writeOutputFile } from "../output-files.ts";
import { mergeRecords, readSweepRecords } from "../sweep/records-file.ts";
import { summarizeSweep } from "./sweep.ts";

export function mergeCommand(paths: readonly string[], options: { out?: string }, output: Output): number {
  if (options.out !== undefined) checkOutputFile(options.out, "merged results");
  const records = mergeRecords(paths.map((path) => ({ path, records: readSweepRecords(path) })));
  if (options.out !== undefined) writeOutputFile(options.out, records.map((record) => `${JSON.stringify(record)}\n`).join(""), "merged results");
  output.out(summarizeSweep(records));
  output.out("");
  output.out(formatCoverage(coverageOf(records, scanPoints())));
  return records.some((record) => record.outcome !== "ok") ? 1 : 0;
}

export function coverageCommand(paths: readonly string[], options: { json: boolean }, output: Output): number {
  const records = mergeRecords(paths.map((path) => ({ path, records: readSweepRecords(path) })));
  const report = coverageOf(records, scanPoints());
  output.out(options.json ? JSON.stringify(report) : formatCoverage(report));
  return 0;
}
