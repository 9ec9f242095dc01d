/**
 * BMDB's Backoff (seed 003: Go `Backoff`, `existingBackoff`, `normalized`, `simple`
 * and `next`): how long a failed work item stays ineligible, in whole seconds, the
 * unit of the work_backoff table.
 *
 * The arithmetic is Go's, step by step: durations are integer nanoseconds (BigInt
 * here, int64 there), the exponent multiplies a float64 copy of the last interval,
 * and the product is truncated back to an integer. Where Go's int64 would overflow,
 * the seed clamps to Maximum; so does this file (see `multipliedNanoseconds`).
 *
 * Where the seed's code disagrees with its documentation, this file follows the
 * documentation (the issue asks for next() "exactly as the seed documents"); the
 * seed's behaviours are broken variants in the tests:
 * - Initial is rounded up to whole seconds like every period (the seed truncates
 *   it: {initialMs: 1500} gave 1 s);
 * - `simple()` is asked of the normalized exponent, so an exponent below 1,
 *   documented as "capped to 1.0", is non-exponential and always gives Initial
 *   (the seed looked at the raw exponent, 0 or 1 only, and kept the persisted
 *   interval for 0.5);
 * - an exponent above 1 never gets stuck, as documented: where the truncated
 *   product equals the last interval (exponents below about 1 + 1e-9) it moves on by
 *   one nanosecond, which rounds up to the next second.
 *
 * One deliberate deviation: the seed reads the persisted seconds back as
 * `time.Second * time.Duration(n)`, which wraps around for n > 9_223_372_036. A
 * Maximum near the int64 limit rounds up to 9_223_372_037 s, so Go would read that
 * back as a negative interval and restart the sequence at 1 s. Here the persisted
 * interval converts exactly and the sequence stays at Maximum, as intended.
 */
import { assert } from "../../sim/assert.ts";

/**
 * Backoff configuration of a failed work item (Go `Backoff`), one constant
 * descriptor per work kind. Absent fields are zero, as Go's zero value; the zero
 * descriptor is a non-exponential backoff of one second.
 *
 * Durations are milliseconds, converted to whole nanoseconds (Go's time.Duration);
 * each must convert into the int64 range, as a Go constant must (assertion).
 */
export interface Backoff {
  /**
   * Backoff period of a first failure (no Finish between two Fails). An exponential
   * backoff ignores it afterwards; a non-exponential one always returns it, whatever
   * was persisted. Capped below at one second.
   */
  readonly initialMs?: number;
  /** Cap of the computed period; never persisted. Capped below at Initial. */
  readonly maximumMs?: number;
  /**
   * Multiplier of the previous period on a failure directly after a failure; never
   * persisted. Capped below at 1.0. 0 (unset) and 1 mean non-exponential.
   */
  readonly exponent?: number;
}

/**
 * A Backoff after the seed's 'when zero/unset' rules: every field set, Initial ≥ 1 s, Maximum ≥ Initial, Exponent ≥ 1
 * (NaN stays NaN, as in Go).
 */
export type NormalizedBackoff = Required<Backoff>;

/** What the work_backoff table persists of a previous failure (Go `existingBackoff`): its interval in whole seconds. */
export interface ExistingBackoff {
  readonly lastIntervalSeconds: number;
}

const NANOSECONDS_PER_SECOND = 1_000_000_000n;
const NANOSECONDS_PER_MILLISECOND = 1_000_000;
const MILLISECONDS_PER_SECOND = 1_000;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** 2^63: the smallest float64 that Go's int64(float64) conversion cannot represent. */
const INT64_LIMIT_FLOAT = 2 ** 63;

/**
 * Go's `normalized()`: a copy with Exponent < 1 raised to 1, Initial < 1 s raised
 * to 1 s, then Maximum < Initial raised to Initial. Asserts the durations are
 * finite and within Go's time.Duration range.
 */
export function normalizedBackoff(b: Backoff): NormalizedBackoff {
  const initialMs = b.initialMs ?? 0;
  const maximumMs = b.maximumMs ?? 0;
  durationNanoseconds(initialMs, "initialMs");
  durationNanoseconds(maximumMs, "maximumMs");
  const c = { initialMs, maximumMs, exponent: b.exponent ?? 0 };
  // Comparisons in milliseconds agree with Go's in nanoseconds: the conversion is monotone.
  if (c.exponent < 1.0) c.exponent = 1.0;
  if (c.initialMs < MILLISECONDS_PER_SECOND) c.initialMs = MILLISECONDS_PER_SECOND;
  if (c.maximumMs < c.initialMs) c.maximumMs = c.initialMs;
  return c;
}

/**
 * Go's `simple()`, on the descriptor as given: non-exponential when the exponent is
 * 0 (unset, non-normalized) or 1 (normalized). Seed behaviour kept: an exponent in
 * (0, 1), below 0 or NaN is not simple, although normalization makes it 1.
 */
export function isSimpleBackoff(b: Backoff): boolean {
  // The documented intent: an exponent below 1 is capped to 1.0, which is non-exponential.
  // The seed asks its simple() of the raw descriptor (exponent 0 or 1 only), so 0.5 counted
  // as exponential and kept the persisted interval instead of Initial.
  return normalizedBackoff(b).exponent === 1.0;
}

