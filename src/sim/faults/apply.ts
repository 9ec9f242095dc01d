/**
 * Applies a fault plan to a world: each event is scheduled at its virtual time, and
 * every fault has its undo (heal, unclog, resume, restart, faults off; an isolation
 * or a crash with its own duration is undone alone when it ends). `healAll` undoes
 * everything at once: the switch from the safety phase to the liveness phase.
 *
 * Events aimed at a role ("@leader") strike the host that holds it when they apply,
 * or, with `next`, the role's next holder: such an event waits from its time on,
 * and the runner calls `watch` after every step so that it strikes in the very step
 * in which a host takes the role (a new leader is cut off before its first entries
 * leave). `healAll` drops what is pending when it is called: events waiting for a
 * holder, strikes delayed, crashes' own restarts (it restarts every host itself) and
 * isolations' own undos (it lifted them); events planned after it apply as planned.
 */
import type { World } from "../world.ts";
import { latencyWithMean, type LinkBlock } from "../net/links.ts";
import type { DiskFaultRates, FaultEvent, FaultPlan } from "./plan.ts";

/** What the plan needs from the disks (the world knows no disk implementation). */
export interface DiskFaultTarget {
  setDiskFaults(host: string, rates: DiskFaultRates | undefined): void;
}

export interface FaultApplier {
  /**
   * Undoes every fault: heal partitions, unclog, resume, restart, disk faults off, default link quality; disarms
   * waiting events.
   */
  healAll(): void;
  /**
   * Strikes the events waiting for a role's next holder whose host took the role since the last call (call after every
   * step).
   */
  watch(): void;
}

/** The kinds of event that may wait for a role's next holder. */
type RoleEvent = Extract<FaultEvent, { kind: "isolate" | "crash" | "pause" }>;

/** An event waiting for its role's next holder. */
interface Waiting {
  readonly planned: RoleEvent;
  /** The role's holder at the last look (undefined: nobody). */
  holder: string | undefined;
  /** New holders still to let pass before striking. */
  passes: number;
  done: boolean;
}

export function applyPlan(world: World, plan: FaultPlan, disks?: DiskFaultTarget): FaultApplier {
  const state: ApplyState = { world, disks, diskFaultsUntil: new Map(), pausedUntil: new Map(), healAlls: 0 };
  let waiting: Waiting[] = [];
  for (const planned of plan.faults) {
    world.scheduler.at(
      Math.max(planned.atMs, world.now),
      () => {
        if (isRoleEvent(planned) && planned.next !== undefined) {
          waiting.push(wait(state, planned, planned.next.withinMs));
          return;
        }
        strike(state, planned, resolveRoles(world, planned));
      },
      { wakes: true },
    );
  }
  return {
    healAll: () => {
      state.healAlls++;
      for (const entry of waiting) entry.done = true;
      waiting = [];
      world.record(undefined, "fault.heal-all");
      world.network.heal();
      world.links.unclogAll();
      world.links.resetQuality();
      for (const host of world.hosts) {
        if (host.state === "paused") host.resume();
        if (host.state === "down" && host.main !== undefined) host.start();
        disks?.setDiskFaults(host.name, undefined);
      }
      state.diskFaultsUntil.clear();
      state.pausedUntil.clear();
    },
    watch: () => {
      if (waiting.length === 0) return;
      for (const entry of waiting) if (!entry.done) look(state, entry);
      waiting = waiting.filter((entry) => !entry.done);
    },
  };
}

/** One look at a waiting event's role: a host newly holding it is let pass, or struck (now or after the delay). */
function look(state: ApplyState, entry: Waiting): void {
  const holder = state.world.resolveTarget(entry.planned.host);
  const taken = holder !== undefined && holder !== entry.holder;
  entry.holder = holder;
  if (!taken) return;
  if (entry.passes > 0) {
    entry.passes--;
    return;
  }
  entry.done = true;
  const event = { ...entry.planned, host: holder };
  const delayMs = entry.planned.next?.delayMs ?? 0;
  if (delayMs === 0) {
    strike(state, entry.planned, event);
    return;
  }
  const healAlls = state.healAlls;
  state.world.scheduler.schedule(
    delayMs,
    () => {
      if (state.healAlls === healAlls) strike(state, entry.planned, event);
    },
    { wakes: true },
  );
}

interface ApplyState {
  readonly world: World;
  readonly disks: DiskFaultTarget | undefined;
  readonly diskFaultsUntil: Map<string, number>;
  readonly pausedUntil: Map<string, number>;
  /** Counts healAll calls: what was pending at one (a strike delayed, a crash's own restart) is dropped. */
  healAlls: number;
}

/** Starts waiting for the next holder of `planned`'s role; the wait ends unfulfilled after `withinMs`. */
function wait(state: ApplyState, planned: RoleEvent, withinMs: number): Waiting {
  const entry: Waiting = {
    planned,
    holder: state.world.resolveTarget(planned.host),
    passes: (planned.next?.nth ?? 1) - 1,
    done: false,
  };
  state.world.scheduler.schedule(withinMs, () => {
    if (entry.done) return;
    entry.done = true;
    state.world.record(undefined, "fault.skipped", { ...describe(planned), reason: "nobody took the role in time" });
  });
  return entry;
}

/** Applies `event` (planned as `planned`), or traces that it was skipped because nobody holds its role. */
function strike(state: ApplyState, planned: FaultEvent, event: FaultEvent | undefined): void {
  if (event === undefined) {
    state.world.record(undefined, "fault.skipped", { ...describe(planned), reason: "nobody holds the role" });
    return;
  }
  state.world.record(hostOf(event), `fault.${event.kind}`, describe(planned));
  applyEvent(state, event);
}

