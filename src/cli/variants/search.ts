/**
 * The seed searches of `dst variants`, as a pure state machine that a worker pool
 * drives: for each swept catalogue entry, the smallest seed of its range on which
 * the variant fails and the unmodified code passes (a seed that fails both ways
 * says nothing about the variant, and the search goes on past it).
 *
 * Contract: `next()` hands out runs in seed order, the searches in catalogue order,
 * a later search only while the earlier ones have nothing to run; `answer()` takes
 * the outcome of a run in any order. A search settles on seed s only once every
 * seed below s has been answered, so the seed it reports is the same whatever the
 * number of workers and the order their answers come in. Runs of seeds above a
 * failing one wait until that seed's unmodified run passed or failed; a baseline run
 * is handed out before any new seed.
 */

/** One run a search asks for: the variant's (`baseline: false`) or the unmodified code's, on one seed. */
export interface SearchRun {
  readonly search: number;
  readonly seed: number;
  readonly baseline: boolean;
}

/** How a search ended. */
export type SearchOutcome =
  | { readonly caught: true; readonly seed: number; readonly seedsSwept: number }
  | { readonly caught: false; readonly seedsSwept: number };

/** A search's state; `outcome` once settled. */
export interface SearchState {
  readonly first: number;
  readonly last: number;
  /** Seeds below this one are settled (passed, or failed both ways). */
  frontier: number;
  /** The next seed to hand out. */
  nextSeed: number;
  /** Variant runs answered: true when it failed. */
  readonly failed: Map<number, boolean>;
  /** Baseline runs: undefined while handed out and unanswered, else true when it failed. */
  readonly baselines: Map<number, boolean | undefined>;
  /** Seeds the variant failed on whose unmodified run failed too. */
  readonly unattributed: number[];
  /** Runs handed out, and how many of them were answered. */
  started: number;
  answered: number;
  outcome: SearchOutcome | undefined;
}

/** Every search of one `dst variants` command. */
export class VariantSearches {
  readonly states: SearchState[];

  constructor(count: number, seeds: { readonly first: number; readonly last: number }) {
    this.states = Array.from({ length: count }, () => ({
      first: seeds.first,
      last: seeds.last,
      frontier: seeds.first,
      nextSeed: seeds.first,
      failed: new Map(),
      baselines: new Map(),
      unattributed: [],
      started: 0,
      answered: 0,
      outcome: undefined,
    }));
  }

  /** The next run to start, "wait" while every unsettled search waits on answers, "done" once all settled. */
  next(): SearchRun | "wait" | "done" {
    let unsettled = false;
    for (let index = 0; index < this.states.length; index++) {
      const state = this.states[index] as SearchState;
      if (state.outcome !== undefined) continue;
      unsettled = true;
      const run = nextRunOf(state, index);
      if (run !== undefined) {
        state.started++;
        return run;
      }
    }
    return unsettled ? "wait" : "done";
  }

  /** Takes the outcome of `run` (failed: a violation or an error); returns the search's outcome if this settled it. */
  answer(run: SearchRun, failed: boolean): SearchOutcome | undefined {
    const state = this.states[run.search] as SearchState;
    state.answered++;
    if (state.outcome !== undefined) return undefined;
    if (run.baseline) state.baselines.set(run.seed, failed);
    else state.failed.set(run.seed, failed);
    settle(state);
    return state.outcome;
  }

  /** Whether every run a search handed out was answered (its wall time ends then). */
  idle(search: number): boolean {
    const state = this.states[search] as SearchState;
    return state.answered === state.started;
  }
}

/** The lowest seed at or above the frontier that the variant failed on and whose baseline has not failed. */
function lowestCandidate(state: SearchState): number | undefined {
  let lowest: number | undefined;
  for (const [seed, failed] of state.failed) {
    if (!failed || seed < state.frontier || state.baselines.get(seed) === true) continue;
    if (lowest === undefined || seed < lowest) lowest = seed;
  }
  return lowest;
}

function nextRunOf(state: SearchState, search: number): SearchRun | undefined {
  const candidate = lowestCandidate(state);
  if (candidate !== undefined && !state.baselines.has(candidate)) {
    state.baselines.set(candidate, undefined);
    return { search, seed: candidate, baseline: true };
  }
  if (state.nextSeed > state.last || (candidate !== undefined && state.nextSeed > candidate)) return undefined;
  return { search, seed: state.nextSeed++, baseline: false };
}

/** Moves the frontier over settled seeds, and ends the search on a caught seed or past the range. */
function settle(state: SearchState): void {
  while (state.frontier <= state.last) {
    const failed = state.failed.get(state.frontier);
    if (failed === undefined) return;
    if (failed) {
      const baseline = state.baselines.get(state.frontier);
      if (baseline === undefined) return;
      if (!baseline) {
        state.outcome = { caught: true, seed: state.frontier, seedsSwept: state.frontier - state.first + 1 };
        return;
      }
      state.unattributed.push(state.frontier);
    }
    state.frontier++;
  }
  state.outcome = { caught: false, seedsSwept: state.last - state.first + 1 };
}
