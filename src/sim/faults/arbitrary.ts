/**
 * fast-check arbitraries for fault plans, so that fast-check shrinks a failing run
 * to the smallest plan that still fails: fewer events, earlier times, shorter faults,
 * and the simplest form of each event (optional fields shrink away: a partial or
 * one-way isolation to a whole one, a self-restarting crash to a crash and a restart,
 * one link's quality to every link's, a drifting clock to a jumped one).
 *
 * Every field a plan event may carry is drawn (plan.ts): isolations from some hosts
 * only, outbound only or healing themselves; clock jumps and drift; link quality on
 * one link, with its latency; disk faults (only on `diskHosts`, when the kinds ask
 * for them); and, when `roles` are given (the scenario resolves them, e.g.
 * `@leader`), isolations, crashes and pauses aimed at a role's holder, now or at its
 * next new holder (`next`).
 */
import fc from "fast-check";
import {
  FAULT_PLAN_VERSION,
  normalizePlan,
  type DiskFaultRates,
  type FaultEvent,
  type FaultPlan,
  type NextHolder,
} from "./plan.ts";
import type { SwarmKind } from "./swarm.ts";
import { DEFAULT_LATENCY_MS_MEAN } from "../net/links.ts";

export interface FaultPlanArbitraryOptions {
  hosts: readonly string[];
  durationMs: number;
  /** Default: every kind but disk-faults. */
  kinds?: readonly SwarmKind[];
  maxEvents?: number;
  /** Hosts whose disks may fail (disk-faults episodes). Default: the first minority of `hosts`. */
  diskHosts?: readonly string[];
  /** Role targets the scenario resolves (e.g. `@leader`): isolate, crash and pause may aim at them. Default none. */
  roles?: readonly string[];
}

const DEFAULT_KINDS: readonly SwarmKind[] = [
  "partition",
  "isolate",
  "clog",
  "crash",
  "pause",
  "clock-skew",
  "link-quality",
];

/** Optional fields: absent first, so they shrink away. */
function optional<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arbitrary, { nil: undefined, freq: 3 });
}

export function faultPlanArbitrary(options: FaultPlanArbitraryOptions): fc.Arbitrary<FaultPlan> {
  const kinds = new Set(options.kinds ?? DEFAULT_KINDS);
  const draws = drawsOf(options);
  // In this order: fc.oneof's choice (and so every plan a seed draws) depends on it.
  const episodes = EPISODE_KINDS.filter((kind) => kinds.has(kind))
    .map((kind) => EPISODES[kind](draws, options))
    .filter((episode): episode is fc.Arbitrary<FaultEvent[]> => episode !== undefined);
  if (episodes.length === 0) return fc.constant({ version: FAULT_PLAN_VERSION, faults: [] });
  return fc
    .array(fc.oneof(...episodes), { maxLength: options.maxEvents ?? 8 })
    .map((groups) => normalizePlan({ version: FAULT_PLAN_VERSION, faults: groups.flat() }));
}

/** The draws every kind of episode shares. */
interface Draws {
  readonly hosts: readonly string[];
  readonly roles: readonly string[];
  readonly time: fc.Arbitrary<number>;
  readonly length: fc.Arbitrary<number>;
  readonly host: fc.Arbitrary<string>;
  /** A host or, where roles are given, sometimes a role. */
  readonly target: fc.Arbitrary<string>;
  readonly next: fc.Arbitrary<NextHolder | undefined>;
  /** The `next` field of an event aimed at `name`: only a role has a next holder. */
  nextFor(name: string, drawn: NextHolder | undefined): { next?: NextHolder };
}

function drawsOf(options: FaultPlanArbitraryOptions): Draws {
  const { hosts, durationMs } = options;
  const length = fc.integer({ min: 1, max: Math.max(1, Math.floor(durationMs / 2)) });
  const host = fc.constantFrom(...hosts);
  const roles = options.roles ?? [];
  return {
    hosts,
    roles,
    time: fc.integer({ min: 0, max: durationMs }),
    length,
    host,
    target:
      roles.length === 0
        ? host
        : fc.oneof({ arbitrary: host, weight: 3 }, { arbitrary: fc.constantFrom(...roles), weight: 1 }),
    next: optional(
      fc
        .tuple(length, fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 3 }))
        .map(([withinMs, delayMs, nth]): NextHolder => ({ withinMs, delayMs, nth })),
    ),
    nextFor: (name, drawn) => (drawn !== undefined && roles.includes(name) ? { next: drawn } : {}),
  };
}

type EpisodeKind = "partition" | "isolate" | "clog" | "crash" | "pause" | "clock-skew" | "link-quality" | "disk-faults";
const EPISODE_KINDS: readonly EpisodeKind[] = [
  "partition",
  "isolate",
  "clog",
  "crash",
  "pause",
  "clock-skew",
  "link-quality",
  "disk-faults",
];

/** Each kind's episodes (undefined where the hosts cannot have one). */
const EPISODES: Record<
  EpisodeKind,
  (draws: Draws, options: FaultPlanArbitraryOptions) => fc.Arbitrary<FaultEvent[]> | undefined
