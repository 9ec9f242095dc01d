// Rewrites function-length-baseline.json from what the rule reports now: reads
// ESLint's JSON output on stdin (`npm run lint:baseline`). Run it only to record
// functions that shrank or went; a new long function is split, not recorded.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { BASELINE_FILE } from "./function-length.mjs";

const initial = process.argv.includes("--initial") || !existsSync(BASELINE_FILE);
const previous = initial ? {} : JSON.parse(readFileSync(BASELINE_FILE, "utf8"));

const results = JSON.parse(readFileSync(0, "utf8"));
const baseline = {};
for (const result of results) {
  for (const message of result.messages) {
    if (message.ruleId !== "dst/function-length") continue;
    const match = /^(\S+) (?:has|grew to) (\d+) lines/.exec(message.message);
    if (match === null) throw new Error(`unexpected message: ${message.message}`);
    const [, key, lines] = match;
    if (!initial && previous[key] === undefined)
      throw new Error(`${key}: a new function over the limit is split, not recorded`);
    baseline[key] = Math.min(Number(lines), previous[key] ?? Number.POSITIVE_INFINITY);
  }
}
const sorted = Object.fromEntries(Object.entries(baseline).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(BASELINE_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`${Object.keys(sorted).length} functions over the limit recorded in ${BASELINE_FILE}`);
