/**
 * A fast-check arbitrary whose only generated value is a given failing candidate (the
 * root) and whose shrinks are the smaller candidates of `candidate-shrinks.ts`. Fed
 * to `fc.check` with the root as its one example, it lets fast-check's own shrink
 * loop (first failing shrink wins, then shrink again from there) minimise a
 * counterexample.
 *
 * The shrink context remembers which stage produced a value, so the next round
 * starts with the stage that just worked (see `candidateShrinks`).
 */
import fc from "fast-check";
import type { ShrinkCandidate } from "./candidate.ts";
import { candidateShrinks, SHRINK_STAGES, type ShrinkFacts } from "./candidate-shrinks.ts";

/** Facts about a candidate that failed: shrinking only ever asks about failing ones. */
export type FactsOf = (candidate: ShrinkCandidate) => ShrinkFacts | undefined;

interface StageContext {
  readonly stage: number;
}

/** The arbitrary of one root candidate and its shrinks (see the module comment). */
export class CandidateArbitrary extends fc.Arbitrary<ShrinkCandidate> {
  constructor(
    private readonly root: ShrinkCandidate,
    private readonly factsOf: FactsOf,
  ) {
    super();
  }

  /** Always the root: there is nothing random to draw. */
  generate(): fc.Value<ShrinkCandidate> {
    return new fc.Value(this.root, undefined);
  }

  canShrinkWithoutContext(value: unknown): value is ShrinkCandidate {
    return isCandidate(value);
  }

  shrink(value: ShrinkCandidate, context: unknown): fc.Stream<fc.Value<ShrinkCandidate>> {
    const facts = this.factsOf(value);
    if (facts === undefined) return fc.Stream.nil();
    const firstStage = isStageContext(context) ? context.stage : 0;
    return fc
      .stream(candidateShrinks(value, facts, firstStage))
      .map(({ candidate, stage }) => new fc.Value(candidate, { stage } satisfies StageContext));
  }
}

function isCandidate(value: unknown): value is ShrinkCandidate {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.safetyMs === "number" && typeof record.plan === "object" && record.plan !== null;
}

function isStageContext(context: unknown): context is StageContext {
  if (typeof context !== "object" || context === null) return false;
  const stage = (context as Record<string, unknown>).stage;
  return typeof stage === "number" && Number.isInteger(stage) && stage >= 0 && stage < SHRINK_STAGES.length;
}
