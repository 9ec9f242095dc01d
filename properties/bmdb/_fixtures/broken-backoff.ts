/**
 * Deliberately broken copies of BMDB's `nextBackoffSeconds`, to show each backoff
 * property can fail. `brokenNextBackoffSeconds(undefined, ...)` is a faithful copy
 * (a property checks it against the shipping function), and each variant changes
 * exactly one step of it. No assertions here: a broken result must reach the
 * property, not stop at an assertion.
 */
import type { Backoff, ExistingBackoff } from "../../../src/impl/bmdb/backoff.ts";

export const BROKEN_BACKOFF_VARIANTS = {
  "no-initial-floor": "normalization does not raise Initial to one second (a 500 ms Initial gives 0 s)",
  "overflow-unchecked":
    "no overflow handling: an out-of-range product converts as on amd64 (math.MinInt64) and is not caught",
  "no-maximum-clamp": "the multiplied interval is not capped to Maximum",
  "simple-on-raw-exponent":
    "the seed's simple(): asked of the raw descriptor, so an exponent below 1 (but not 0) counts as exponential",
  "round-down": "the exponential period is truncated to whole seconds instead of rounded up",
  "simple-ignores-zero-exponent": "simple() recognizes only the exponent 1.0, not the unset 0",
  "initial-truncated": "the seed's Initial: truncated to whole seconds instead of rounded up",
  "may-stick": "the seed's truncated product: an exponent just above 1 stays at 1 s forever",
} as const;

export type BrokenBackoffVariant = keyof typeof BROKEN_BACKOFF_VARIANTS;

const SECOND = 1_000_000_000n;
const INT64_MIN = -(1n << 63n);

export function brokenNextBackoffSeconds(
  variant: BrokenBackoffVariant | undefined,
  b: Backoff | undefined,
  existing: ExistingBackoff | undefined,
): number {
  let last = SECOND;
  if (existing !== undefined) {
    const previous = BigInt(existing.lastIntervalSeconds) * SECOND;
    if (previous > SECOND) last = previous;
  }
  if (b === undefined) return Number(last / SECOND);

  const c = normalized(variant, b);
  const initial = nanoseconds(c.initialMs);
  const initialSeconds = variant === "initial-truncated" ? initial / SECOND : roundedUp(initial);
  if (simple(variant === "simple-on-raw-exponent" || variant === "simple-ignores-zero-exponent" ? b : c, variant))
    return Number(initialSeconds);
  if (existing === undefined) return Number(initialSeconds);

  const maximum = nanoseconds(c.maximumMs);
  const product = Number(last) * c.exponent;
  let next: bigint;
  if (variant === "overflow-unchecked") {
    next = product < 2 ** 63 ? BigInt(Math.trunc(product)) : INT64_MIN;
  } else {
    next = product < 2 ** 63 ? BigInt(Math.trunc(product)) : maximum;
    if (next < last) next = maximum;
    else if (variant !== "may-stick" && next === last && c.exponent > 1) next = last + 1n;
  }
  if (variant !== "no-maximum-clamp" && next > maximum) next = maximum;
  if (variant === "round-down") return Number(next / SECOND);
  return Number(roundedUp(next));
}

/** Whole seconds, rounded up (Go's integer division truncates toward zero, as BigInt's does). */
function roundedUp(nanoseconds: bigint): bigint {
  return nanoseconds % SECOND === 0n ? nanoseconds / SECOND : nanoseconds / SECOND + 1n;
}

function normalized(variant: BrokenBackoffVariant | undefined, b: Backoff): Required<Backoff> {
  const c = { initialMs: b.initialMs ?? 0, maximumMs: b.maximumMs ?? 0, exponent: b.exponent ?? 0 };
  if (c.exponent < 1) c.exponent = 1;
  if (variant !== "no-initial-floor" && c.initialMs < 1_000) c.initialMs = 1_000;
  if (c.maximumMs < c.initialMs) c.maximumMs = c.initialMs;
  return c;
}

function simple(b: Backoff, variant: BrokenBackoffVariant | undefined): boolean {
  const exponent = b.exponent ?? 0;
  if (variant === "simple-ignores-zero-exponent") return b.exponent === 1;
  if (exponent === 0) return true;
  return exponent === 1;
}

function nanoseconds(milliseconds: number): bigint {
  const whole = Math.trunc(milliseconds);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((milliseconds - whole) * 1_000_000));
}
