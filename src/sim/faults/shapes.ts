/**
 * Fault shapes: short compositions of plan events, timed against each other and
 * aimed at roles, that build the states protocol bugs live in. Independent random
 * episodes reach such states only by luck: a new leader must lose its network
 * within a round trip of its election, a vote must arrive after its candidate
 * moved on. Each shape is plain plan events (so it serialises, replays and
 * shrinks like any other), owns a window of the safety phase that the swarm's
 * other episodes keep out of, and undoes every fault it makes inside that window.
 *
 * - leader-churn: the leader is cut off from the other servers (clients still
 *   reach it, so it appends a tail nobody else holds); each of the next leaders,
 *   as many as a minority, is cut off the moment it is elected (its first entries
 *   stay on it alone); the first returns, leads again, and is cut off a few round
 *   trips after its election (appends in flight); then the others return. Links
 *   are slowed meanwhile (mostly), so that a round trip is long enough to be cut into.
 *   This is the Raft paper's Figure 8, for any cluster size.
 * - deaf-host: one server hears nothing (every link into it holds its traffic,
 *   then delivers it late) while the leader is cut off and comes back: it
 *   campaigns, and the votes for it arrive after it has moved on.
 * - crash-wave: as many crashes as there are servers, one after another, each
 *   restarted before the next: the next server of a shuffled order, or (half the
 *   time) whoever leads at that moment; over the wave the whole cluster restarts.
 * - stale-leader: the leader is cut off from the other servers while clients
 *   still write to it, long enough for a new leader to take writes, then heals
 *   back into the cluster with its stale tail.
 */
import type { Random } from "../random.ts";
import { DEFAULT_LATENCY_MS_MEAN } from "../net/links.ts";
import type { FaultEvent } from "./plan.ts";

export type ShapeKind = "leader-churn" | "deaf-host" | "crash-wave" | "stale-leader";

export const SHAPE_KINDS: readonly ShapeKind[] = ["leader-churn", "deaf-host", "crash-wave", "stale-leader"];

/** Shapes that aim at the leader: only for scenarios that declare that role. */
const LEADER_SHAPES: ReadonlySet<ShapeKind> = new Set(["leader-churn", "deaf-host", "stale-leader"]);

/**
 * The window [startMs, endMs] of the safety phase a shape owns: its events strike and are undone inside it, no other
 * episode's do.
 */
export interface ShapeWindow {
  readonly kind: ShapeKind;
  readonly startMs: number;
  readonly endMs: number;
}

/** One shape placed in the plan: its events, and the window it owns. */
export interface PlacedShape extends ShapeWindow {
  readonly events: FaultEvent[];
}

/** What a shape is drawn for. */
export interface ShapeContext {
  /** The servers: the hosts the shape may fault. */
  readonly hosts: readonly string[];
  /** Roles the scenario resolves ("leader"). */
  readonly roles: readonly string[];
}

/** The shapes a context can take: those aiming at the leader need the role. */
export function shapesFor(kinds: readonly ShapeKind[], context: ShapeContext): ShapeKind[] {
  if (context.hosts.length < 3) return [];
  return kinds.filter((kind) => !LEADER_SHAPES.has(kind) || context.roles.includes("leader"));
}

/** Draws one shape of `kind` starting at `startMs`. */
export function drawShape(kind: ShapeKind, random: Random, context: ShapeContext, startMs: number): PlacedShape {
  switch (kind) {
    case "leader-churn":
      return leaderChurn(random, context, startMs);
    case "deaf-host":
      return deafHost(random, context, startMs);
    case "crash-wave":
      return crashWave(random, context, startMs);
    case "stale-leader":
      return staleLeader(random, context, startMs);
  }
}

/** How long a shape's last event has to settle before the window closes (a leader elected, entries caught up). */
const SETTLE_MS = 500;

/**
 * The latest time any of `events` may still act: an event waiting for a role's
 * next holder may strike as late as its wait and delay allow, and a fault with a
 * duration is undone that long after it struck.
 */
export function latestEndMs(events: readonly FaultEvent[]): number {
  let endMs = 0;
  for (const event of events) {
    const strikeMs =
      "next" in event && event.next !== undefined ? event.atMs + event.next.withinMs + event.next.delayMs : event.atMs;
    endMs = Math.max(endMs, strikeMs + ("durationMs" in event ? (event.durationMs ?? 0) : 0));
  }
  return endMs;
}

/**
 * A shape of `events` (faults, all undone by `latestEndMs`), its window closed once they settled; links slowed
 * throughout when `latencyMs` says so.
 */
