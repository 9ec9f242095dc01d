/**
 * The `--out` file of `dst variants`: one JSON line per catalogue entry. A swept
 * entry's line is appended as soon as its search settles (in settling order, which
 * with one worker is catalogue order), so a command that dies (out of memory,
 * killed) leaves every entry it settled. When the command ends, the file is written
 * again whole, in catalogue order: the swept entries, then those caught by
 * properties only, then the pending ones.
 */
import { appendOutputFile, checkOutputFile, writeOutputFile } from "../output-files.ts";
import type { SweptResult } from "./drive.ts";
import { entryRecords, sweptRecord, type VariantsReport } from "./report.ts";

const WHAT = "variant results";

export class VariantsResultsFile {
  /** Checks that `path` can be written (an existing file is overwritten), before any run starts. */
  constructor(readonly path: string) {
    checkOutputFile(path, WHAT);
  }

  /** Empties the file: called once the command's input is checked, before the first search. */
  begin(): void {
    writeOutputFile(this.path, "", WHAT);
  }

  /** Appends the line of an entry whose search has just settled. */
  settled(result: SweptResult): void {
    appendOutputFile(this.path, lineOf(sweptRecord(result)), WHAT);
  }

  /** Writes the whole file in catalogue order. */
  finish(report: VariantsReport): void {
    writeOutputFile(this.path, entryRecords(report).map(lineOf).join(""), WHAT);
  }
}

function lineOf(record: object): string {
  return `${JSON.stringify(record)}\n`;
}
