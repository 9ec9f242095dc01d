/**
 * The swarm generator (FoundationDB style): the seed picks which fault kinds are on
 * in this run and how often they strike, then draws a timed plan. Rare
 * combinations of faults appear because each run enables a different subset.
 *
 * Destructive faults are placed so that a correct system can survive them: at most
 * a minority of the target hosts is down at once, and disk faults strike only a
 * fixed minority of hosts per run. Every fault is undone within the safety phase
 * or by the heal at its end.
 *
 * A scenario may also offer fault shapes (shapes.ts): timed compositions aimed at
 * roles. Each owns a window of the safety phase, recorded in the mix: its faults
 * strike and are undone inside it, and every other episode (a fault with its undo)
 * lies wholly before or after it, so a shape starts on a world with no other fault
 * in force but clock skews. A shape may take more than a minority out at once
 * (leader churn strands a leader while the next is elected): only scenarios that
 * check safety alone while faults are on should offer it.
 */
import type { Random } from "../random.ts";
import { ClockEpisodes } from "./clock-episodes.ts";
import { FAULT_PLAN_VERSION, normalizePlan, type FaultEvent, type FaultKind, type FaultPlan } from "./plan.ts";
import { drawShape, latestEndMs, shapesFor, type PlacedShape, type ShapeKind, type ShapeWindow } from "./shapes.ts";

export type SwarmKind = Exclude<FaultKind, "heal" | "restart">;

export const SWARM_KINDS: readonly SwarmKind[] = [
  "partition",
  "isolate",
  "clog",
  "crash",
  "pause",
  "clock-skew",
  "link-quality",
  "disk-faults",
];

export interface SwarmOptions {
  /** Hosts the faults may target (servers; clients are usually left out). */
  hosts: readonly string[];
  /** Length of the safety phase: every fault starts and ends inside it. */
  durationMs: number;
  /** Kinds this scenario allows (default: all). */
  kinds?: readonly SwarmKind[];
  /** Most episodes of one kind in a run. Default 6. */
  episodesPerKindMax?: number;
  /** Hosts whose disks may fail (disk-faults episodes). Default: the first minority of `hosts`. */
  diskFaultHosts?: readonly string[];
  /** Hosts that may be down (crashed) at once. Default: a minority of `hosts`. */
  downAtOnceMax?: number;
  /**
   * Kinds whose episodes take a host down, for `downAtOnceMax` (default: crash).
   * For a system whose servers lose their state with their membership (a lease
   * lost while isolated or paused), isolation and pauses are as bad as crashes.
   */
  downKinds?: readonly SwarmKind[];
  /** A host counts as down this long after its down episode ended too (it rejoins and catches up). Default 0. */
  recoveryMs?: number;
  /**
   * Roles the scenario resolves at run time ("leader"): half the isolations and
   * pauses then aim at a role ("@leader") instead of a fixed host.
   */
  roles?: readonly string[];
  /**
   * Clock episodes may change a host's drift without a skew at the same instant
   * (clock-episodes.ts). Default: drawn per seed, half the runs; false keeps the
   * first swarm's shape (a skew and a drift together) in every run.
   */
  clockDriftApart?: boolean;
  /**
   * Fault shapes the seed may draw (shapes.ts; default none): each is on in half
   * the runs, in a window of its own that the other episodes keep out of.
   */
  shapes?: readonly ShapeKind[];
}

export interface SwarmMix {
  enabled: SwarmKind[];
  episodes: Partial<Record<SwarmKind, number>>;
  /** With clock-skew enabled: whether its episodes may change drift apart from skews. */
  clockDriftApart?: boolean;
  /** The shapes drawn and the windows they own, in plan order (only when the scenario offers shapes). */
  shapes?: ShapeWindow[];
}

/**
 * Where the first shape may start at the earliest (a leader is elected by then, even on the slowest timeouts), in ms.
 */
const SHAPE_START_MS_MIN = 1_200;
/** The gap between two shapes, at most, in ms. */
const SHAPE_GAP_MS_MAX = 1_000;

