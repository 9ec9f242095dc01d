/**
 * The smaller candidates of a failing candidate, in the order shrinking tries them.
 * Stages, cheapest and most effective first:
 * 1. safety-phase: a shorter safety phase (first just after the first violation,
 *    then halving toward 1 ms), dropping the faults that would strike after it.
 *    Shorter runs make every later step cheaper.
 * 2. remove: drop episodes (a fault with its undo): all of them, then halves,
 *    quarters, ..., then one at a time (delta debugging).
 * 3. params: lower each shrinkable workload parameter toward its minimum.
 * 4. knobs: move each knob toward its default (src/sim/knobs.ts); when the knobs
 *    shape the cluster, the plan loses the episodes that strike hosts it no longer has.
 * 5. shorten: make each fault last less long.
 * 6. earlier: move each episode earlier, its undo with it.
 * Every candidate is strictly smaller than its parent in a measure that only ever
 * decreases by at least one (safety phase + events + event times + durations +
 * params + each knob's distance from its default), so shrinking ends even without
 * the run budget.
 */
import { knobShrinks, type Knob, type KnobValue } from "../knobs.ts";
import type { ShrinkCandidate } from "./candidate.ts";
import {
  episodeDurationMs,
  episodeHosts,
  episodesOf,
  movedTo,
  planBefore,
  planOf,
  withDurationMs,
  type Episode,
} from "./episodes.ts";
import type { ShrinkableParam } from "./shrinkable-params.ts";
import { towards } from "./towards.ts";

/** The shrink stages, in the order tried from a fresh candidate. */
export const SHRINK_STAGES = ["safety-phase", "remove", "params", "knobs", "shorten", "earlier"] as const;
/** One kind of shrink step. */
export type ShrinkStage = (typeof SHRINK_STAGES)[number];

/** The shortest safety phase shrinking tries, in ms. */
export const SAFETY_MS_MIN = 1;
/** The shortest fault shrinking tries, in ms (shorter than that is no fault: removal covers it). */
export const FAULT_DURATION_MS_MIN = 1;

/** What the stages need to know besides the candidate. */
export interface ShrinkFacts {
  /** Virtual time of the candidate's first violation. */
  readonly violationTimeMs: number;
  readonly shrinkableParams: ReadonlyArray<[string, ShrinkableParam]>;
  /** The scenario's knobs, in declaration order (none: the stage yields nothing). */
  readonly knobs?: ReadonlyArray<[string, Knob]>;
  /** The hosts a fault plan may strike under given knobs (Scenario.swarm.hosts), when the knobs shape the cluster. */
  readonly faultHostsOf?: (knobs: Readonly<Record<string, KnobValue>>) => readonly string[];
}

/**
 * The smaller candidates of `candidate`, each tagged with the stage that made it.
 * Starts at `firstStage` (where the previous success came from) and wraps around, so
 * the stages before it are still tried before the candidate counts as minimal.
 */
export function* candidateShrinks(
  candidate: ShrinkCandidate,
  facts: ShrinkFacts,
  firstStage = 0,
): Generator<{ candidate: ShrinkCandidate; stage: number }> {
  for (let offset = 0; offset < SHRINK_STAGES.length; offset++) {
    const stage = (firstStage + offset) % SHRINK_STAGES.length;
    for (const smaller of stageShrinks(SHRINK_STAGES[stage] ?? "remove", candidate, facts))
      yield { candidate: smaller, stage };
  }
}

function stageShrinks(stage: ShrinkStage, candidate: ShrinkCandidate, facts: ShrinkFacts): Iterable<ShrinkCandidate> {
  switch (stage) {
    case "safety-phase":
      return safetyPhaseShrinks(candidate, facts.violationTimeMs);
    case "remove":
      return episodeShrinks(candidate, removals);
    case "params":
      return paramShrinks(candidate, facts.shrinkableParams);
    case "knobs":
      return knobStageShrinks(candidate, facts);
    case "shorten":
      return episodeShrinks(candidate, shortenings);
    case "earlier":
      return episodeShrinks(candidate, earlierMoves);
  }
}

