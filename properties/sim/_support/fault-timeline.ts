/**
 * What a fault plan does to a world, modelled from the plan the test applied (and
 * the heal-all it scheduled), never read back from the world: which links are
 * blocked, clogged or degraded, and which hosts are up, paused and in which
 * incarnation, at every virtual time. It restates the fault plan's contract
 * (DESIGN.md, "Faults are data"; faults/apply.ts) in the test's own words, so that a
 * bug in Links, Network or Host cannot also answer the questions a property asks.
 *
 * Instants: a fault applies in an event at its time, so an observation at the same
 * virtual time may fall before or after it. `before(t)` is the state once every
 * event earlier than t has applied, `after(t)` once those at t have too; properties
 * judge only what holds on both sides. Transitions inside one instant (a heal and a
 * partition at the same time) are kept as events, so no cut hides between snapshots.
 *
 * A link is blocked while any fault blocks it: an isolation with its own duration
 * unblocks only what it blocked, and nothing once a heal came between; a crash with
 * its own duration restarts the host when it ends (if down, and not after the
 * heal-all). Role targets ("@leader") are the world's to resolve: the timeline refuses them.
 *
 * Latency: a link's mean latency is the one its last link-quality event set (a link's
 * own quality starts from the base in force when first set, as for loss), and each
 * message draws its latency when it is sent, from the link's mean then: a change never
 * reaches messages already in flight. A FIFO link may hold a message behind an earlier
 * one that drew more (`latestInOrderArrival`).
 */
import type { FaultEvent, FaultPlan } from "../../../src/sim/faults/plan.ts";

/** Datagram quality of a link, as the plan's link-quality events set it. */
export interface ModelQuality {
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  readonly reorderProbability: number;
  readonly latencyMsMean: number;
}

/**
 * The network's latency contract, restated (README, "Network"; net/links.ts): a healthy
 * link's mean one-way latency, and a link of mean m delays each message by at least
 * 0.4 m and at most 10 m (a slow link has the healthy link's shape, longer).
 */
export const DEFAULT_LATENCY_MS_MEAN = 0.5;
const LATENCY_MIN_PER_MEAN = 0.4;
const LATENCY_MAX_PER_MEAN = 10;

/** The quality of a link no fault touched. */
export const DEFAULT_QUALITY: ModelQuality = {
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  latencyMsMean: DEFAULT_LATENCY_MS_MEAN,
};

/** The least and the most one-way latency a message may draw on a link of mean `meanMs`. */
export function latencyRange(meanMs: number): { minMs: number; maxMs: number } {
  return { minMs: meanMs * LATENCY_MIN_PER_MEAN, maxMs: meanMs * LATENCY_MAX_PER_MEAN };
}

export interface ModelHost {
  readonly up: boolean;
  readonly paused: boolean;
  /** The incarnation running (or that ran last); 0 before the first start. */
  readonly incarnation: number;
}

export interface ModelState {
  readonly blocked: ReadonlySet<string>;
  /** Virtual time each link holds its traffic until (never lowered, cleared by heal-all only). */
  readonly clogUntil: ReadonlyMap<string, number>;
  readonly hosts: ReadonlyMap<string, ModelHost>;
  quality(from: string, to: string): ModelQuality;
}

/** A change the model saw, at the instant it happened. */
export type ModelChange =
  | { readonly time: number; readonly kind: "cut"; readonly from: string; readonly to: string }
  | {
      readonly time: number;
      readonly kind: "crash" | "start" | "pause" | "resume";
      readonly host: string;
      readonly incarnation: number;
    }
  | {
      readonly time: number;
      readonly kind: "clog";
      readonly from: string;
      readonly to: string;
      readonly until: number;
    };

export function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}

class MutableState implements ModelState {
  blocked = new Set<string>();
  /**
   * How many faults block each link in `blocked` (an isolation with its own duration unblocks only what it blocked).
   */
  blockCounts = new Map<string, number>();
  clogUntil = new Map<string, number>();
  hosts = new Map<string, ModelHost>();
  base: ModelQuality = DEFAULT_QUALITY;
  overrides = new Map<string, ModelQuality>();