function placed(
  kind: ShapeKind,
  events: FaultEvent[],
  startMs: number,
  latencyMs = DEFAULT_LATENCY_MS_MEAN,
): PlacedShape {
  const endMs = latestEndMs(events);
  return { kind, events: [...events, ...slowLinks(latencyMs, startMs, endMs)], startMs, endMs: endMs + SETTLE_MS };
}

function leaderChurn(random: Random, context: ShapeContext, startMs: number): PlacedShape {
  const servers = [...context.hosts];
  const strandedCount = Math.floor((servers.length - 1) / 2);
  // The first leader is away this long; the stranded ones come back this long after it, and lead again this long after
  // that.
  const firstCutMs = Math.round(random.float(1_000, 2_500));
  const strandedBackAfterMs = Math.round(random.float(800, 2_500));
  const strandedLeadMs = Math.round(random.float(500, 1_500));
  // A quarter of the shapes keep healthy links; the others slow every link (well below an election timeout)
  // so that a round trip can be cut into.
  const latencyMs = random.bool(0.25)
    ? DEFAULT_LATENCY_MS_MEAN
    : Math.round(Math.exp(random.float(0, Math.log(8))) * 10) / 10;
  const lastDelayMs = Math.round(random.float(0, 8 * latencyMs + 10) * 10) / 10;
  const returnMs = startMs + firstCutMs;
  const events: FaultEvent[] = [
    { atMs: startMs, kind: "isolate", host: "@leader", from: servers, durationMs: firstCutMs },
  ];
  for (let nth = 1; nth <= strandedCount; nth++) {
    // Cut off the moment it is elected (its first entries stay on it), back strandedBackAfterMs after the first leader.
    const durationMs = firstCutMs + strandedBackAfterMs;
    events.push({
      atMs: startMs + 1,
      kind: "isolate",
      host: "@leader",
      from: servers,
      durationMs,
      next: { withinMs: firstCutMs - 1, delayMs: 0, nth },
    });
  }
  // The first leader leads again; lastDelayMs after, what it sends is dropped until the stranded ones led again.
  const lastCutMs = strandedBackAfterMs + strandedLeadMs;
  events.push({
    atMs: returnMs,
    kind: "isolate",
    host: "@leader",
    from: servers,
    outbound: true,
    durationMs: lastCutMs,
    next: { withinMs: strandedBackAfterMs, delayMs: lastDelayMs },
  });
  return placed("leader-churn", events, startMs, latencyMs);
}

/**
 * Every link slowed to mean `latencyMs` from `startMs`, back to healthy at `endMs`
 * (nothing for healthy links). The base quality is changed, never a link's own: a
 * link's own quality outlives the shape and would shadow the swarm's later changes
 * of the base (loss, duplication, reordering), which never touch latency.
 */
function slowLinks(latencyMs: number, startMs: number, endMs: number): FaultEvent[] {
  if (latencyMs === DEFAULT_LATENCY_MS_MEAN) return [];
  return [
    { atMs: startMs, kind: "link-quality", latencyMsMean: latencyMs },
    { atMs: endMs, kind: "link-quality", latencyMsMean: DEFAULT_LATENCY_MS_MEAN },
  ];
}

function deafHost(random: Random, context: ShapeContext, startMs: number): PlacedShape {
  const { hosts } = context;
  const deaf = random.pick(hosts);
  const leaderCutMs = Math.round(random.float(300, 1_500));
  const deafMs = leaderCutMs + Math.round(random.float(500, 2_500));
  const events: FaultEvent[] = [
    { atMs: startMs, kind: "isolate", host: "@leader", from: [...hosts], durationMs: leaderCutMs },
  ];
  for (const from of hosts)
    if (from !== deaf) events.push({ atMs: startMs, kind: "clog", from, to: deaf, durationMs: deafMs });
  return placed("deaf-host", events, startMs);
}

function crashWave(random: Random, context: ShapeContext, startMs: number): PlacedShape {
  const order = random.shuffle(context.hosts);
  const events: FaultEvent[] = [];
  let atMs = startMs;
  for (const host of order) {
    const downMs = Math.round(random.float(200, 1_500));
    // Half the crashes strike whoever leads then (a role crash restarts its host after downMs).
    const target = context.roles.includes("leader") && random.bool(0.5) ? "@leader" : host;
    events.push({ atMs, kind: "crash", host: target, durationMs: downMs });
    atMs += downMs + Math.round(random.float(100, 800));
  }
  return placed("crash-wave", events, startMs);
}

function staleLeader(random: Random, context: ShapeContext, startMs: number): PlacedShape {
  const cutMs = Math.round(random.float(500, 3_000));
  const events: FaultEvent[] = [
    { atMs: startMs, kind: "isolate", host: "@leader", from: [...context.hosts], durationMs: cutMs },
  ];
  return placed("stale-leader", events, startMs);
}