function* safetyPhaseShrinks(candidate: ShrinkCandidate, violationTimeMs: number): Generator<ShrinkCandidate> {
  const lengths: number[] = [];
  const justAfter = Math.max(SAFETY_MS_MIN, Math.floor(violationTimeMs) + 1);
  if (justAfter < candidate.safetyMs) lengths.push(justAfter);
  for (const length of towards(candidate.safetyMs, SAFETY_MS_MIN)) if (length !== justAfter) lengths.push(length);
  for (const safetyMs of lengths) yield { ...candidate, plan: planBefore(candidate.plan, safetyMs), safetyMs };
}

function* episodeShrinks(
  candidate: ShrinkCandidate,
  shrinks: (episodes: readonly Episode[]) => Iterable<Episode[]>,
): Generator<ShrinkCandidate> {
  for (const episodes of shrinks(episodesOf(candidate.plan))) yield { ...candidate, plan: planOf(episodes) };
}

/** All episodes, then chunks of half, a quarter, ..., one. */
function* removals(episodes: readonly Episode[]): Generator<Episode[]> {
  for (let size = episodes.length; size >= 1; size = Math.floor(size / 2)) {
    for (let start = 0; start < episodes.length; start += size)
      yield [...episodes.slice(0, start), ...episodes.slice(start + size)];
  }
}

function* shortenings(episodes: readonly Episode[]): Generator<Episode[]> {
  for (const [index, episode] of episodes.entries()) {
    const durationMs = episodeDurationMs(episode);
    if (durationMs === undefined) continue;
    for (const shorter of towards(durationMs, FAULT_DURATION_MS_MIN))
      yield replaced(episodes, index, withDurationMs(episode, shorter));
  }
}

function* earlierMoves(episodes: readonly Episode[]): Generator<Episode[]> {
  for (const [index, episode] of episodes.entries()) {
    for (const atMs of towards(episode.start.event.atMs, 0)) yield replaced(episodes, index, movedTo(episode, atMs));
  }
}

function* paramShrinks(
  candidate: ShrinkCandidate,
  shrinkable: ReadonlyArray<[string, ShrinkableParam]>,
): Generator<ShrinkCandidate> {
  for (const [name, param] of shrinkable) {
    const current = candidate.params?.[name] ?? param.default;
    if (typeof current !== "number" || !Number.isSafeInteger(current)) continue;
    for (const value of towards(current, param.min))
      yield { ...candidate, params: { ...candidate.params, [name]: value } };
  }
}

/**
 * Each knob, in turn, to each value strictly closer to its default; the plan keeps only the episodes on hosts the new
 * knobs still have.
 */
function* knobStageShrinks(candidate: ShrinkCandidate, facts: ShrinkFacts): Generator<ShrinkCandidate> {
  const current = candidate.knobs;
  if (current === undefined) return;
  for (const [name, knob] of facts.knobs ?? []) {
    const value = current[name];
    if (value === undefined) continue;
    for (const closer of knobShrinks(knob, value)) {
      const knobs = { ...current, [name]: closer };
      yield { ...candidate, knobs, plan: planOnHostsOf(candidate, knobs, facts) };
    }
  }
}

/**
 * The candidate's plan without the episodes that strike a fault host the new knobs no longer have (the same plan when
 * the hosts do not depend on the knobs).
 */
function planOnHostsOf(
  candidate: ShrinkCandidate,
  knobs: Readonly<Record<string, KnobValue>>,
  facts: ShrinkFacts,
): ShrinkCandidate["plan"] {
  if (facts.faultHostsOf === undefined || candidate.knobs === undefined) return candidate.plan;
  const kept = new Set(facts.faultHostsOf(knobs));
  const gone = facts.faultHostsOf(candidate.knobs).filter((host) => !kept.has(host));
  if (gone.length === 0) return candidate.plan;
  const episodes = episodesOf(candidate.plan);
  const remaining = episodes.filter((episode) => !episodeHosts(episode).some((host) => gone.includes(host)));
  return remaining.length === episodes.length ? candidate.plan : planOf(remaining);
}

function replaced(episodes: readonly Episode[], index: number, episode: Episode): Episode[] {
  const copy = episodes.slice();
  copy[index] = episode;
  return copy;
}
