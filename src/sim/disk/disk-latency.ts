/**
 * How long disk operations take, in virtual milliseconds.
 *
 * Faults injected: none by itself; a long-tailed distribution makes slow I/O, and
 * concurrent operations may complete in another order than they were issued.
 */
import type { LatencyDistribution, Random } from "../random.ts";

/** The latency class of an operation: lookups and reads, changes, and syncs. */
export type DiskLatencyKind = "read" | "write" | "sync";

/** One distribution per latency class. */
export interface DiskLatency {
  read: LatencyDistribution;
  write: LatencyDistribution;
  sync: LatencyDistribution;
}

/** Small, SSD-like defaults: about 0.05 ms to read or write, about 1 ms to sync. */
export const DEFAULT_DISK_LATENCY: Readonly<DiskLatency> = Object.freeze<DiskLatency>({
  read: { kind: "exponential", minMs: 0.02, meanMs: 0.05, maxMs: 2 },
  write: { kind: "exponential", minMs: 0.02, meanMs: 0.05, maxMs: 2 },
  sync: { kind: "exponential", minMs: 0.5, meanMs: 1, maxMs: 20 },
});

/** Draws latencies, each class from its own fork of the disk's Random. */
export class DiskLatencySampler {
  private readonly distributions: DiskLatency;
  private readonly streams: Record<DiskLatencyKind, Random>;

  constructor(random: Random, latency: Partial<DiskLatency> = {}) {
    this.distributions = { ...DEFAULT_DISK_LATENCY, ...latency };
    this.streams = { read: random.fork("read"), write: random.fork("write"), sync: random.fork("sync") };
  }

  /** A latency in ms for an operation of class `kind` (finite, non-negative). */
  draw(kind: DiskLatencyKind): number {
    const delayMs = this.streams[kind].latency(this.distributions[kind]);
    if (!(delayMs >= 0) || !Number.isFinite(delayMs))
      throw new RangeError(`disk ${kind} latency must be finite and non-negative, got ${delayMs}`);
    return delayMs;
  }
}