  quality(from: string, to: string): ModelQuality {
    return this.overrides.get(linkKey(from, to)) ?? this.base;
  }

  clone(): MutableState {
    const copy = new MutableState();
    copy.blocked = new Set(this.blocked);
    copy.blockCounts = new Map(this.blockCounts);
    copy.clogUntil = new Map(this.clogUntil);
    copy.hosts = new Map(this.hosts);
    copy.base = this.base;
    copy.overrides = new Map(this.overrides);
    return copy;
  }
}

interface Action {
  readonly time: number;
  readonly apply: (state: MutableState) => void;
}

export interface TimelineOptions {
  readonly hosts: readonly string[];
  readonly plan: FaultPlan;
  /** Hosts started before the plan applies (default: all). */
  readonly started?: readonly string[];
  /** When the test calls the applier's healAll, if it does. */
  readonly healAllAtMs?: number;
}

export class FaultTimeline {
  private readonly snapshots: Array<{ readonly time: number; readonly state: ModelState }> = [];
  readonly changes: ModelChange[] = [];
  private readonly hosts: readonly string[];
  private readonly pausedUntil = new Map<string, number>();
  /** Heals so far: an isolation's own undo made before the latest heal has nothing left to undo. */
  private heals = 0;
  /** Set by the heal-all: no crash's own restart acts after it. */
  private healedAll = false;
  private readonly queue: Action[] = [];
  private now = Number.NEGATIVE_INFINITY;

  constructor(options: TimelineOptions) {
    this.hosts = options.hosts;
    const state = new MutableState();
    const started = new Set(options.started ?? options.hosts);
    for (const host of options.hosts)
      state.hosts.set(host, { up: started.has(host), paused: false, incarnation: started.has(host) ? 1 : 0 });
    this.snapshots.push({ time: Number.NEGATIVE_INFINITY, state: state.clone() });
    // The order the scheduler runs them in: plan events, then the heal-all, each at its time;
    // a pause's resume is scheduled when the pause applies, so it runs after both at its time.
    for (const event of options.plan.faults)
      this.queue.push({ time: event.atMs, apply: (s) => this.applyEvent(s, event) });
    if (options.healAllAtMs !== undefined)
      this.queue.push({ time: options.healAllAtMs, apply: (s) => this.healAll(s) });
    this.run(state);
  }

  private run(state: MutableState): void {
    while (this.queue.length > 0) {
      let next = 0;
      for (let index = 1; index < this.queue.length; index++)
        if ((this.queue[index] as Action).time < (this.queue[next] as Action).time) next = index;
      const [action] = this.queue.splice(next, 1) as [Action];
      if (action.time !== this.now && this.now !== Number.NEGATIVE_INFINITY)
        this.snapshots.push({ time: this.now, state: state.clone() });
      this.now = action.time;
      action.apply(state);
    }
    if (this.now !== Number.NEGATIVE_INFINITY) this.snapshots.push({ time: this.now, state: state.clone() });
  }

  private applyEvent(state: MutableState, event: FaultEvent): void {
    switch (event.kind) {
      case "partition":
        return this.block(state, event.groups, event.oneWay ?? false);
      case "isolate":
        return this.isolate(state, event);
      case "heal":
        this.unblockAll(state);
        return;
      case "clog": {
        const key = linkKey(event.from, event.to);
        const until = Math.max(state.clogUntil.get(key) ?? 0, this.now + event.durationMs);
        state.clogUntil.set(key, until);
        this.changes.push({ time: this.now, kind: "clog", from: event.from, to: event.to, until });
        return;
      }
      case "crash":
        this.crash(state, this.named(event.host));
        if (event.durationMs !== undefined) {
          // Restarted when its own duration ends (if down then), unless everything was healed first.
          this.queue.push({
            time: this.now + event.durationMs,
            apply: (s) => {
              if (!this.healedAll && !this.host(s, event.host).up) this.start(s, event.host);
            },
          });
        }
        return;
      case "restart":
        if (!this.host(state, event.host).up) this.start(state, event.host);
        return;
      case "pause":
        return this.pause(state, event.host, event.durationMs);
      case "link-quality":
        return this.degrade(state, event);
      case "clock-skew":
      case "disk-faults":
        return;
    }
  }