export function swarmPlan(random: Random, options: SwarmOptions): FaultPlan {
  const kinds = options.kinds ?? SWARM_KINDS;
  const episodesMax = options.episodesPerKindMax ?? 6;
  const mix: SwarmMix = { enabled: [], episodes: {} };
  for (const kind of kinds) {
    if (options.hosts.length === 0 || !random.fork(`enable/${kind}`).bool(0.5)) continue;
    mix.enabled.push(kind);
    mix.episodes[kind] = random.fork(`count/${kind}`).int(1, episodesMax);
  }
  const minority = Math.floor((options.hosts.length - 1) / 2);
  const clock = new ClockEpisodes(random, options.clockDriftApart);
  if (mix.enabled.includes("clock-skew")) mix.clockDriftApart = clock.apart;
  const generator = new EpisodeGenerator(
    options,
    options.downAtOnceMax ?? Math.max(minority, 1),
    options.diskFaultHosts ?? options.hosts.slice(0, minority),
    clock,
  );
  const shapes = options.shapes === undefined ? undefined : placeShapes(random.fork("shapes"), options);
  const faults: FaultEvent[] = [];
  for (const kind of mix.enabled) {
    const stream = random.fork(`episodes/${kind}`);
    for (let i = 0; i < (mix.episodes[kind] ?? 0); i++) {
      const episode = generator.episode(kind, stream);
      if (shapes === undefined || shapes.every((shape) => !overlaps(episode, shape))) faults.push(...episode);
    }
  }
  if (shapes !== undefined) {
    mix.shapes = shapes.map((shape) => ({ kind: shape.kind, startMs: shape.startMs, endMs: shape.endMs }));
    for (const shape of shapes) faults.push(...shape.events);
  }
  return normalizePlan({ version: FAULT_PLAN_VERSION, faults, origin: { swarm: mix } });
}

/**
 * The seed's shapes: each kind the scenario offers is on in half the runs, and
 * they are laid one after another in a random order (leader churn first), from a
 * random start, with random gaps; a shape that would not end within the safety
 * phase is left out.
 */
function placeShapes(random: Random, options: SwarmOptions): PlacedShape[] {
  const context = { hosts: options.hosts, roles: options.roles ?? [] };
  const kinds = shapesFor(options.shapes ?? [], context).filter((kind) => random.fork(`enable/${kind}`).bool(0.5));
  const placed: PlacedShape[] = [];
  let cursorMs = SHAPE_START_MS_MIN + Math.round(random.float(0, SHAPE_GAP_MS_MAX));
  // Leader churn first when drawn: it is the longest, and a later place would leave it out of most runs.
  const order = random
    .fork("order")
    .shuffle(kinds)
    .sort((a, b) => Number(b === "leader-churn") - Number(a === "leader-churn"));
  for (const kind of order) {
    const shape = drawShape(kind, random.fork(`shape/${kind}`), context, cursorMs);
    if (shape.endMs > options.durationMs) continue;
    placed.push(shape);
    cursorMs = shape.endMs + Math.round(random.float(0, SHAPE_GAP_MS_MAX));
  }
  return placed;
}

/** True when the episode's events strike, or last, within the shape's window. */
function overlaps(episode: readonly FaultEvent[], shape: PlacedShape): boolean {
  if (episode.length === 0) return false;
  const startMs = Math.min(...episode.map((event) => event.atMs));
  return startMs <= shape.endMs && shape.startMs <= latestEndMs(episode);
}

class EpisodeGenerator {
  private readonly downIntervals: Array<{ host: string; start: number; end: number }> = [];

  constructor(
    private readonly options: SwarmOptions,
    private readonly downAtOnceMax: number,
    private readonly diskFaultHosts: readonly string[],
    private readonly clock: ClockEpisodes,
  ) {}

