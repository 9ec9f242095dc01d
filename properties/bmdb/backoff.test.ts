/**
 * BMDB's Backoff (seed 003, `next()`): the seed's examples and shorthands, its
 * normalization, its arithmetic at the int64 limit, and its properties:
 * - every period is a whole number of seconds, at least one;
 * - an exponential (non-simple) period never exceeds normalized Maximum rounded up
 *   to whole seconds;
 * - an exponential period never drops below the persisted interval, unless
 *   Maximum (rounded up) is lower;
 * - fed back, an exponential sequence strictly increases until Maximum rounded
 *   up, then stays there (the doc's "won't get stuck", which the seed's code
 *   breaks just above 1);
 * - a simple backoff (exponent unset, or at most 1: capped to 1.0) always gives
 *   normalized Initial rounded up to whole seconds, whatever was persisted.
 * Where the seed's code and its documentation disagree, the documentation wins
 * (backoff.ts says where); the seed's behaviours are broken variants here.
 * Each property fails on a broken copy (_fixtures/broken-backoff.ts), itself checked
 * to equal the shipping function when unbroken.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Backoff, ExistingBackoff } from "../../src/impl/bmdb/backoff.ts";
import { isSimpleBackoff, nextBackoffSeconds, normalizedBackoff } from "../../src/impl/bmdb/backoff.ts";
import { AssertionError } from "../../src/sim/assert.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import type { BrokenBackoffVariant } from "./_fixtures/broken-backoff.ts";
import { BROKEN_BACKOFF_VARIANTS, brokenNextBackoffSeconds } from "./_fixtures/broken-backoff.ts";

type Next = (b: Backoff | undefined, existing: ExistingBackoff | undefined) => number;

/** The largest double of milliseconds within Go's time.Duration (2^63 - 1 ns). */
const DURATION_MS_MAX = 9_223_372_036_854.775;
/** The largest persisted interval Go can read back without wrapping (time.Second × n). */
const PERSISTED_SECONDS_GO_MAX = 9_223_372_036;
const SECOND = 1_000_000_000n;

/** Milliseconds to nanoseconds as the implementation converts them (tests state bounds in Go's units). */
function nanosecondsOf(milliseconds: number): bigint {
  const whole = Math.trunc(milliseconds);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((milliseconds - whole) * 1_000_000));
}

/** Normalized Maximum (max of Maximum, Initial and 1 s), rounded up to whole seconds. */
function maximumSecondsCeiling(b: Backoff): number {
  let maximum = SECOND;
  for (const ms of [b.initialMs ?? 0, b.maximumMs ?? 0]) if (nanosecondsOf(ms) > maximum) maximum = nanosecondsOf(ms);
  return Number(maximum % SECOND === 0n ? maximum / SECOND : maximum / SECOND + 1n);
}

/** Normalized Initial (at least 1 s), rounded up to whole seconds. */
function initialSecondsCeiling(b: Backoff): number {
  const initial = nanosecondsOf(b.initialMs ?? 0);
  return initial < SECOND ? 1 : Number(initial % SECOND === 0n ? initial / SECOND : initial / SECOND + 1n);
}

