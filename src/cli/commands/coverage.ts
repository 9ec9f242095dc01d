/**
 * `dst coverage` reports, from sweep outputs, how often each rare-path point
 * (`buggify` and `probe` in the sources) was hit, and the share of runs that
 * reached each rare state the scenarios declare, with the gaps.
 */
import { pointRootsOf, scanPoints } from "../coverage/points.ts";
import { formatRareStates, rareStatesOf } from "../coverage/rare-states.ts";
import { coverageOf, formatCoverage } from "../coverage/report.ts";
import { EXIT_OK } from "../exit-codes.ts";
import type { Output } from "../main.ts";
import { selectedCatalogue } from "../scenario-catalogue.ts";
import { mergeRecords, readSweepRecords } from "../sweep/records-file.ts";

export function coverageCommand(paths: readonly string[], options: { json: boolean }, output: Output): number {
  const records = mergeRecords(paths.map((path) => ({ path, records: readSweepRecords(path) })));
  const catalogue = selectedCatalogue();
  const report = coverageOf(records, scanPoints(pointRootsOf(catalogue)));
  const rareStates = rareStatesOf(records, catalogue.scenarios);
  output.out(
    options.json
      ? JSON.stringify({ ...report, rareStates })
      : `${formatCoverage(report)}\n\n${formatRareStates(rareStates)}`,
  );
  return EXIT_OK;
}