  episode(kind: SwarmKind, random: Random): FaultEvent[] {
    const duration = this.options.durationMs;
    const hosts = this.options.hosts;
    const start = Math.round(random.float(0, duration * 0.8));
    const length = Math.round(Math.min(random.exponential(duration / 8) + 1, duration - start));
    const end = start + length;
    const host = random.pick(hosts);
    const roles = this.options.roles ?? [];
    // Only scenarios that declare roles draw for them: the plans of the others stay as they were.
    const target = roles.length > 0 && random.bool(0.5) ? `@${random.pick(roles)}` : host;
    switch (kind) {
      case "partition": {
        const shuffled = random.shuffle(hosts);
        const cut = random.int(1, Math.max(1, shuffled.length - 1));
        const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
        if ((groups[1] as string[]).length === 0) return [];
        return [
          { atMs: start, kind, groups, oneWay: random.bool(0.3) },
          { atMs: end, kind: "heal" },
        ];
      }
      case "isolate":
        if (!this.takeDown(kind, target, start, end)) return [];
        return [
          { atMs: start, kind, host: target },
          { atMs: end, kind: "heal" },
        ];
      case "clog": {
        const others = hosts.filter((name) => name !== host);
        if (others.length === 0) return [];
        return [{ atMs: start, kind, from: host, to: random.pick(others), durationMs: length }];
      }
      case "crash":
        return this.crash(host, start, end);
      case "pause":
        if (!this.takeDown(kind, target, start, start + Math.min(length, 2000))) return [];
        return [{ atMs: start, kind, host: target, durationMs: Math.min(length, 2000) }];
      case "clock-skew":
        return this.clock.episode(random, host, start, end);
      case "link-quality": {
        const quality = {
          lossProbability: random.float(0, 0.2),
          duplicateProbability: random.float(0, 0.1),
          reorderProbability: random.float(0, 0.3),
        };
        // Half the episodes degrade one link only (TigerBeetle's packet simulator degrades paths).
        const others = hosts.filter((name) => name !== host);
        const link: { from?: string; to?: string } =
          random.bool(0.5) && others.length > 0 ? { from: host, to: random.pick(others) } : {};
        return [
          { atMs: start, kind, ...link, ...quality },
          { atMs: end, kind, ...link, lossProbability: 0, duplicateProbability: 0, reorderProbability: 0 },
        ];
      }
      case "disk-faults": {
        if (this.diskFaultHosts.length === 0) return [];
        const target = this.diskFaultHosts[random.int(0, this.diskFaultHosts.length - 1)] as string;
        const rates = {
          readErrorProbability: random.float(0, 0.05),
          writeErrorProbability: random.float(0, 0.05),
          syncErrorProbability: random.float(0, 0.05),
          tornWrites: random.bool(0.5),
        };
        return [{ atMs: start, kind, host: target, rates, durationMs: length }];
      }
    }
  }

  /** A crash and its restart, unless that would put more than the allowed hosts down at once. */
  private crash(host: string, start: number, end: number): FaultEvent[] {
    if (!this.takeDown("crash", host, start, end)) return [];
    return [
      { atMs: start, kind: "crash", host },
      { atMs: end, kind: "restart", host },
    ];
  }

  /**
   * Records `host` down from start to end (plus the recovery time) when `kind`
   * takes hosts down; false when that would put more than the allowed hosts down
   * at once (the episode is then dropped). Kinds that take nothing down always pass.
   */
  private takeDown(kind: SwarmKind, host: string, start: number, end: number): boolean {
    if (!(this.options.downKinds ?? ["crash"]).includes(kind)) return true;
    const until = end + (this.options.recoveryMs ?? 0);
    const overlapping = this.downIntervals.filter((interval) => interval.start <= until && start <= interval.end);
    if (overlapping.some((interval) => interval.host === host)) return false;
    const hostsDown = new Set(overlapping.map((interval) => interval.host));
    if (hostsDown.size + 1 > this.downAtOnceMax) return false;
    this.downIntervals.push({ host, start, end: until });
    return true;
  }
}
