/**
 * Invariant: every registered scenario is deterministic: the same seed gives the
 * same trace, record for record, and so the same fingerprint, run twice in one process.
 */
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../scenarios/index.ts";
import { runScenario, type RunResult } from "../../src/sim/runner.ts";

const SEEDS = [1, 17];

async function tracedRun(name: string, seed: number): Promise<{ result: RunResult; lines: string[] }> {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (scenario === undefined) throw new Error(`no scenario ${name}`);
  const lines: string[] = [];
  const result = await runScenario(scenario, {
    seed,
    safetyMs: Math.min(scenario.safetyMs, 3000),
    trace: { sink: (line) => lines.push(line) },
  });
  return { result, lines };
}

describe("scenario determinism", () => {
  for (const scenario of SCENARIOS) {
    for (const seed of SEEDS) {
      it(`${scenario.name} seed ${seed}: two runs, one trace and one fingerprint`, async () => {
        const first = await tracedRun(scenario.name, seed);
        const second = await tracedRun(scenario.name, seed);
        const replay = `npx dst run ${scenario.name} --seed ${seed}`;
        const index = first.lines.findIndex((line, i) => line !== second.lines[i]);
        expect(
          index,
          `first differing trace record at ${index}:\n  ${first.lines[index]}\n  ${second.lines[index]}\n${replay}`,
        ).toBe(-1);
        expect(second.lines.length).toBe(first.lines.length);
        expect(second.result.fingerprint, replay).toBe(first.result.fingerprint);
      });
    }
  }
});
