/**
 * Linearizability checker benchmark: the time to check every reference history
 * in testdata/histories (Jepsen etcd logs, key-value histories), per set, beside the
 * time to parse the same files measured in the same run (so the ratio is the
 * cost of checking relative to reading the data). Every verdict is compared with
 * expected.tsv first: figures for a checker that gets one wrong are meaningless.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  checkReference,
  listReferenceEntries,
  parseReference,
  referenceSets,
  referenceDataDirectory,
} from "../src/sim/check/reference-data.ts";
import type { ParsedReference, ReferenceEntry, ReferenceSet } from "../src/sim/check/reference-data.ts";
import type { BenchRow, BenchSection } from "./lib.ts";
import { formatSection, timeBest } from "./lib.ts";

interface LoadedSet {
  readonly set: ReferenceSet;
  readonly files: readonly { entry: ReferenceEntry; text: string }[];
  readonly parsed: readonly ParsedReference[];
  readonly operationCount: number;
}

function loadSet(set: ReferenceSet): LoadedSet {
  const files = listReferenceEntries(set).map((entry) => ({ entry, text: readFileSync(entry.path, "utf8") }));
  const parsed = files.map(({ entry, text }) => parseReference(entry, text));
  return { set, files, parsed, operationCount: parsed.reduce((sum, history) => sum + history.operations.length, 0) };
}

/** Checks every history once; throws on a verdict that differs from expected.tsv. Returns the search steps. */
function checkAll(loaded: LoadedSet): number {
  let steps = 0;
  loaded.parsed.forEach((parsed, index) => {
    const entry = (loaded.files[index] as { entry: ReferenceEntry }).entry;
    const result = checkReference(parsed);
    const expected = entry.expectedLinearizable ? "linearizable" : "not-linearizable";
    if (result.verdict !== expected)
      throw new Error(`bench check: ${entry.path}: verdict ${result.verdict}, expected ${expected}`);
    steps += result.steps;
  });
  return steps;
}

async function benchSet(
  loaded: LoadedSet,
): Promise<{ rows: BenchRow[]; checkMs: number; parseMs: number; steps: number }> {
  const steps = checkAll(loaded);
  const parseMs = await timeBest(() => {
    for (const { entry, text } of loaded.files) parseReference(entry, text);
  });
  const checkMs = await timeBest(() => {
    for (const parsed of loaded.parsed) checkReference(parsed);
  });
  const histories = loaded.files.length;
  const perSecond = (count: number, ms: number): number => count / (ms / 1000);
  const baselineName = "parsing the same files";
  const rows: BenchRow[] = [
    {
      name: `${loaded.set}: histories checked (${histories})`,
      value: perSecond(histories, checkMs),
      unit: "histories/s",
      baseline: perSecond(histories, parseMs),
      baselineName,
    },
    {
      name: `${loaded.set}: operations checked (${loaded.operationCount})`,
      value: perSecond(loaded.operationCount, checkMs),
      unit: "ops/s",
      baseline: perSecond(loaded.operationCount, parseMs),
      baselineName,
    },
    { name: `${loaded.set}: search steps`, value: perSecond(steps, checkMs), unit: "steps/s" },
  ];
  return { rows, checkMs, parseMs, steps };
}

/** Times checking the whole reference data set (best of 3), per set, against parsing it. */
export async function benchCheck(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  let checkMs = 0;
  let parseMs = 0;
  let histories = 0;
  for (const set of referenceSets) {
    const loaded = loadSet(set);
    const measured = await benchSet(loaded);
    rows.push(...measured.rows);
    checkMs += measured.checkMs;
    parseMs += measured.parseMs;
    histories += loaded.files.length;
  }
  rows.push({
    name: `whole data set (${histories} histories): check time`,
    value: checkMs,
    unit: "ms",
    baseline: parseMs,
    baselineName: "parse time",
  });
  return {
    title: "Linearizability checker on the reference histories (npm run bench)",
    rows,
    notes: [
      `Data: ${referenceDataDirectory()}. Every verdict matched expected.tsv before timing. Best of 3 runs; checking times exclude parsing.`,
      "The whole-data-set row is in ms (lower is better), so its ratio is how many times parsing the data the check costs.",
    ],
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${formatSection(await benchCheck())}\n`);
}