  /** The links of a partition: from each group to every other (only to later ones when one-way). */
  private partitionLinks(groups: readonly (readonly string[])[], oneWay: boolean): Array<[string, string]> {
    const links: Array<[string, string]> = [];
    groups.forEach((fromGroup, i) =>
      groups.forEach((toGroup, j) => {
        if (i === j || (oneWay && j < i)) return;
        for (const from of fromGroup) for (const to of toGroup) if (from !== to) links.push([from, to]);
      }),
    );
    return links;
  }

  private block(state: MutableState, groups: readonly (readonly string[])[], oneWay: boolean): void {
    this.blockLinks(state, this.partitionLinks(groups, oneWay));
  }

  /** Each link blocked once more; a link newly blocked is a cut. */
  private blockLinks(state: MutableState, links: ReadonlyArray<readonly [string, string]>): void {
    for (const [from, to] of links) {
      const key = linkKey(from, to);
      const count = state.blockCounts.get(key) ?? 0;
      state.blockCounts.set(key, count + 1);
      if (count > 0) continue;
      state.blocked.add(key);
      this.changes.push({ time: this.now, kind: "cut", from, to });
    }
  }

  /**
   * An isolation: from everyone or from `from`, both ways or outbound only; with a duration, its own links unblocked
   * when it ends, unless a heal came first.
   */
  private isolate(state: MutableState, event: Extract<FaultEvent, { kind: "isolate" }>): void {
    const host = this.named(event.host);
    const peers = (event.from ?? this.hosts).filter((peer) => peer !== host);
    const links = this.partitionLinks([[host], peers], event.outbound ?? false);
    this.blockLinks(state, links);
    if (event.durationMs === undefined) return;
    const heals = this.heals;
    this.queue.push({
      time: this.now + event.durationMs,
      apply: (s) => {
        if (this.heals !== heals) return;
        for (const [from, to] of links) {
          const key = linkKey(from, to);
          const count = (s.blockCounts.get(key) ?? 0) - 1;
          if (count > 0) {
            s.blockCounts.set(key, count);
          } else {
            s.blockCounts.delete(key);
            s.blocked.delete(key);
          }
        }
      },
    });
  }

  private unblockAll(state: MutableState): void {
    state.blocked.clear();
    state.blockCounts.clear();
    this.heals++;
  }

  /** A host the plan names: role targets are resolved by the world, which the timeline does not model. */
  private named(host: string): string {
    if (host.startsWith("@")) throw new Error(`the timeline does not model role targets (${host})`);
    return host;
  }

  private degrade(state: MutableState, event: Extract<FaultEvent, { kind: "link-quality" }>): void {
    const change: Partial<ModelQuality> = {};
    if (event.lossProbability !== undefined) Object.assign(change, { lossProbability: event.lossProbability });
    if (event.duplicateProbability !== undefined)
      Object.assign(change, { duplicateProbability: event.duplicateProbability });
    if (event.reorderProbability !== undefined) Object.assign(change, { reorderProbability: event.reorderProbability });
    if (event.latencyMsMean !== undefined) Object.assign(change, { latencyMsMean: event.latencyMsMean });
    if (event.from === undefined || event.to === undefined) {
      state.base = { ...state.base, ...change };
      return;
    }
    // A link's own quality starts from the base in force when it is first set, and keeps it after.
    const key = linkKey(event.from, event.to);
    state.overrides.set(key, { ...(state.overrides.get(key) ?? state.base), ...change });
  }

  private host(state: MutableState, name: string): ModelHost {
    const host = state.hosts.get(name);
    if (host === undefined) throw new Error(`the plan names ${name}, not a host of the timeline`);
    return host;
  }

