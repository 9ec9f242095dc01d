/**
 * Targeted fault plans for the raft-kv properties: bursts that crash a majority of
 * the servers within a few milliseconds of each other (so that a write a server
 * acknowledged but had not yet made durable is lost when the variant acknowledges
 * before its fsync), then restart them one group at a time (so that the servers
 * that lost it elect a leader among themselves before the last one returns); plus
 * partitions that force leader changes while entries of an earlier term are not
 * yet committed (Raft's Figure 8).
 */
import fc from "fast-check";
import { FAULT_PLAN_VERSION, normalizePlan, type FaultEvent, type FaultPlan } from "../../../../src/sim/faults/plan.ts";

export interface BurstPlanOptions {
  readonly hosts: readonly string[];
  /** The plan's events all happen before this time (the run's safety phase). */
  readonly durationMs: number;
  readonly maxBursts?: number;
  readonly maxPartitions?: number;
}

/** One crash burst: `first` crash together, `last` a few ms later; `first` restart, then `last` much later. */
function crashBurst(hosts: readonly string[], durationMs: number): fc.Arbitrary<FaultEvent[]> {
  const majority = Math.floor(hosts.length / 2) + 1;
  return fc
    .record({
      atMs: fc.integer({ min: 50, max: Math.max(50, durationMs - 800) }),
      order: fc.shuffledSubarray([...hosts], { minLength: hosts.length, maxLength: hosts.length }),
      spreadMs: fc.integer({ min: 0, max: 1 }),
      lastAfterMs: fc.integer({ min: 0, max: 20 }),
      downMs: fc.integer({ min: 5, max: 100 }),
      lastDownMs: fc.integer({ min: 300, max: 700 }),
    })
    .map(({ atMs, order, spreadMs, lastAfterMs, downMs, lastDownMs }): FaultEvent[] => {
      const first = order.slice(0, majority);
      const last = order.slice(majority);
      const events: FaultEvent[] = [];
      first.forEach((host, position) => events.push({ atMs: atMs + position * spreadMs, kind: "crash", host }));
      const lastAt = atMs + (first.length - 1) * spreadMs + lastAfterMs;
      last.forEach((host) => events.push({ atMs: lastAt, kind: "crash", host }));
      first.forEach((host) => events.push({ atMs: lastAt + downMs, kind: "restart", host }));
      last.forEach((host) =>
        events.push({ atMs: Math.min(durationMs, lastAt + downMs + lastDownMs), kind: "restart", host }),
      );
      return events;
    });
}

/** A partition that cuts one host off for a while, then heals. */
function partition(hosts: readonly string[], durationMs: number): fc.Arbitrary<FaultEvent[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: durationMs - 1 }), fc.integer({ min: 20, max: 400 }), fc.constantFrom(...hosts))
    .map(([atMs, lengthMs, host]): FaultEvent[] => [
      { atMs, kind: "partition", groups: [[host], hosts.filter((other) => other !== host)] },
      { atMs: Math.min(durationMs, atMs + lengthMs), kind: "heal" },
    ]);
}

/** Plans of crash bursts and partitions (at least one burst), sorted by time. */
export function burstPlanArbitrary(options: BurstPlanOptions): fc.Arbitrary<FaultPlan> {
  const { hosts, durationMs } = options;
  return fc
    .tuple(
      fc.array(crashBurst(hosts, durationMs), { minLength: 1, maxLength: options.maxBursts ?? 3 }),
      fc.array(partition(hosts, durationMs), { maxLength: options.maxPartitions ?? 2 }),
    )
    .map(([bursts, partitions]) =>
      normalizePlan({ version: FAULT_PLAN_VERSION, faults: [...bursts.flat(), ...partitions.flat()] }),
    );
}
