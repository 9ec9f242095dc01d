/**
 * Unit tests of the reference-data loader: DST_REFERENCE_DATA overrides the
 * directory, and expected.tsv must list exactly the files present, in the
 * documented format.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HistoryParseError } from "../../../src/sim/check/parsers/history-parse-error.ts";
import {
  checkReference,
  listReferenceEntries,
  loadReference,
  referenceDataDirectory,
} from "../../../src/sim/check/reference-data.ts";

const created: string[] = [];
const savedOverride = process.env.DST_REFERENCE_DATA;

function dataDirectory(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(tmpdir(), "dst-shared-data-"));
  created.push(directory);
  mkdirSync(path.join(directory, "kv"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(directory, "kv", name), text);
  return directory;
}

afterEach(() => {
  for (const directory of created.splice(0)) rmSync(directory, { recursive: true, force: true });
  if (savedOverride === undefined) delete process.env.DST_REFERENCE_DATA;
  else process.env.DST_REFERENCE_DATA = savedOverride;
});

const history =
  '{:process 0, :type :invoke, :f :get, :key "k", :value nil}\n{:process 0, :type :ok, :f :get, :key "k", :value "x"}\n';

describe("reference data loader", () => {
  it("defaults to testdata/histories in the repository", () => {
    delete process.env.DST_REFERENCE_DATA;
    expect(referenceDataDirectory()).toBe(path.resolve(import.meta.dirname, "../../../testdata/histories"));
  });

  it("honours DST_REFERENCE_DATA and checks what it finds there", () => {
    process.env.DST_REFERENCE_DATA = dataDirectory({
      "expected.tsv": "file\tlinearizable\nbad.txt\tfalse\n",
      "bad.txt": history,
    });
    const entries = listReferenceEntries("kv");
    expect(entries.map((entry) => [entry.file, entry.expectedLinearizable])).toEqual([["bad.txt", false]]);
    expect(checkReference(loadReference(entries[0] as (typeof entries)[number])).verdict).toBe("not-linearizable");
  });

  it("refuses an expected.tsv that does not match the folder", () => {
    const directory = dataDirectory({
      "expected.tsv": "file\tlinearizable\nmissing.txt\ttrue\n",
      "extra.txt": history,
    });
    expect(() => listReferenceEntries("kv", directory)).toThrow(
      /files without a verdict \[extra\.txt\], verdicts without a file \[missing\.txt\]/,
    );
  });

  it("refuses a malformed expected.tsv line with file and line", () => {
    const directory = dataDirectory({ "expected.tsv": "file\tlinearizable\nok.txt\tmaybe\n", "ok.txt": history });
    expect(() => listReferenceEntries("kv", directory)).toThrow(HistoryParseError);
    expect(() => listReferenceEntries("kv", directory)).toThrow(/expected\.tsv:2: /);
  });
});
