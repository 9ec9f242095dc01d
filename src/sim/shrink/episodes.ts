/**
 * Fault episodes: a plan's events grouped so that a fault and its undo move and
 * disappear together. A crash pairs with the next restart of the same host; a
 * partition or isolation with the next heal; a link-quality change with the next
 * reset to perfect links. An isolation or a crash with its own duration is an
 * episode alone (its undo is part of it). Removing half of such a pair would leave a plan that means
 * something else (a restart of a host that never crashed), so shrinking works on
 * episodes, never on single events of a pair.
 *
 * Each event keeps its position in the plan it came from, so events at the same
 * virtual time stay in their original order however episodes are removed or moved.
 */
import { DEFAULT_LATENCY_MS_MEAN } from "../net/links.ts";
import { FAULT_PLAN_VERSION, type FaultEvent, type FaultPlan } from "../faults/plan.ts";

/** An event and its position in the plan it came from (the tie-break between events at the same time). */
export interface PlacedEvent {
  readonly event: FaultEvent;
  readonly order: number;
}

/** A fault and, when it has one in the plan, the event that undoes it. */
export interface Episode {
  readonly start: PlacedEvent;
  readonly end?: PlacedEvent;
}

/** Groups a plan's events (sorted by time) into episodes, in order of their first event. */
export function episodesOf(plan: FaultPlan): Episode[] {
  const episodes: Array<{ start: PlacedEvent; end?: PlacedEvent }> = [];
  let openNetwork: number[] = [];
  const openCrashes = new Map<string, number>();
  let openQuality: number | undefined;
  const open = (placed: PlacedEvent) => episodes.push({ start: placed }) - 1;
  const close = (index: number | undefined, placed: PlacedEvent) => {
    const episode = index === undefined ? undefined : episodes[index];
    if (episode === undefined) episodes.push({ start: placed });
    else episode.end = placed;
  };
  for (const [order, event] of plan.faults.entries()) {
    const placed = { event, order };
    if ((event.kind === "isolate" || event.kind === "crash") && event.durationMs !== undefined) {
      open(placed);
    } else if (event.kind === "partition" || event.kind === "isolate") {
      openNetwork.push(open(placed));
    } else if (event.kind === "heal") {
      // A heal undoes every open partition; it pairs with the latest, the others stay open-ended.
      close(openNetwork.pop(), placed);
      openNetwork = [];
    } else if (event.kind === "crash") {
      openCrashes.set(event.host, open(placed));
    } else if (event.kind === "restart") {
      close(openCrashes.get(event.host), placed);
      openCrashes.delete(event.host);
    } else if (event.kind === "link-quality" && isPerfectLink(event)) {
      close(openQuality, placed);
      openQuality = undefined;
    } else if (event.kind === "link-quality") {
      openQuality = open(placed);
    } else {
      open(placed);
    }
  }
  return episodes;
}

/**
 * The plan of `episodes`, sorted by time then original position (no origin: a shrunk plan is no longer the
 * generator's).
 */
export function planOf(episodes: readonly Episode[]): FaultPlan {
  const placed = episodes.flatMap((episode) =>
    episode.end === undefined ? [episode.start] : [episode.start, episode.end],
  );
  placed.sort((a, b) => a.event.atMs - b.event.atMs || a.order - b.order);
  return { version: FAULT_PLAN_VERSION, faults: placed.map((entry) => entry.event) };
}

/** How long the episode's fault lasts: until its undo, or its own `durationMs`; undefined for instant faults. */
export function episodeDurationMs(episode: Episode): number | undefined {
  const start = episode.start.event;
  if (episode.end !== undefined) return episode.end.event.atMs - start.atMs;
  return "durationMs" in start ? start.durationMs : undefined;
}

/** The episode with its fault lasting `durationMs` (the undo moves; the start stays). */
export function withDurationMs(episode: Episode, durationMs: number): Episode {
  const { start, end } = episode;
  if (end !== undefined)
    return { start, end: { event: { ...end.event, atMs: start.event.atMs + durationMs }, order: end.order } };
  if ("durationMs" in start.event) return { start: { event: { ...start.event, durationMs }, order: start.order } };
  return episode;
}

/** The episode moved to start at `atMs`, its undo moving with it. */
export function movedTo(episode: Episode, atMs: number): Episode {
  const { start, end } = episode;
  const shiftMs = atMs - start.event.atMs;
  const moved = { event: { ...start.event, atMs }, order: start.order };
  if (end === undefined) return { start: moved };
  return { start: moved, end: { event: { ...end.event, atMs: end.event.atMs + shiftMs }, order: end.order } };
}

/** Every host an episode's events name (targets, partition groups, link ends). */
export function episodeHosts(episode: Episode): string[] {
  const hosts: string[] = [];
  for (const { event } of episode.end === undefined ? [episode.start] : [episode.start, episode.end]) {
    if ("host" in event) hosts.push(event.host);
    if (event.kind === "partition") hosts.push(...event.groups.flat());
    if (event.kind === "isolate" && event.from !== undefined) hosts.push(...event.from);
    if ((event.kind === "clog" || event.kind === "link-quality") && event.from !== undefined) hosts.push(event.from);
    if ((event.kind === "clog" || event.kind === "link-quality") && event.to !== undefined) hosts.push(event.to);
  }
  return hosts;
}

/** The plan without the events at or after `untilMs`: they would strike only after the safety phase. */
export function planBefore(plan: FaultPlan, untilMs: number): FaultPlan {
  return { version: FAULT_PLAN_VERSION, faults: plan.faults.filter((event) => event.atMs < untilMs) };
}

function isPerfectLink(event: Extract<FaultEvent, { kind: "link-quality" }>): boolean {
  const probabilities = [event.lossProbability, event.duplicateProbability, event.reorderProbability];
  return (
    probabilities.every((probability) => probability === undefined || probability === 0) &&
    (event.latencyMsMean === undefined || event.latencyMsMean === DEFAULT_LATENCY_MS_MEAN)
  );
}
