/**
 * Link state between hosts: partitions, clogs and link quality.
 *
 * Faults injected here: partitions (symmetric, or one-way: traffic from one group
 * to another is dropped while the reverse still flows), isolation of a host (from
 * everyone, or from some hosts), clogs (a link holds its traffic until a time, then
 * delivers it in order), and link quality (latency distribution, loss, duplication
 * and reordering of datagrams). Every fault has its undo: partition/heal,
 * isolate/heal, clog/unclog, and a block of links its own `unblock` (a link stays
 * blocked while any fault blocks it; a heal lifts every block at once).
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

/** The mean one-way latency of a healthy link, in ms. */
export const DEFAULT_LATENCY_MS_MEAN = 0.5;

/** The healthy link's latency distribution scaled to mean `meanMs` (a slow link: the same shape, longer). */
export function latencyWithMean(meanMs: number): LatencyDistribution {
  return { kind: "exponential", minMs: meanMs * 0.4, meanMs, maxMs: meanMs * 10 };
}

export const DEFAULT_LINK_QUALITY: LinkQuality = {
  latency: latencyWithMean(DEFAULT_LATENCY_MS_MEAN),
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMsMax: 5,
};

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** The links one fault blocked, for its own undo (`Links.unblock`). */
export interface LinkBlock {
  readonly links: ReadonlyArray<readonly [string, string]>;
  /** The heal epoch it was made in: a heal since lifted it already. */
  readonly epoch: number;
}

export class Links {
  /** How many faults block each link. Invariant: every count is at least 1. */
  private readonly blocked = new Map<string, number>();
  /** Counts heals: a block made before the latest heal is lifted already. */
  private healEpoch = 0;
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
    return this.block(partitionLinks(groups, oneWay)).added;
  }

  /** Blocks every link to and from `host`. Low level: use `world.network.isolate`, which also resets cut streams. */
  isolate(host: string, allHosts: readonly string[]): Array<[string, string]> {
    return this.partition([[host], allHosts.filter((name) => name !== host)]);
  }

  /**
   * Blocks `links` (each counted once more) and returns the block, for `unblock`,
   * and the links that were open before. Low level, as `partition`.
   */
  block(links: ReadonlyArray<readonly [string, string]>): { block: LinkBlock; added: Array<[string, string]> } {
    const added: Array<[string, string]> = [];
    for (const [from, to] of links) {
      const key = linkKey(from, to);
      const count = this.blocked.get(key) ?? 0;
      if (count === 0) added.push([from, to]);
      this.blocked.set(key, count + 1);
    }
    return { block: { links, epoch: this.healEpoch }, added };
  }

  /**
   * Undoes one block: its links open again unless another fault blocks them too. A no-op after a heal (returns false
   * then).
   */
  unblock(block: LinkBlock): boolean {
    if (block.epoch !== this.healEpoch) return false;
    for (const [from, to] of block.links) {
      const key = linkKey(from, to);
      const count = this.blocked.get(key) ?? 0;
      if (count <= 1) this.blocked.delete(key);
      else this.blocked.set(key, count - 1);
    }
    return true;
  }

  /** Removes every partition and isolation (clogs stay until they expire or are unclogged). */
  heal(): void {
    this.blocked.clear();
    this.healEpoch++;
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

/**
 * The links a partition blocks: from each group to every other (only to later ones when one-way), self-links excluded.
 */
export function partitionLinks(groups: readonly (readonly string[])[], oneWay = false): Array<[string, string]> {
  const links: Array<[string, string]> = [];
  for (let i = 0; i < groups.length; i++) {
    for (let j = 0; j < groups.length; j++) {
      if (i === j || (oneWay && j < i)) continue;
      for (const from of groups[i] as readonly string[]) {
        for (const to of groups[j] as readonly string[]) if (from !== to) links.push([from, to]);
      }
    }
  }
  return links;
}