/**
 * Go's `next()`: the backoff period, in whole seconds (at least 1), of a failure
 * with descriptor `b` after `existing` (either may be absent):
 * - no descriptor: the persisted interval, or 1 s;
 * - simple descriptor, or no persisted interval: normalized Initial, truncated;
 * - otherwise: the persisted interval (at least 1 s) times Exponent, Maximum when
 *   that overflows int64, capped to Maximum, rounded up to whole seconds.
 */
export function nextBackoffSeconds(b: Backoff | undefined, existing: ExistingBackoff | undefined): number {
  // Minimum interval is one second; a persisted interval is used only above it.
  let last = NANOSECONDS_PER_SECOND;
  if (existing !== undefined) {
    const previous = persistedNanoseconds(existing);
    if (previous > NANOSECONDS_PER_SECOND) last = previous;
  }
  if (b === undefined) return secondsOf(last / NANOSECONDS_PER_SECOND);

  const c = normalizedBackoff(b);
  const initial = durationNanoseconds(c.initialMs, "initialMs");
  // Simple backoffs always return Initial; so does a first failure. Rounded up like every
  // period, as the doc says (the seed truncates Initial: 1.5 s gave 1 s).
  if (isSimpleBackoff(b)) return secondsOf(secondsRoundedUp(initial));
  if (existing === undefined) return secondsOf(secondsRoundedUp(initial));

  // The seed then clamps `next` to at least one second: `last` already is.
  const maximum = durationNanoseconds(c.maximumMs, "maximumMs");
  let next = multipliedNanoseconds(last, c.exponent);
  // Overflow: the seed detects it as a product below the interval it started from.
  if (next === undefined || next < last) next = maximum;
  // The doc's guarantee that an exponent above 1 never gets stuck: the seed's truncation
  // keeps 1 s × (1 + 1e-10) at 1 s forever; one nanosecond more rounds up to the next second.
  else if (next === last && c.exponent > 1) next = last + 1n;
  if (next > maximum) next = maximum;
  return secondsOf(secondsRoundedUp(next));
}

/**
 * Go's `int64(float64(last) * exponent)`, or undefined where Go's conversion is out
 * of range: a product of 2^63 or more, or NaN (a NaN exponent survives
 * normalization). Go leaves that conversion to the platform (amd64 yields
 * math.MinInt64, arm64 saturates or yields 0), and on every platform the seed then
 * ends at Maximum: through its `next < last` check or its clamp. Here, out of range
 * is overflow, and overflow is Maximum.
 */
function multipliedNanoseconds(last: bigint, exponent: number): bigint | undefined {
  // Number(bigint) rounds to nearest, ties to even, as Go's float64(int64) does.
  const product = Number(last) * exponent;
  if (!(product < INT64_LIMIT_FLOAT)) return undefined;
  assert(product > 0, `backoff: ${last} ns × ${exponent} is not positive`);
  return BigInt(Math.trunc(product));
}

/** Go's rounding up of a positive nanosecond count to whole seconds. */
function secondsRoundedUp(nanoseconds: bigint): bigint {
  assert(nanoseconds > 0n, `backoff: interval of ${nanoseconds} ns is not positive`);
  const seconds = nanoseconds / NANOSECONDS_PER_SECOND;
  return nanoseconds % NANOSECONDS_PER_SECOND === 0n ? seconds : seconds + 1n;
}

/** A persisted interval in nanoseconds, exactly (the seed's conversion wraps; see the file comment). */
function persistedNanoseconds(existing: ExistingBackoff): bigint {
  const seconds = existing.lastIntervalSeconds;
  assert(Number.isSafeInteger(seconds), `backoff: persisted interval ${seconds} s is not a safe integer`);
  return BigInt(seconds) * NANOSECONDS_PER_SECOND;
}

/** Milliseconds to whole nanoseconds (the fraction rounded to the nearest nanosecond), within int64 (assertion). */
function durationNanoseconds(milliseconds: number, field: string): bigint {
  assert(Number.isFinite(milliseconds), `backoff: ${field} ${milliseconds} is not finite`);
  const whole = Math.trunc(milliseconds);
  // Exact: a double minus its integer part loses nothing.
  const fraction = Math.round((milliseconds - whole) * NANOSECONDS_PER_MILLISECOND);
  const nanoseconds = BigInt(whole) * BigInt(NANOSECONDS_PER_MILLISECOND) + BigInt(fraction);
  assert(nanoseconds <= INT64_MAX, `backoff: ${field} ${milliseconds} ms is beyond Go's time.Duration`);
  assert(nanoseconds >= INT64_MIN, `backoff: ${field} ${milliseconds} ms is beyond Go's time.Duration`);
  return nanoseconds;
}

/** A whole number of seconds as a number: at least 1, and exact (below 2^53). */
function secondsOf(seconds: bigint): number {
  assert(seconds >= 1n, `backoff: ${seconds} s is below the one-second minimum`);
  assert(seconds <= BigInt(Number.MAX_SAFE_INTEGER), `backoff: ${seconds} s is not a safe integer`);
  return Number(seconds);
}