  private crash(state: MutableState, name: string): void {
    const host = this.host(state, name);
    if (!host.up) return;
    state.hosts.set(name, { up: false, paused: false, incarnation: host.incarnation });
    this.changes.push({ time: this.now, kind: "crash", host: name, incarnation: host.incarnation });
  }

  private start(state: MutableState, name: string): void {
    const incarnation = this.host(state, name).incarnation + 1;
    state.hosts.set(name, { up: true, paused: false, incarnation });
    this.changes.push({ time: this.now, kind: "start", host: name, incarnation });
  }

  private pause(state: MutableState, name: string, durationMs: number): void {
    const host = this.host(state, name);
    if (host.up && !host.paused) {
      state.hosts.set(name, { ...host, paused: true });
      this.changes.push({ time: this.now, kind: "pause", host: name, incarnation: host.incarnation });
    }
    // Overlapping pauses: the host resumes when the last of them ends.
    const until = Math.max(this.pausedUntil.get(name) ?? 0, this.now + durationMs);
    this.pausedUntil.set(name, until);
    this.queue.push({
      time: this.now + durationMs,
      apply: (s) => {
        if (this.pausedUntil.get(name) === until) this.resume(s, name);
      },
    });
  }

  private resume(state: MutableState, name: string): void {
    const host = this.host(state, name);
    if (!host.paused) return;
    state.hosts.set(name, { ...host, paused: false });
    this.changes.push({ time: this.now, kind: "resume", host: name, incarnation: host.incarnation });
  }

  private healAll(state: MutableState): void {
    this.unblockAll(state);
    this.healedAll = true;
    state.clogUntil.clear();
    state.base = DEFAULT_QUALITY;
    state.overrides.clear();
    for (const name of this.hosts) {
      const host = this.host(state, name);
      if (host.paused) this.resume(state, name);
      else if (!host.up) this.start(state, name);
    }
    this.pausedUntil.clear();
  }

  // -------------------------------------------------------------------------
  // Queries

  /** The state once every event earlier than `time` has applied. */
  before(time: number): ModelState {
    let found = (this.snapshots[0] as { state: ModelState }).state;
    for (const snapshot of this.snapshots) if (snapshot.time < time) found = snapshot.state;
    return found;
  }

  /** The state once every event at or before `time` has applied. */
  after(time: number): ModelState {
    let found = (this.snapshots[0] as { state: ModelState }).state;
    for (const snapshot of this.snapshots) if (snapshot.time <= time) found = snapshot.state;
    return found;
  }

  /** Every state in force at some moment of [from, to]. */
  statesDuring(from: number, to: number): ModelState[] {
    return [
      this.before(from),
      ...this.snapshots
        .filter((snapshot) => snapshot.time >= from && snapshot.time <= to)
        .map((snapshot) => snapshot.state),
    ];
  }

  /** Traffic from `from` to `to` is dropped at `time`, whichever side of the instant. */
  surelyBlocked(from: string, to: string, time: number): boolean {
    const key = linkKey(from, to);
    return this.before(time).blocked.has(key) && this.after(time).blocked.has(key);
  }

  /** The link from `from` to `to` is open at every moment of [start, end]. */
  openThroughout(from: string, to: string, start: number, end: number): boolean {
    return this.statesDuring(start, end).every((state) => !state.blocked.has(linkKey(from, to)));
  }

  /**
   * Times in (start, end) at which a partition newly blocked either direction between `a` and `b` (which resets their
   * streams).
   */
  cutsBetween(a: string, b: string, start: number, end: number): number[] {
    return this.changes
      .filter((change) => change.kind === "cut" && change.time > start && change.time < end)
      .filter(
        (change) =>
          change.kind === "cut" && ((change.from === a && change.to === b) || (change.from === b && change.to === a)),
      )
      .map((change) => change.time);
  }

  /** Host changes of `host` in [start, end]. */
  hostChangesDuring(host: string, start: number, end: number): ModelChange[] {
    return this.changes.filter(
      (change) => "host" in change && change.host === host && change.time >= start && change.time <= end,
    );
  }

