/**
 * Prints the mutation score per module from Stryker's JSON report (npm run mutate).
 * Score = killed (or timed out) / (killed + timed out + survived + no coverage).
 */
import { readFileSync } from "node:fs";

interface MutantResult {
  status: string;
}
interface Report {
  files: Record<string, { mutants: MutantResult[] }>;
}

const report = JSON.parse(readFileSync("out/mutation/mutation.json", "utf8")) as Report;
const lines = ["| module | mutants | killed | survived | no coverage | score |", "| --- | ---: | ---: | ---: | ---: | ---: |"];
for (const [file, { mutants }] of Object.entries(report.files).sort()) {
  const count = (status: string) => mutants.filter((mutant) => mutant.status === status).length;
  const killed = count("Killed") + count("Timeout");
  const survived = count("Survived");
  const uncovered = count("NoCoverage");
  const valid = killed + survived + uncovered;
  lines.push(`| ${file} | ${mutants.length} | ${killed} | ${survived} | ${uncovered} | ${valid === 0 ? "n/a" : `${((100 * killed) / valid).toFixed(1)}%`} |`);
}
process.stdout.write(`${lines.join("\n")}\n`);
