/**
 * Applies a fault plan to a world: each event is scheduled at its virtual time, and
 * every fault has its undo (heal, unclog, resume, restart, faults off). `healAll`
 * undoes everything at once: the switch from the safety phase to the liveness phase.
 */
import type { World } from "../world.ts";
import type { DiskFaultRates, FaultEvent, FaultPlan } from "./plan.ts";

/** What the plan needs from the disks (the world knows no disk implementation). */
export interface DiskFaultTarget {
  setDiskFaults(host: string, rates: DiskFaultRates | undefined): void;
}

export interface FaultApplier {
  /** Undoes every fault: heal partitions, unclog, resume, restart, disk faults off, default link quality. */
  healAll(): void;
}

export function applyPlan(world: World, plan: FaultPlan, disks?: DiskFaultTarget): FaultApplier {
  const diskFaultsUntil = new Map<string, number>();
  const pausedUntil = new Map<string, number>();
  for (const planned of plan.faults) {
    world.scheduler.at(Math.max(planned.atMs, world.now), () => {
      const event = resolveRoles(world, planned);
      if (event === undefined) {
        world.record(undefined, "fault.skipped", { ...describe(planned), reason: "nobody holds the role" });
        return;
      }
      world.record(hostOf(event), `fault.${event.kind}`, describe(planned));
      applyEvent(world, event, disks, diskFaultsUntil, pausedUntil);
    }, { wakes: true });
  }
  return {
    healAll: () => {
      world.record(undefined, "fault.heal-all");
      world.network.heal();
      world.links.unclogAll();
      world.links.resetQuality();
      for (const host of world.hosts) {
        if (host.state === "paused") host.resume();
        if (host.state === "down" && host.main !== undefined) host.start();
        disks?.setDiskFaults(host.name, undefined);
      }
      diskFaultsUntil.clear();
      pausedUntil.clear();
    },
  };
}

function applyEvent(world: World, event: FaultEvent, disks: DiskFaultTarget | undefined, diskFaultsUntil: Map<string, number>, pausedUntil: Map<string, number>): void {
  switch (event.kind) {
    case "partition":
      world.network.partition(event.groups.map((group) => group.filter((host) => world.hasHost(host))), event.oneWay ?? false);
      return;
    case "isolate":
      if (world.hasHost(event.host)) world.network.isolate(event.host);
      return;
    case "heal":
      world.network.heal();
      return;
    case "clog":
      world.links.clog(event.from, event.to, world.now + event.durationMs);
      return;
    case "crash":
      if (world.hasHost(event.host)) world.host(event.host).crash();
      return;
    case "restart": {
      if (!world.hasHost(event.host)) return;
      const host = world.host(event.host);
      if (host.state === "down" && host.main !== undefined) host.start();
      return;
    }
    case "pause": {
      if (!world.hasHost(event.host)) return;
      const host = world.host(event.host);
      host.pause();
      // Overlapping pauses: the host resumes when the last of them ends.
      const until = Math.max(pausedUntil.get(event.host) ?? 0, world.now + event.durationMs);
      pausedUntil.set(event.host, until);
      world.scheduler.schedule(event.durationMs, () => {
        if (pausedUntil.get(event.host) === until) host.resume();
      });
      return;
    }
    case "clock-skew": {
      if (!world.hasHost(event.host)) return;
      const clock = world.host(event.host).clock;
      if (event.offsetMs !== undefined) clock.skew(event.offsetMs);
      if (event.drift !== undefined) clock.setDrift(event.drift);
      return;
    }
    case "link-quality": {
      const quality: Parameters<World["links"]["setQuality"]>[0] = {};
      if (event.lossProbability !== undefined) quality.lossProbability = event.lossProbability;
      if (event.duplicateProbability !== undefined) quality.duplicateProbability = event.duplicateProbability;
      if (event.reorderProbability !== undefined) quality.reorderProbability = event.reorderProbability;
      if (event.latencyMsMean !== undefined) {
        quality.latency = { kind: "exponential", minMs: event.latencyMsMean / 4, meanMs: event.latencyMsMean, maxMs: event.latencyMsMean * 10 };
      }
      world.links.setQuality(quality, event.from, event.to);
      return;
    }
    case "disk-faults": {
      if (disks === undefined || !world.hasHost(event.host)) return;
      disks.setDiskFaults(event.host, event.rates);
      const until = world.now + event.durationMs;
      diskFaultsUntil.set(event.host, until);
      world.scheduler.schedule(event.durationMs, () => {
        if (diskFaultsUntil.get(event.host) === until) disks.setDiskFaults(event.host, undefined);
      });
      return;
    }
  }
}

/** The event with a role target ("@leader") replaced by the host that holds the role now; undefined when nobody does. */
function resolveRoles(world: World, event: FaultEvent): FaultEvent | undefined {
  if ((event.kind !== "isolate" && event.kind !== "pause") || !event.host.startsWith("@")) return event;
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
