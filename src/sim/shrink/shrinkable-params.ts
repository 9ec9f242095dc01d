/**
 * Workload parameters a scenario lets shrinking reduce (say, how many operations the
 * client issues). A scenario declares each one with its smallest meaningful value
 * and the value it uses when the parameter is absent; shrinking then tries smaller
 * integers, toward the minimum.
 *
 * The `Scenario` interface (src/sim/runner.ts) does not carry this field yet; until
 * it does, a scenario declares it as `Scenario & ShrinkableScenario`.
 */
import { ScenarioError, type Scenario } from "../runner.ts";

/** One integer workload parameter that shrinking may lower. */
export interface ShrinkableParam {
  /** The smallest value worth trying (an integer). */
  readonly min: number;
  /** The value the scenario uses when `params` does not set it (an integer). */
  readonly default: number;
}

/** A scenario's shrinkable parameters, by name. */
export type ShrinkableParams = Readonly<Record<string, ShrinkableParam>>;

/** What a scenario adds to declare its shrinkable parameters. */
export interface ShrinkableScenario {
  readonly shrinkableParams?: ShrinkableParams;
}

/**
 * The scenario's shrinkable parameters, by name in sorted order (none when it declares none). Throws on a malformed
 * declaration.
 */
export function shrinkableParamsOf(scenario: Scenario): Array<[string, ShrinkableParam]> {
  const declared = (scenario as Scenario & ShrinkableScenario).shrinkableParams;
  if (declared === undefined) return [];
  const entries = Object.entries(declared).sort(([a], [b]) => a.localeCompare(b));
  for (const [name, param] of entries) {
    if (!Number.isSafeInteger(param.min) || !Number.isSafeInteger(param.default) || param.default < param.min) {
      throw new ScenarioError(
        `scenario ${scenario.name}: shrinkable param '${name}' needs integers min <= default (got min ${param.min}, default ${param.default})`,
      );
    }
  }
  return entries;
}
