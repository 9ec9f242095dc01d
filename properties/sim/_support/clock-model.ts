/**
 * A host's clock as the test set it, modelled in the test: from t = 0 (when the
 * host was added) its monotonic clock runs at rate 1 + drift, the drift changing at
 * each drift event, and its wall clock is the monotonic clock plus every skew so far.
 * Properties judge what env.clock returned against this, never against HostClock's
 * own anchors. Changes at one instant apply in order; an observation at the instant
 * of a change may see either side, so `atChange` lets a property skip it.
 */

/** One change the test made to the clock (a plan's clock-skew event for this host). */
export interface ClockChange {
  readonly atMs: number;
  readonly offsetMs?: number;
  readonly drift?: number;
}

interface Segment {
  /** True virtual time the segment starts at, and the host's monotonic time then. */
  readonly start: number;
  readonly monotonic: number;
  readonly rate: number;
}

export class ClockModel {
  private readonly segments: Segment[] = [{ start: 0, monotonic: 0, rate: 1 }];
  private readonly skews: ClockChange[];
  private readonly instants: Set<number>;

  constructor(changes: readonly ClockChange[]) {
    const ordered = changes
      .map((change, index) => ({ change, index }))
      .sort((a, b) => a.change.atMs - b.change.atMs || a.index - b.index);
    for (const { change } of ordered) {
      if (change.drift === undefined) continue;
      const last = this.segments[this.segments.length - 1] as Segment;
      this.segments.push({
        start: change.atMs,
        monotonic: last.monotonic + (change.atMs - last.start) * last.rate,
        rate: 1 + change.drift,
      });
    }
    this.skews = ordered.map(({ change }) => change).filter((change) => change.offsetMs !== undefined);
    this.instants = new Set(changes.map((change) => change.atMs));
  }

  /** True when a change happens at exactly `time` (an observation then is ambiguous). */
  atChange(time: number): boolean {
    return this.instants.has(time);
  }

  private segmentAt(time: number): Segment {
    let found = this.segments[0] as Segment;
    for (const segment of this.segments) if (segment.start <= time) found = segment;
    return found;
  }

  /** The host's monotonic time at true time `time`. */
  monotonic(time: number): number {
    const segment = this.segmentAt(time);
    return segment.monotonic + (time - segment.start) * segment.rate;
  }

  /** The host's wall time at true time `time`. */
  wall(time: number): number {
    let skewed = 0;
    for (const skew of this.skews) if (skew.atMs <= time) skewed += skew.offsetMs as number;
    return this.monotonic(time) + skewed;
  }

  /** The true time at which the monotonic clock reads `monotonic` (when a host-local timer due then fires). */
  trueTimeAt(monotonic: number): number {
    let found = this.segments[0] as Segment;
    for (const segment of this.segments) if (segment.monotonic <= monotonic) found = segment;
    return found.start + (monotonic - found.monotonic) / found.rate;
  }
}