const durationMs = fc.oneof(
  fc.integer({ min: 0, max: 120_000 }),
  fc.double({ min: -2_000, max: 5_000, noNaN: true }),
  fc.integer({ min: 0, max: 10_000_000_000 }),
  fc.double({ min: 9.2e12, max: DURATION_MS_MAX, noNaN: true }),
);
const anyExponent = fc.oneof(
  fc.constantFrom(0, 1, 0.5, -1, 1.1, 2, 1 + 2 ** -52, 1 + 1e-10, 1e300, Number.NaN, Number.POSITIVE_INFINITY),
  fc.double({ min: 1, max: 4, noNaN: true }),
  fc.double({ min: 1, max: 1.0001, noNaN: true }),
  fc.double({ min: -2, max: 1, noNaN: true }),
);
const simpleExponent = fc.oneof(
  fc.constantFrom(undefined, 0, -0, 1, 0.5, -1),
  fc.double({ min: -2, max: 1, noNaN: true }),
);
const backoffWith = (
  exponent: fc.Arbitrary<number | undefined>,
  requiredKeys: (keyof Backoff)[] = [],
): fc.Arbitrary<Backoff> => fc.record({ initialMs: durationMs, maximumMs: durationMs, exponent }, { requiredKeys });
const anyBackoff = backoffWith(anyExponent);
const persistedSeconds = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.integer({ min: 0, max: 100_000_000 }),
  fc.integer({ min: PERSISTED_SECONDS_GO_MAX - 100, max: PERSISTED_SECONDS_GO_MAX + 100 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const existingBackoff: fc.Arbitrary<ExistingBackoff> = fc.record({ lastIntervalSeconds: persistedSeconds });
const maybeExisting = fc.option(existingBackoff, { nil: undefined });

const atLeastOneWholeSecond = (next: Next) =>
  fc.property(fc.option(anyBackoff, { nil: undefined }), maybeExisting, (b, existing) => {
    const seconds = next(b, existing);
    return Number.isSafeInteger(seconds) && seconds >= 1;
  });

const exponentialAtMostMaximum = (next: Next) =>
  fc.property(anyBackoff, maybeExisting, (b, existing) => {
    fc.pre(!isSimpleBackoff(b));
    return next(b, existing) <= maximumSecondsCeiling(b);
  });

const exponentialNeverShrinks = (next: Next) =>
  fc.property(anyBackoff, existingBackoff, (b, existing) => {
    fc.pre(!isSimpleBackoff(b));
    const floor = Math.min(Math.max(1, existing.lastIntervalSeconds), maximumSecondsCeiling(b));
    return next(b, existing) >= floor;
  });

const FED_BACK_STEPS = 40;
const fedBackSequenceClimbs = (next: Next) =>
  fc.property(
    backoffWith(
      anyExponent.filter((exponent) => exponent > 1),
      ["exponent"],
    ),
    (b) => {
      const ceiling = maximumSecondsCeiling(b);
      let seconds = next(b, undefined);
      for (let step = 0; step < FED_BACK_STEPS; step++) {
        const following = next(b, { lastIntervalSeconds: seconds });
        if (following < seconds) return false;
        if (following === seconds && seconds < ceiling) return false;
        seconds = following;
      }
      return true;
    },
  );

const simpleIsConstant = (next: Next) =>
  fc.property(
    backoffWith(simpleExponent),
    maybeExisting,
    (b, existing) => next(b, existing) === initialSecondsCeiling(b),
  );

interface BackoffProperty {
  readonly name: string;
  readonly broken: readonly BrokenBackoffVariant[];
  /** Asserts the property of `next` (the shipping function). */
  holds(next: Next): void;
  /** Whether fast-check finds a counterexample for `next` (a broken copy). */
  fails(next: Next, variant: BrokenBackoffVariant): boolean;
}

function backoffProperty<T extends [unknown, ...unknown[]]>(
  name: string,
  property: (next: Next) => fc.IProperty<T>,
  broken: readonly BrokenBackoffVariant[],
): BackoffProperty {
  return {
    name,
    broken,
    holds: (next) => fc.assert(property(next), propertyParameters(`bmdb-backoff.${name}`, 1_000)),
    fails: (next, variant) =>
      fc.check(property(next), { ...propertyParameters(`bmdb-backoff.${name}.${variant}`, 1_000), reporter: undefined })
        .failed,
  };
}

const PROPERTIES: readonly BackoffProperty[] = [
  backoffProperty("at least one whole second", atLeastOneWholeSecond, ["no-initial-floor", "overflow-unchecked"]),
  backoffProperty("exponential at most Maximum rounded up", exponentialAtMostMaximum, ["no-maximum-clamp"]),
  backoffProperty("exponential never below the persisted interval", exponentialNeverShrinks, ["overflow-unchecked"]),
  backoffProperty("fed back, climbs to Maximum", fedBackSequenceClimbs, ["round-down", "may-stick"]),
  backoffProperty("simple is constant Initial", simpleIsConstant, [
    "simple-ignores-zero-exponent",
    "simple-on-raw-exponent",
    "initial-truncated",
  ]),
];

/** Runs of `next` over a fed-back sequence: the first failure, then `steps` more. */
function sequence(b: Backoff, steps: number): number[] {
  const periods = [nextBackoffSeconds(b, undefined)];
  for (let step = 0; step < steps; step++)
    periods.push(nextBackoffSeconds(b, { lastIntervalSeconds: periods.at(-1) ?? 0 }));
  return periods;
}

describe("bmdb backoff: the seed's examples", () => {
  it("exponent 1.1 from 1 s: 1, 2, 3, … 10, 11, 13, 15, 17", () => {
    expect(sequence({ initialMs: 1_000, maximumMs: 3_600_000, exponent: 1.1 }, 13)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17,
    ]);
  });

  it("shorthand 1: only Initial set is non-exponential, always Initial, whatever was persisted", () => {
    const b: Backoff = { initialMs: 5_000 };
    expect(isSimpleBackoff(b)).toBe(true);
    for (const lastIntervalSeconds of [0, 1, 5, 100, Number.MAX_SAFE_INTEGER])
      expect(nextBackoffSeconds(b, { lastIntervalSeconds })).toBe(5);
    expect(sequence(b, 3)).toEqual([5, 5, 5, 5]);
  });

  it("shorthand 2: only Maximum and Exponent set starts at 1 s and grows to Maximum", () => {
    expect(sequence({ maximumMs: 60_000, exponent: 2 }, 8)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it("the zero structure is a non-exponential backoff of one second", () => {
    expect(normalizedBackoff({})).toEqual({ initialMs: 1_000, maximumMs: 1_000, exponent: 1 });
    for (const existing of [undefined, { lastIntervalSeconds: 0 }, { lastIntervalSeconds: 30 }])
      expect(nextBackoffSeconds({}, existing)).toBe(1);
  });

  it("normalization caps: Initial below 1 s, Maximum below Initial, Exponent below 1", () => {
    expect(normalizedBackoff({ initialMs: 200 })).toEqual({ initialMs: 1_000, maximumMs: 1_000, exponent: 1 });
    expect(normalizedBackoff({ initialMs: -5_000, maximumMs: 500, exponent: -3 })).toEqual({
      initialMs: 1_000,
      maximumMs: 1_000,
      exponent: 1,
    });
    expect(normalizedBackoff({ initialMs: 5_000, maximumMs: 2_000, exponent: 0.5 })).toEqual({
      initialMs: 5_000,
      maximumMs: 5_000,
      exponent: 1,
    });
    expect(normalizedBackoff({ initialMs: 2_000, maximumMs: 9_000, exponent: 1.5 })).toEqual({
      initialMs: 2_000,
      maximumMs: 9_000,
      exponent: 1.5,
    });
    // Go: NaN < 1.0 is false, so a NaN exponent survives normalization.
    expect(normalizedBackoff({ exponent: Number.NaN }).exponent).toBeNaN();
    expect(nextBackoffSeconds({ initialMs: 200 }, undefined)).toBe(1);
    expect(nextBackoffSeconds({ initialMs: 5_000, maximumMs: 2_000, exponent: 2 }, { lastIntervalSeconds: 5 })).toBe(5);
  });

  it("no backoff: the persisted interval, or one second", () => {
    expect(nextBackoffSeconds(undefined, undefined)).toBe(1);
    expect(nextBackoffSeconds(undefined, { lastIntervalSeconds: -3 })).toBe(1);
    expect(nextBackoffSeconds(undefined, { lastIntervalSeconds: 0 })).toBe(1);
    expect(nextBackoffSeconds(undefined, { lastIntervalSeconds: 1 })).toBe(1);
    expect(nextBackoffSeconds(undefined, { lastIntervalSeconds: 7 })).toBe(7);
  });

  it("rounds every period up to whole seconds, Initial included (the doc; the seed truncated Initial)", () => {
    expect(
      nextBackoffSeconds({ initialMs: 1_000, maximumMs: 100_000, exponent: 1.5 }, { lastIntervalSeconds: 3 }),
    ).toBe(5);
    expect(nextBackoffSeconds({ initialMs: 2_500, maximumMs: 7_500, exponent: 4 }, { lastIntervalSeconds: 3 })).toBe(8);
    expect(nextBackoffSeconds({ initialMs: 1_500 }, undefined)).toBe(2);
    expect(nextBackoffSeconds({ initialMs: 2_999, maximumMs: 60_000, exponent: 2 }, undefined)).toBe(3);
    expect(brokenNextBackoffSeconds("initial-truncated", { initialMs: 1_500 }, undefined)).toBe(1);
  });

  it("an exponential backoff ignores Initial once an interval is persisted, and lifts one below 1 s to 1 s", () => {
    const b: Backoff = { initialMs: 10_000, maximumMs: 60_000, exponent: 2 };
    expect(nextBackoffSeconds(b, undefined)).toBe(10);
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 3 })).toBe(6);
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 0 })).toBe(2);
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 50 })).toBe(60);
  });

  it("overflow near the int64 limit clamps to Maximum, and a persisted Maximum stays put", () => {
    const b: Backoff = { initialMs: 1_000, maximumMs: DURATION_MS_MAX, exponent: 2 };
    // 4_611_686_018 s × 2 is just below 2^63 ns: no overflow.
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 4_611_686_018 })).toBe(9_223_372_036);
    // 4_611_686_019 s × 2 is beyond 2^63 ns: Go's conversion overflows, the seed clamps to Maximum, rounded up.
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 4_611_686_019 })).toBe(9_223_372_037);
    // Go would read 9_223_372_037 s back wrapped (negative) and restart at 2 s; here it stays at Maximum.
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 9_223_372_037 })).toBe(9_223_372_037);
    expect(
      nextBackoffSeconds({ maximumMs: 60_000, exponent: 2 }, { lastIntervalSeconds: Number.MAX_SAFE_INTEGER }),
    ).toBe(60);
    for (const exponent of [Number.POSITIVE_INFINITY, Number.NaN, 1e300]) {
      expect(nextBackoffSeconds({ maximumMs: 60_000, exponent }, { lastIntervalSeconds: 2 })).toBe(60);
    }
    // The same overflow without the seed's handling gives a negative period (Go on amd64).
    expect(brokenNextBackoffSeconds("overflow-unchecked", b, { lastIntervalSeconds: 4_611_686_019 })).toBe(
      -9_223_372_035,
    );
  });

  it("an exponent below 1 is capped to 1.0, so the backoff is simple: always Initial (the doc; the seed kept the persisted interval)", () => {
    const b: Backoff = { initialMs: 2_000, maximumMs: 10_000, exponent: 0.5 };
    expect(isSimpleBackoff(b)).toBe(true);
    expect(nextBackoffSeconds(b, { lastIntervalSeconds: 5 })).toBe(2);
    expect(brokenNextBackoffSeconds("simple-on-raw-exponent", b, { lastIntervalSeconds: 5 })).toBe(5);
  });

  it("an exponent just above 1 never gets stuck (the doc's guarantee; the seed's truncation stuck at 1 s)", () => {
    expect(sequence({ maximumMs: 10_000, exponent: 1 + 1e-10 }, 5)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sequence({ maximumMs: 10_000, exponent: 1.000000001 }, 5)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      brokenNextBackoffSeconds("may-stick", { maximumMs: 10_000, exponent: 1 + 1e-10 }, { lastIntervalSeconds: 1 }),
    ).toBe(1);
  });

  it("durations beyond Go's time.Duration, non-finite, and fractional persisted seconds are assertions", () => {
    expect(nextBackoffSeconds({ maximumMs: DURATION_MS_MAX, exponent: 2 }, undefined)).toBe(1);
    expect(() => nextBackoffSeconds({ maximumMs: 9_223_372_036_855 }, undefined)).toThrow(AssertionError);
    expect(() => nextBackoffSeconds({ initialMs: Number.POSITIVE_INFINITY }, undefined)).toThrow(AssertionError);
    expect(() => nextBackoffSeconds({ initialMs: Number.NaN }, undefined)).toThrow(AssertionError);
    expect(() => nextBackoffSeconds({ initialMs: -9_300_000_000_000 }, undefined)).toThrow(AssertionError);
    expect(() => nextBackoffSeconds(undefined, { lastIntervalSeconds: 1.5 })).toThrow(AssertionError);
    expect(() => nextBackoffSeconds({}, { lastIntervalSeconds: Number.MAX_SAFE_INTEGER + 1 })).toThrow(AssertionError);
  });
});

describe("bmdb backoff: properties", () => {
  for (const property of PROPERTIES) {
    it(property.name, () => {
      property.holds(nextBackoffSeconds);
    });
  }

  it("the broken copy, unbroken, is the shipping function", () => {
    const same = fc.property(fc.option(anyBackoff, { nil: undefined }), maybeExisting, (b, existing) =>
      Object.is(brokenNextBackoffSeconds(undefined, b, existing), nextBackoffSeconds(b, existing)),
    );
    fc.assert(same, propertyParameters("bmdb-backoff.faithful-copy", 2_000));
  });

  for (const property of PROPERTIES) {
    for (const variant of property.broken) {
      it(`${property.name}: fails when ${variant} (${BROKEN_BACKOFF_VARIANTS[variant]})`, () => {
        expect(property.fails((b, existing) => brokenNextBackoffSeconds(variant, b, existing), variant)).toBe(true);
      });
    }
  }
});
