/**
 * Link state between hosts: partitions, clogs and link quality.
 *
 * Faults injected here: partitions (symmetric, or one-way: traffic from one group
 * to another is dropped while the reverse still flows), isolation of a host, clogs
 * (a link holds its traffic until a time, then delivers it in order), and link
 * quality (latency distribution, loss, duplication and reordering of datagrams).
 * Every fault has its undo: partition/heal, isolate/heal, clog/unclog.
 */
import type { LatencyDistribution, Random } from "../random.ts";

export interface LinkQuality {
  latency: LatencyDistribution;
  /** Probability that a datagram is dropped. Streams never lose bytes; they reset instead. */
  lossProbability: number;
  /** Probability that a datagram is delivered twice. */
  duplicateProbability: number;
  /** Probability that a datagram gets an extra delay (and so may overtake or be overtaken). */
  reorderProbability: number;
  /** The extra delay of a reordered datagram, at most this. */
  reorderDelayMsMax: number;
}

export const DEFAULT_LINK_QUALITY: LinkQuality = {
  latency: { kind: "exponential", minMs: 0.2, meanMs: 0.5, maxMs: 5 },
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMsMax: 5,
};

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

export class Links {
  private readonly blocked = new Set<string>();
  private readonly clogUntil = new Map<string, number>();
  private quality: LinkQuality = DEFAULT_LINK_QUALITY;
  private readonly qualityOverrides = new Map<string, LinkQuality>();

  constructor(private readonly random: Random) {}

  /** True when traffic from `from` to `to` is dropped. */
  isBlocked(from: string, to: string): boolean {
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  /** True when either direction is blocked (a stream across it cannot work). */
  isCut(a: string, b: string): boolean {
    return this.isBlocked(a, b) || this.isBlocked(b, a);
  }

  /**
   * Blocks traffic between groups. Symmetric by default; with `oneWay`, only traffic
   * from an earlier group to a later one is blocked. Returns the newly blocked links.
   * Low level: this does not reset the streams it cuts. Call `world.network.partition`
   * (as fault plans do), which blocks here and then resets them.
   */
  partition(groups: readonly (readonly string[])[], oneWay = false): Array<[string, string]> {
    const added: Array<[string, string]> = [];
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j || (oneWay && j < i)) continue;
        for (const from of groups[i] as readonly string[]) {
          for (const to of groups[j] as readonly string[]) {
            if (from === to) continue;
            const key = linkKey(from, to);
            if (!this.blocked.has(key)) {
              this.blocked.add(key);
              added.push([from, to]);
            }
          }
        }
      }
    }
    return added;
  }

  /** Blocks every link to and from `host`. Low level: use `world.network.isolate`, which also resets cut streams. */
  isolate(host: string, allHosts: readonly string[]): Array<[string, string]> {
    return this.partition([[host], allHosts.filter((name) => name !== host)]);
  }

  /** Removes every partition (clogs stay until they expire or are unclogged). */
  heal(): void {
    this.blocked.clear();
  }

  /** Holds traffic from `from` to `to` until virtual time `until`. */
  clog(from: string, to: string, until: number): void {
    const key = linkKey(from, to);
    this.clogUntil.set(key, Math.max(this.clogUntil.get(key) ?? 0, until));
  }

  unclog(from: string, to: string): void {
    this.clogUntil.delete(linkKey(from, to));
  }

  unclogAll(): void {
    this.clogUntil.clear();
  }

  /** The virtual time before which the link holds traffic (0 when not clogged). */
  clogEnd(from: string, to: string): number {
    if (this.clogUntil.size === 0) return 0;
    return this.clogUntil.get(linkKey(from, to)) ?? 0;
  }

  setQuality(quality: Partial<LinkQuality>, from?: string, to?: string): void {
    if (from !== undefined && to !== undefined) {
      const key = linkKey(from, to);
      this.qualityOverrides.set(key, { ...(this.qualityOverrides.get(key) ?? this.quality), ...quality });
    } else {
      this.quality = { ...this.quality, ...quality };
    }
  }

  /** Back to the default link quality everywhere. */
  resetQuality(): void {
    this.quality = DEFAULT_LINK_QUALITY;
    this.qualityOverrides.clear();
  }

  qualityOf(from: string, to: string): LinkQuality {
    if (this.qualityOverrides.size === 0) return this.quality;
    return this.qualityOverrides.get(linkKey(from, to)) ?? this.quality;
  }

  /** One-way latency draw for a link. */
  latency(from: string, to: string): number {
    return this.random.latency(this.qualityOf(from, to).latency);
  }

  get randomStream(): Random {
    return this.random;
  }
}
