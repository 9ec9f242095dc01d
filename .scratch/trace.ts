import { readFileSync } from "node:fs";
import { findScenario } from "../scenarios/index.ts";
import { parseCounterexample, replayOptions } from "../src/sim/counterexample.ts";
import { runScenario } from "../src/sim/runner.ts";
const cx = parseCounterexample(JSON.parse(readFileSync(process.argv[2]!, "utf8")));
const [from, to] = [Number(process.argv[3]), Number(process.argv[4])];
const filter = process.argv[5] === undefined ? undefined : new RegExp(process.argv[5]);
const result = await runScenario(findScenario(cx.scenario)!, { ...replayOptions(cx), trace: { sink: (line) => {
  const record = JSON.parse(line) as { time: number };
  if (record.time >= from && record.time <= to && (filter === undefined || filter.test(line))) console.log(line.slice(0, 400));
} } });
console.log(result.violations.map((v) => `${v.invariant} ${v.time} ${v.details}`));
