/**
 * Variant catches that do not hang on one seed: a broken variant must fail a
 * scenario on some seed of a range, as a sweep would find it (issue: every variant
 * caught by a sweep of at most 200 seeds). The seeds run in order and the search
 * stops at the first that fails as expected, so a test costs what the first catch
 * costs, and a change of the schedule moves the seed, not the verdict.
 */
import { runScenario, type RunOptions, type RunResult, type Scenario } from "../../src/sim/runner.ts";

export interface Catch {
  readonly seed: number;
  readonly result: RunResult;
}

/**
 * The first seed in `first..last` where `variant` of `scenario` fails with a
 * violation that `expected` accepts (a first violation of another kind does not
 * count), or undefined with the outcomes seen.
 */
export async function firstCatch(
  scenario: Scenario,
  variant: string,
  seeds: { readonly first: number; readonly last: number },
  expected: (result: RunResult) => boolean,
  options: Omit<RunOptions, "seed" | "variant"> = {},
): Promise<{ caught: Catch | undefined; seen: string[] }> {
  const seen: string[] = [];
  for (let seed = seeds.first; seed <= seeds.last; seed++) {
    const result = await runScenario(scenario, { ...options, seed, variant });
    if (expected(result)) return { caught: { seed, result }, seen };
    const first = result.violations[0];
    seen.push(`seed ${seed}: ${first === undefined ? "ok" : `${first.kind} ${first.invariant}`}`);
  }
  return { caught: undefined, seen };
}