  /**
   * Incarnation `incarnation` of `host` is up at `time` (and not paused, with `running`), whichever side of the
   * instant.
   */
  surelyLive(host: string, incarnation: number, time: number, running = false): boolean {
    return [this.before(time), this.after(time)].every((state) => {
      const model = state.hosts.get(host);
      return model !== undefined && model.up && model.incarnation === incarnation && !(running && model.paused);
    });
  }

  /** Incarnation `incarnation` of `host` is down, or `host` is paused, at `time`, whichever side of the instant. */
  surelyNotRunning(host: string, incarnation: number, time: number): boolean {
    return [this.before(time), this.after(time)].every((state) => {
      const model = state.hosts.get(host);
      return model === undefined || !model.up || model.paused || model.incarnation !== incarnation;
    });
  }

  /** The latest time a clog set on the link at or before `time` holds it until (0 if none). */
  clogCeiling(from: string, to: string, time: number): number {
    let ceiling = 0;
    for (const change of this.changes) {
      if (change.kind === "clog" && change.from === from && change.to === to && change.time <= time)
        ceiling = Math.max(ceiling, change.until);
    }
    return ceiling;
  }

  /** The time before which the link surely holds traffic sent at `time` (0 when it may not). */
  surelyHeldUntil(from: string, to: string, time: number): number {
    const key = linkKey(from, to);
    return Math.min(this.before(time).clogUntil.get(key) ?? 0, this.after(time).clogUntil.get(key) ?? 0);
  }

  /**
   * The link's quality on both sides of the instant: the most any of its probabilities, and its mean latency, may be.
   */
  qualityBound(from: string, to: string, time: number): ModelQuality {
    const [left, right] = [this.before(time).quality(from, to), this.after(time).quality(from, to)];
    return {
      lossProbability: Math.max(left.lossProbability, right.lossProbability),
      duplicateProbability: Math.max(left.duplicateProbability, right.duplicateProbability),
      reorderProbability: Math.max(left.reorderProbability, right.reorderProbability),
      latencyMsMean: Math.max(left.latencyMsMean, right.latencyMsMean),
    };
  }

  /** The least and the most latency a message sent on the link at `time` may draw, whichever side of the instant. */
  latencyBound(from: string, to: string, time: number): { minMs: number; maxMs: number } {
    const [left, right] = [this.before(time), this.after(time)].map((state) =>
      latencyRange(state.quality(from, to).latencyMsMean),
    ) as [{ minMs: number; maxMs: number }, { minMs: number; maxMs: number }];
    return { minMs: Math.min(left.minMs, right.minMs), maxMs: Math.max(left.maxMs, right.maxMs) };
  }

  /** The most latency a message sent on the link at some moment of [start, end] may draw. */
  latencyMsMaxDuring(from: string, to: string, start: number, end: number): number {
    return Math.max(
      ...this.statesDuring(start, end).map((state) => latencyRange(state.quality(from, to).latencyMsMean).maxMs),
    );
  }

  /**
   * The latest a message sent on the link at `time`, neither clogged nor reordered,
   * may arrive on a FIFO link: after the most latency in force at its send, or behind
   * an earlier message, sent at some s <= time, that drew the most in force at s.
   * Each state counts from its own start to its end (both instants: either side).
   */
  latestInOrderArrival(from: string, to: string, time: number): number {
    let latest = Number.NEGATIVE_INFINITY;
    this.snapshots.forEach((snapshot, index) => {
      if (snapshot.time > time) return;
      const end = Math.min(this.snapshots[index + 1]?.time ?? Number.POSITIVE_INFINITY, time);
      latest = Math.max(latest, end + latencyRange(snapshot.state.quality(from, to).latencyMsMean).maxMs);
    });
    return latest;
  }

  /**
   * The latest a message sent on any link between the timeline's hosts by `time`, neither clogged nor reordered, may
   * arrive.
   */
  latestArrivalOfAny(time: number): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const from of this.hosts) {
      for (const to of this.hosts)
        if (from !== to) latest = Math.max(latest, this.latestInOrderArrival(from, to, time));
    }
    return latest;
  }
}
