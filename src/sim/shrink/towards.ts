/**
 * The numbers a shrinker tries between a value and its target, biggest jump first,
 * as fast-check's integer shrinker does: the target itself, then halfway, then a
 * quarter of the way back, and so on up to one step short of the value.
 */

/** Most candidates one `towards` yields: halving a safe integer needs fewer than 64 steps. */
export const HALVING_STEPS_MAX = 64;

/**
 * Yields `target`, then `current - gap / 2`, `current - gap / 4`, ... (gap = current - target),
 * ending one unit short of `current`. Yields nothing unless `current >= target + 1`.
 * Every value yielded is at least 1 below `current`, so a shrinker built on it terminates.
 */
export function* towards(current: number, target: number): Generator<number> {
  let gap = Math.floor(current - target);
  for (let step = 0; step < HALVING_STEPS_MAX && gap >= 1; step++) {
    yield current - gap;
    gap = Math.floor(gap / 2);
  }
}