function applyEvent(state: ApplyState, event: FaultEvent): void {
  const { world } = state;
  switch (event.kind) {
    case "partition":
      world.network.partition(
        event.groups.map((group) => group.filter((host) => world.hasHost(host))),
        event.oneWay ?? false,
      );
      return;
    case "isolate":
      isolate(state, event);
      return;
    case "heal":
      world.network.heal();
      return;
    case "clog":
      world.links.clog(event.from, event.to, world.now + event.durationMs);
      return;
    case "crash":
      crash(state, event);
      return;
    case "restart":
      restart(world, event.host);
      return;
    case "pause":
      pause(state, event);
      return;
    case "clock-skew": {
      if (!world.hasHost(event.host)) return;
      const clock = world.host(event.host).clock;
      if (event.offsetMs !== undefined) clock.skew(event.offsetMs);
      if (event.drift !== undefined) clock.setDrift(event.drift);
      return;
    }
    case "link-quality":
      setLinkQuality(world, event);
      return;
    case "disk-faults":
      diskFaults(state, event);
      return;
  }
}

/**
 * Cuts the host off (from everyone, or from `from`; both ways, or outbound only); with a duration, undoes that cut
 * alone when it ends.
 */
function isolate(state: ApplyState, event: Extract<FaultEvent, { kind: "isolate" }>): void {
  const { world } = state;
  if (!world.hasHost(event.host)) return;
  if (event.from === undefined && event.durationMs === undefined && event.outbound !== true) {
    world.network.isolate(event.host);
    return;
  }
  const block: LinkBlock = world.network.cutOff(
    event.host,
    event.from?.filter((host) => world.hasHost(host)),
    event.outbound ?? false,
  );
  if (event.durationMs === undefined) return;
  world.scheduler.schedule(event.durationMs, () => {
    if (world.network.unblock(block))
      world.record(event.host, "fault.isolate-end", { from: event.from ?? "all", outbound: event.outbound ?? false });
  });
}

/** Crashes the host; with a duration, restarts it when that ends (unless it runs again by then). */
function crash(state: ApplyState, event: Extract<FaultEvent, { kind: "crash" }>): void {
  const { world } = state;
  if (!world.hasHost(event.host)) return;
  world.host(event.host).crash();
  if (event.durationMs === undefined) return;
  const healAlls = state.healAlls;
  world.scheduler.schedule(event.durationMs, () => {
    if (state.healAlls !== healAlls) return;
    world.record(event.host, "fault.restart", { host: event.host, after: "crash" });
    restart(world, event.host);
  });
}

function restart(world: World, name: string): void {
  if (!world.hasHost(name)) return;
  const host = world.host(name);
  if (host.state === "down" && host.main !== undefined) host.start();
}

function pause(state: ApplyState, event: Extract<FaultEvent, { kind: "pause" }>): void {
  const { world, pausedUntil } = state;
  if (!world.hasHost(event.host)) return;
  const host = world.host(event.host);
  host.pause();
  // Overlapping pauses: the host resumes when the last of them ends.
  const until = Math.max(pausedUntil.get(event.host) ?? 0, world.now + event.durationMs);
  pausedUntil.set(event.host, until);
  world.scheduler.schedule(event.durationMs, () => {
    if (pausedUntil.get(event.host) === until) host.resume();
  });
}

function setLinkQuality(world: World, event: Extract<FaultEvent, { kind: "link-quality" }>): void {
  const quality: Parameters<World["links"]["setQuality"]>[0] = {};
  if (event.lossProbability !== undefined) quality.lossProbability = event.lossProbability;
  if (event.duplicateProbability !== undefined) quality.duplicateProbability = event.duplicateProbability;
  if (event.reorderProbability !== undefined) quality.reorderProbability = event.reorderProbability;
  if (event.latencyMsMean !== undefined) {
    quality.latency = latencyWithMean(event.latencyMsMean);
  }
  world.links.setQuality(quality, event.from, event.to);
}

function diskFaults(state: ApplyState, event: Extract<FaultEvent, { kind: "disk-faults" }>): void {
  const { world, disks, diskFaultsUntil } = state;
  if (disks === undefined || !world.hasHost(event.host)) return;
  disks.setDiskFaults(event.host, event.rates);
  const until = world.now + event.durationMs;
  diskFaultsUntil.set(event.host, until);
  world.scheduler.schedule(event.durationMs, () => {
    if (diskFaultsUntil.get(event.host) === until) disks.setDiskFaults(event.host, undefined);
  });
}

function isRoleEvent(event: FaultEvent): event is RoleEvent {
  return event.kind === "isolate" || event.kind === "pause" || event.kind === "crash";
}

/**
 * The event with a role target ("@leader") replaced by the host that holds the role now; undefined when nobody does.
 */
function resolveRoles(world: World, event: FaultEvent): FaultEvent | undefined {
  if (!isRoleEvent(event) || !event.host.startsWith("@")) return event;
  const host = world.resolveTarget(event.host);
  return host === undefined ? undefined : { ...event, host };
}

function hostOf(event: FaultEvent): string | undefined {
  return "host" in event ? event.host : undefined;
}

function describe(event: FaultEvent): Record<string, unknown> {
  const { atMs: _atMs, kind: _kind, ...rest } = event;
  return rest;
}
