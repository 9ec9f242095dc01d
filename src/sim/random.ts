/**
 * Deterministic randomness: seedrandom's Alea generator, split into named streams.
 *
 * A stream's seed is derived from its parent's seed and the child's name, never
 * from draws of the parent, so adding a new consumer (a new fork) shifts no other
 * stream's draws, and a shrunk fault plan still means the same thing.
 */
import seedrandom from "seedrandom";
import type { Random as RandomContract } from "./env.ts";

export class Random implements RandomContract {
  private readonly generator: seedrandom.PRNG;

  constructor(readonly seed: string) {
    this.generator = seedrandom.alea(seed);
  }

  next(): number {
    return this.generator();
  }

  uint32(): number {
    return this.generator.int32() >>> 0;
  }

  int(min: number, max: number): number {
    assertInteger(min, "min");
    assertInteger(max, "max");
    if (max < min) throw new RangeError(`int: max ${max} < min ${min}`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  float(min: number, max: number): number {
    if (!(max >= min)) throw new RangeError(`float: max ${max} < min ${min}`);
    const value = min + this.next() * (max - min);
    // Rounding can land on max for ranges a few ulps wide; the contract is [min, max).
    return value < max ? value : min;
  }

  bool(probability = 0.5): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick: empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const result = items.slice();
    for (let i = result.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const held = result[i] as T;
      result[i] = result[j] as T;
      result[j] = held;
    }
    return result;
  }

  bytes(length: number): Uint8Array {
    assertInteger(length, "length");
    const result = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      let word = this.uint32();
      for (let k = 0; k < 4 && i + k < length; k++) {
        result[i + k] = word & 0xff;
        word >>>= 8;
      }
    }
    return result;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** A standard normal draw (Box-Muller). */
  normal(mean = 0, standardDeviation = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + standardDeviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A latency in ms drawn from `distribution`. */
  latency(distribution: LatencyDistribution): number {
    switch (distribution.kind) {
      case "constant":
        return distribution.ms;
      case "uniform":
        return this.float(distribution.minMs, distribution.maxMs);
      case "exponential":
        return Math.min(
          distribution.minMs + this.exponential(distribution.meanMs - distribution.minMs),
          distribution.maxMs,
        );
      case "lognormal": {
        const value = Math.exp(this.normal(Math.log(distribution.medianMs), distribution.sigma));
        return Math.min(Math.max(value, distribution.minMs), distribution.maxMs);
      }
    }
  }

  /** The seed of a fork is the parent's seed and the child's escaped name: "a/b" never equals fork("a").fork("b"). */
  fork(name: string): Random {
    return new Random(`${this.seed}/${encodeURIComponent(name)}`);
  }
}

/** Latency distributions for links and disks. All in milliseconds. */
export type LatencyDistribution =
  | { kind: "constant"; ms: number }
  | { kind: "uniform"; minMs: number; maxMs: number }
  /** minMs plus an exponential tail, clamped at maxMs. */
  | { kind: "exponential"; minMs: number; meanMs: number; maxMs: number }
  /** Long-tailed, like real datacentre RTTs. */
  | { kind: "lognormal"; medianMs: number; sigma: number; minMs: number; maxMs: number };

function assertInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`);
}
