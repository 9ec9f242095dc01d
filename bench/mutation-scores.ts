/**
 * Prints the mutation score per module from Stryker's JSON reports (npm run mutate).
 * Score = killed (or timed out) / (killed + timed out + survived + no coverage).
 *
 * Several reports of the same source merge: a mutant (matched by file, place,
 * mutator and replacement) counts as killed if any report killed it. So a run of
 * only the new tests (STRYKER_SUITE=...) merged with the full run gives the score
 * with them. Usage: node --import tsx bench/mutation-scores.ts [report.json ...]
 * (default out/mutation/mutation.json).
 */
import { readFileSync } from "node:fs";

interface MutantResult {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface Report {
  files: Record<string, { mutants: MutantResult[] }>;
}

const DETECTED = new Set(["Killed", "Timeout"]);
const paths = process.argv.slice(2);
const reports = (paths.length > 0 ? paths : ["out/mutation/mutation.json"]).map((path) => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Report;
  } catch (error) {
    process.stderr.write(`mutation-scores: cannot read ${path}: ${(error as Error).message}\n`);
    process.exit(2);
  }
});

const keyOf = (file: string, mutant: MutantResult) => {
  const { start, end } = mutant.location;
  return `${file}:${start.line}:${start.column}-${end.line}:${end.column}:${mutant.mutatorName}:${mutant.replacement ?? ""}`;
};
/** Per file, each mutant's best status over every report. */
const merged = new Map<string, Map<string, string>>();
for (const report of reports) {
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const statuses = merged.get(file) ?? new Map<string, string>();
    for (const mutant of mutants) {
      const key = keyOf(file, mutant);
      const before = statuses.get(key);
      if (before === undefined || (!DETECTED.has(before) && (DETECTED.has(mutant.status) || before === "NoCoverage")))
        statuses.set(key, mutant.status);
    }
    merged.set(file, statuses);
  }
}

const lines = [
  "| module | mutants | killed | survived | no coverage | score |",
  "| --- | ---: | ---: | ---: | ---: | ---: |",
];
for (const [file, statuses] of [...merged.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
  const all = [...statuses.values()];
  const count = (status: string) => all.filter((candidate) => candidate === status).length;
  const killed = count("Killed") + count("Timeout");
  const survived = count("Survived");
  const uncovered = count("NoCoverage");
  const valid = killed + survived + uncovered;
  lines.push(
    `| ${file} | ${all.length} | ${killed} | ${survived} | ${uncovered} | ${valid === 0 ? "n/a" : `${((100 * killed) / valid).toFixed(1)}%`} |`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
