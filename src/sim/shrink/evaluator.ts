/**
 * Runs shrink candidates: each evaluation is one deterministic `runScenario`, at most
 * `maxRuns` of them, each distinct candidate at most once (a cache keyed by the
 * candidate), and the results of reproducing candidates kept so the minimal one is
 * written from its actual run.
 */
import { runScenario, type RunOptions, type RunResult, type Scenario } from "../runner.ts";
import { candidateKey, candidateRunOptions, type ShrinkCandidate } from "./candidate.ts";
import { failureSignature, type SignatureOptions } from "./signature.ts";

/** A candidate's verdict: it fails the same way, it does not, or the run budget is spent. */
export type Evaluation = "reproduces" | "differs" | "out-of-runs";

/** Evaluates candidates against one failure signature, within a run budget. */
export class CandidateEvaluator {
  private runCount = 0;
  private budgetSpent = false;
  private readonly reproducing = new Map<string, RunResult>();
  private readonly differing = new Set<string>();

  /**
   * @param base the counterexample's replay options (seed, variant, buggify, liveness bound)
   * @param signature the failure to keep (see failureSignature)
   */
  constructor(
    private readonly scenario: Scenario,
    private readonly base: RunOptions,
    private readonly signature: string,
    private readonly signatureOptions: SignatureOptions,
    private readonly maxRuns: number,
  ) {}

  /** Scenario runs made so far. */
  get runs(): number {
    return this.runCount;
  }

  /** Whether some candidate went unevaluated because the budget was spent. */
  get exhausted(): boolean {
    return this.budgetSpent;
  }

  /** Whether `candidate` fails with the same signature. A run that throws counts as not reproducing. */
  async evaluate(candidate: ShrinkCandidate): Promise<Evaluation> {
    const key = candidateKey(candidate);
    if (this.reproducing.has(key)) return "reproduces";
    if (this.differing.has(key)) return "differs";
    if (this.runCount >= this.maxRuns) {
      this.budgetSpent = true;
      return "out-of-runs";
    }
    this.runCount++;
    let result: RunResult;
    try {
      result = await runScenario(this.scenario, candidateRunOptions(this.base, candidate));
    } catch {
      this.differing.add(key);
      return "differs";
    }
    const first = result.violations[0];
    if (first === undefined || failureSignature(first, this.signatureOptions) !== this.signature) {
      this.differing.add(key);
      return "differs";
    }
    this.reproducing.set(key, result);
    return "reproduces";
  }

  /** The run of a candidate that reproduced (undefined for any other). */
  resultOf(candidate: ShrinkCandidate): RunResult | undefined {
    return this.reproducing.get(candidateKey(candidate));
  }

  /** Records a run made outside `evaluate` (the root's), so it is not run again. */
  remember(candidate: ShrinkCandidate, result: RunResult): void {
    this.runCount++;
    this.reproducing.set(candidateKey(candidate), result);
  }
}
