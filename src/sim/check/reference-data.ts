/**
 * The reference histories in testdata/histories (in the repository; the
 * environment variable DST_REFERENCE_DATA overrides the directory): Jepsen
 * etcd register logs and key-value histories, each with the verdict other
 * checkers gave it in its folder's expected.tsv. The linearizability checker
 * must agree with every one.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../package-root.ts";
import { HistoryParseError } from "./parsers/history-parse-error.ts";
import { parseJepsenEtcdLog } from "./parsers/jepsen-etcd-log.ts";
import { parseKeyValueHistory } from "./parsers/key-value-history.ts";
import { checkLinearizability } from "./linearizability.ts";
import type { CheckOptions, LinearizabilityResult } from "./linearizability.ts";
import type { OperationInput } from "./history.ts";
import { historyToOperations } from "./operation.ts";
import type { Operation } from "./operation.ts";
import { casRegisterModel } from "./models/cas-register.ts";
import type { RegisterInput, RegisterOutput } from "./models/cas-register.ts";
import { keyValueModel } from "./models/key-value.ts";
import type { KeyValueInput, KeyValueOutput } from "./models/key-value.ts";

/** The folders of testdata/histories, each a set of histories with one model. */
export const referenceSets = ["jepsen-etcd", "kv"] as const;
/** The name of one reference set (a folder of testdata/histories). */
export type ReferenceSet = (typeof referenceSets)[number];

/** One reference history and its expected verdict. */
export interface ReferenceEntry {
  readonly set: ReferenceSet;
  /** File name inside the set's folder, e.g. "etcd_000.log". */
  readonly file: string;
  readonly path: string;
  readonly expectedLinearizable: boolean;
}

/** A reference history parsed into operations, tagged with its set (which fixes the model). */
export type ParsedReference =
  | { readonly set: "jepsen-etcd"; readonly operations: Operation<RegisterInput, RegisterOutput>[] }
  | { readonly set: "kv"; readonly operations: Operation<KeyValueInput, KeyValueOutput>[] };

/** The reference histories' directory: $DST_REFERENCE_DATA, else `<repository root>/testdata/histories`. */
export function referenceDataDirectory(): string {
  const override = process.env.DST_REFERENCE_DATA;
  if (override !== undefined && override !== "") return path.resolve(override);
  return path.resolve(packageRoot(), "testdata/histories");
}

/**
 * The entries of one set, in expected.tsv order. Throws a `HistoryParseError`
 * if expected.tsv is malformed, and an Error if it and the folder disagree on
 * which history files exist.
 */
export function listReferenceEntries(set: ReferenceSet, directory = referenceDataDirectory()): ReferenceEntry[] {
  const folder = path.join(directory, set);
  const expectedPath = path.join(folder, "expected.tsv");
  const entries = readExpected(readFileSync(expectedPath, "utf8"), expectedPath).map(
    ([file, expectedLinearizable]) => ({
      set,
      file,
      path: path.join(folder, file),
      expectedLinearizable,
    }),
  );
  const listed = new Set(entries.map((entry) => entry.file));
  const present = readdirSync(folder).filter(
    (name) => name !== "expected.tsv" && !name.startsWith(".") && name !== "README.md",
  );
  const unlisted = present.filter((name) => !listed.has(name));
  const missing = [...listed].filter((name) => !present.includes(name));
  if (unlisted.length > 0 || missing.length > 0) {
    throw new Error(
      `${expectedPath}: files without a verdict [${unlisted.join(", ")}], verdicts without a file [${missing.join(", ")}]`,
    );
  }
  return entries;
}

function readExpected(text: string, file: string): [string, boolean][] {
  const rows: [string, boolean][] = [];
  text.split("\n").forEach((rawLine, lineIndex) => {
    const line = rawLine.replace(/\r$/, "");
    if (line.trim() === "") return;
    const fields = line.split("\t");
    if (lineIndex === 0 && fields[0] === "file") return;
    const [name, verdict] = fields;
    if (fields.length !== 2 || name === undefined || name === "" || (verdict !== "true" && verdict !== "false")) {
      throw new HistoryParseError(file, lineIndex + 1, "expected `<file>\\t<true|false>`", line);
    }
    rows.push([name, verdict === "true"]);
  });
  return rows;
}

/** Parses a reference history's text into the checker's operations. */
export function parseReference(entry: ReferenceEntry, text: string): ParsedReference {
  switch (entry.set) {
    case "jepsen-etcd":
      return { set: entry.set, operations: historyToOperations(parseJepsenEtcdLog(text, entry.path)) };
    case "kv":
      return { set: entry.set, operations: historyToOperations(parseKeyValueHistory(text, entry.path)) };
  }
}

/** Reads and parses a reference history. */
export function loadReference(entry: ReferenceEntry): ParsedReference {
  return parseReference(entry, readFileSync(entry.path, "utf8"));
}

/** Checks a parsed reference history against its set's model. */
export function checkReference(
  parsed: ParsedReference,
  options: CheckOptions = {},
): LinearizabilityResult<OperationInput, unknown> {
  switch (parsed.set) {
    case "jepsen-etcd":
      return checkLinearizability(casRegisterModel, parsed.operations, options);
    case "kv":
      return checkLinearizability(keyValueModel, parsed.operations, options);
  }
}