> = {
  partition: ({ hosts, time, length }) => {
    if (hosts.length < 2) return undefined;
    return fc
      .tuple(time, length, fc.shuffledSubarray([...hosts], { minLength: 1, maxLength: hosts.length - 1 }), fc.boolean())
      .map(([atMs, durationMs, side, oneWay]): FaultEvent[] => [
        { atMs, kind: "partition", groups: [side, hosts.filter((name) => !side.includes(name))], oneWay },
        { atMs: atMs + durationMs, kind: "heal" },
      ]);
  },
  isolate: ({ hosts, roles, time, length, target, next, nextFor }) => {
    const from = optional(fc.subarray([...hosts], { minLength: 1 }));
    const healsItself = fc.boolean();
    return fc
      .tuple(time, length, target, from, fc.boolean(), healsItself, next)
      .map(([atMs, durationMs, name, only, outbound, itself, drawnNext]): FaultEvent[] => {
        const cutFrom = only?.filter((other) => other !== name);
        const isolate: FaultEvent = {
          atMs,
          kind: "isolate",
          host: name,
          ...(cutFrom !== undefined && cutFrom.length > 0 ? { from: cutFrom } : {}),
          ...(outbound ? { outbound } : {}),
          ...nextFor(name, drawnNext),
        };
        // A role's isolation ends by itself: a heal would end every other isolation too, and a role cannot be named by
        // one.
        if (itself || roles.includes(name)) return [{ ...isolate, durationMs }];
        return [isolate, { atMs: atMs + durationMs, kind: "heal" }];
      });
  },
  clog: ({ hosts, time, length, host }) => {
    if (hosts.length < 2) return undefined;
    return fc
      .tuple(time, length, host, host)
      .filter(([, , from, to]) => from !== to)
      .map(([atMs, durationMs, from, to]): FaultEvent[] => [{ atMs, kind: "clog", from, to, durationMs }]);
  },
  crash: ({ roles, time, length, target, next, nextFor }) =>
    fc
      .tuple(time, length, target, fc.boolean(), next)
      .map(([atMs, durationMs, name, restartsItself, drawnNext]): FaultEvent[] => {
        if (restartsItself || roles.includes(name))
          return [{ atMs, kind: "crash", host: name, durationMs, ...nextFor(name, drawnNext) }];
        return [
          { atMs, kind: "crash", host: name },
          { atMs: atMs + durationMs, kind: "restart", host: name },
        ];
      }),
  pause: ({ time, length, target, next, nextFor }) =>
    fc
      .tuple(time, length, target, next)
      .map(([atMs, durationMs, name, drawnNext]): FaultEvent[] => [
        { atMs, kind: "pause", host: name, durationMs, ...nextFor(name, drawnNext) },
      ]),
  "clock-skew": ({ time, host }) => {
    // -0 does not survive JSON: a plan must round-trip exactly.
    const drift = optional(fc.double({ min: -0.2, max: 0.2, noNaN: true }).map((rate) => rate + 0));
    return fc
      .tuple(time, host, fc.integer({ min: -2000, max: 2000 }), drift, fc.boolean())
      .map(([atMs, name, offsetMs, rate, jumps]): FaultEvent[] => [
        // A drift alone (no jump) when the draw says so; at least one of the two always.
        rate === undefined
          ? { atMs, kind: "clock-skew", host: name, offsetMs }
          : jumps
            ? { atMs, kind: "clock-skew", host: name, offsetMs, drift: rate }
            : { atMs, kind: "clock-skew", host: name, drift: rate },
      ]);
  },
  "link-quality": linkQualityEpisodes,
  "disk-faults": diskFaultEpisodes,
};

function linkQualityEpisodes({ hosts, time, length, host }: Draws): fc.Arbitrary<FaultEvent[]> {
  const probability = fc.double({ min: 0, max: 0.3, noNaN: true });
  const link =
    hosts.length < 2 ? fc.constant(undefined) : optional(fc.tuple(host, host).filter(([from, to]) => from !== to));
  const latency = optional(fc.integer({ min: 1, max: 200 }));
  // The episode's end restores the link's loss, duplication and reordering, and its latency when it changed it.
  return fc
    .tuple(time, length, probability, probability, probability, link, latency)
    .map(([atMs, durationMs, loss, duplicate, reorder, oneLink, latencyMsMean]): FaultEvent[] => {
      const where = oneLink === undefined ? {} : { from: oneLink[0], to: oneLink[1] };
      return [
        {
          atMs,
          kind: "link-quality",
          ...where,
          lossProbability: loss,
          duplicateProbability: duplicate,
          reorderProbability: reorder,
          ...(latencyMsMean === undefined ? {} : { latencyMsMean }),
        },
        {
          atMs: atMs + durationMs,
          kind: "link-quality",
          ...where,
          lossProbability: 0,
          duplicateProbability: 0,
          reorderProbability: 0,
          ...(latencyMsMean === undefined ? {} : { latencyMsMean: DEFAULT_LATENCY_MS_MEAN }),
        },
      ];
    });
}

function diskFaultEpisodes(
  { hosts, time, length }: Draws,
  options: FaultPlanArbitraryOptions,
): fc.Arbitrary<FaultEvent[]> | undefined {
  const diskHosts = options.diskHosts ?? hosts.slice(0, Math.max(1, Math.floor((hosts.length - 1) / 2)));
  if (diskHosts.length === 0) return undefined;
  const probability = optional(fc.double({ min: 0, max: 0.3, noNaN: true }));
  const rates: fc.Arbitrary<DiskFaultRates> = fc
    .record(
      {
        readErrorProbability: probability,
        writeErrorProbability: probability,
        syncErrorProbability: probability,
        readCorruptionProbability: probability,
        lostWriteProbability: probability,
        tornWrites: optional(fc.constant(true)),
      },
      { noNullPrototype: true },
    )
    .map(
      (drawn) => Object.fromEntries(Object.entries(drawn).filter(([, value]) => value !== undefined)) as DiskFaultRates,
    );
  return fc
    .tuple(time, length, fc.constantFrom(...diskHosts), rates)
    .map(([atMs, durationMs, name, drawn]): FaultEvent[] => [
      { atMs, kind: "disk-faults", host: name, rates: drawn, durationMs },
    ]);
}
