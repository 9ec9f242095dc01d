/**
 * Fresh seeds for `dst hunt` and for `dst run` without --seed, from real randomness
 * (node:crypto). Only the CLI draws them; a simulation sees nothing but the seed it
 * is given, so any seed drawn here replays exactly.
 */
import { randomInt } from "node:crypto";

/** Fresh seeds lie in [0, FRESH_SEED_LIMIT): 48 bits, the most node:crypto's randomInt draws. */
export const FRESH_SEED_LIMIT = 2 ** 48 - 1;

/** A seed drawn at random. */
export function freshSeed(): number {
  return randomInt(FRESH_SEED_LIMIT);
}

/** An index in [0, count) drawn at random (a hunt's scenario for its next seed). */
export function freshIndex(count: number): number {
  return randomInt(count);
}
