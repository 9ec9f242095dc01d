/**
 * The catalogue's entries for the simulator's own broken fixtures that apply to a
 * whole run (a world, its scheduler, random streams, disks, RPC wire, swarm plans,
 * checker, supervisor, operator). None is swept: `dst variants` runs scenarios on the shipping
 * simulator, and the fixtures live beside the properties that catch them, off the
 * shipping path. Each reason says what a scenario would see if it ran on one.
 */
import { byProperty, type CatalogueEntry, type VariantComponent } from "./entry.ts";

/** Why a scenario's invariants cannot name a broken simulator, by what the fixture does to a run. */
const WHY = {
  milder:
    "it only removes or weakens what a run does (faults, waits, checks): runs get milder, and no invariant of a system can notice what did not happen; the simulator property judges the world from what was observed",
  tolerated:
    "it adds faults that a system must tolerate anyway: a correct system passes, so only the simulator property, which compares what was sent with what arrived, can tell it from a legitimate fault",
  blamed:
    "a correct system can fail under it, and a sweep reports that as the system's violation, never the simulator's: only the simulator property names the culprit",
  determinism:
    "no single run can see it: it shows only when two runs that should be the same (one seed twice, or one stream with and without another consumer) differ, which the property compares",
  misaimed:
    "it strikes another host than the fault names (a role's previous holder, or its new one a step late): a correct system survives that run as it would any other, so no invariant of a system can tell; the property compares each strike with the role's holder at that moment",
  recorded:
    "it changes only what a plan records about itself (the windows its fault shapes own), never what a run does: no invariant of a system can see it; the property reads the record against the plan's events",
  legal:
    "it gives a schedule that is still a legal one for the systems (ties at one instant in another order): only the scheduler property, which checks the order it promised, can see it",
} as const;

type Why = keyof typeof WHY;

function fixture(component: VariantComponent, variant: string, property: string, why: Why): CatalogueEntry {
  return byProperty(component, variant, property, WHY[why]);
}

const WORLDS: readonly CatalogueEntry[] = [
  fixture("sim-world", "driftIgnoringWorld", "properties/sim/scheduler.test.ts", "milder"),
  fixture("sim-world", "skewJumpsMonotonicWorld", "properties/sim/scheduler.test.ts", "blamed"),
  fixture("sim-world", "driftAppliedTwiceWorld", "properties/sim/clock.test.ts", "tolerated"),
  fixture("sim-world", "driftIgnoredWorld", "properties/sim/clock.test.ts", "milder"),
  fixture("sim-world", "driftWithoutReanchorWorld", "properties/sim/clock.test.ts", "blamed"),
  fixture("sim-world", "driftKeepsTimerPlansWorld", "properties/sim/clock.test.ts", "blamed"),
  fixture("sim-world", "ambientStateWorld", "properties/sim/determinism.test.ts", "determinism"),
  fixture("sim-world", "seedIgnoringWorld", "properties/sim/determinism.test.ts", "determinism"),
  fixture("sim-world", "partitionBlindWorld", "properties/sim/network.test.ts", "milder"),
  fixture("sim-world", "healIgnoringWorld", "properties/sim/network.test.ts", "blamed"),
  fixture("sim-world", "lossyLinksWorld", "properties/sim/network.test.ts", "tolerated"),
  fixture("sim-world", "duplicatingLinksWorld", "properties/sim/network.test.ts", "tolerated"),
  fixture("sim-world", "reorderingStreamsWorld", "properties/sim/network.test.ts", "blamed"),
  fixture("sim-world", "downHostsLookPartitionedWorld", "properties/sim/network.test.ts", "tolerated"),
  fixture("sim-world", "crashKeepsConnectionsWorld", "properties/sim/network.test.ts", "blamed"),
  fixture("sim-world", "reorderingDatagramsWorld", "properties/sim/network.test.ts", "tolerated"),
  fixture("sim-world", "noSynRetransmitWorld", "properties/sim/network.test.ts", "blamed"),
  fixture("sim-world", "partitionForgetsDirectionWorld", "properties/sim/network-observed.test.ts", "milder"),
  fixture("sim-world", "oneWayReversedWorld", "properties/sim/network-observed.test.ts", "tolerated"),
  fixture("sim-world", "partitionKeepsStreamsWorld", "properties/sim/network-observed.test.ts", "blamed"),
  fixture("sim-world", "pausedHostsReceiveWorld", "properties/sim/network-observed.test.ts", "milder"),
  fixture("sim-world", "crashKeepsDatagramHandlersWorld", "properties/sim/network-observed.test.ts", "blamed"),
  fixture("sim-world", "clogOnReverseLinkWorld", "properties/sim/network-observed.test.ts", "tolerated"),
  fixture("sim-world", "healLeavesOneLinkWorld", "properties/sim/network-observed.test.ts", "blamed"),
  fixture("sim-world", "undoOpensSharedLinksWorld", "properties/sim/network-observed.test.ts", "milder"),
  fixture("sim-world", "qualityOnReverseLinkWorld", "properties/sim/network-observed.test.ts", "tolerated"),
  fixture("sim-world", "latencyIgnoredWorld", "properties/sim/network-observed.test.ts", "milder"),
  fixture("sim-world", "latencyOnEveryLinkWorld", "properties/sim/network-observed.test.ts", "tolerated"),
  fixture("sim-world", "latencyReachesInFlightWorld", "properties/sim/network-observed.test.ts", "tolerated"),
  fixture("sim-world", "staleEnvWorld", "properties/sim/process.test.ts", "blamed"),
  fixture("sim-world", "unguardedEnvWorld", "properties/sim/process.test.ts", "milder"),
  fixture("sim-world", "pauseIgnoredWorld", "properties/sim/process.test.ts", "milder"),
  fixture("sim-world", "crashIgnoredWorld", "properties/sim/process.test.ts", "milder"),
  fixture("sim-world", "lateRoleWorld", "properties/sim/fault-roles.test.ts", "misaimed"),
];

const SCHEDULERS: readonly CatalogueEntry[] = [
  fixture("sim-scheduler", "EarlyFiringScheduler", "properties/sim/scheduler.test.ts", "blamed"),
  fixture("sim-scheduler", "IgnoringCancelScheduler", "properties/sim/scheduler.test.ts", "blamed"),
  fixture("sim-scheduler", "TieReversingScheduler", "properties/sim/scheduler.test.ts", "legal"),
  fixture("sim-scheduler", "UntilOvershootScheduler", "properties/sim/scheduler.test.ts", "milder"),
  fixture("sim-scheduler", "OffByOneGuardScheduler", "properties/sim/scheduler.test.ts", "milder"),
  fixture("sim-scheduler", "PredicateIgnoringScheduler", "properties/sim/scheduler.test.ts", "milder"),
  fixture("sim-scheduler", "ProcessEventsNeverYieldScheduler", "properties/sim/scheduler.test.ts", "blamed"),
  fixture("sim-scheduler", "NotedWakesIgnoredScheduler", "properties/sim/scheduler.test.ts", "blamed"),
  fixture("sim-scheduler", "DeadEventsRunScheduler", "properties/sim/process.test.ts", "blamed"),
  fixture("sim-scheduler", "PausedEventsRunScheduler", "properties/sim/process.test.ts", "milder"),
];

const RANDOMS: readonly CatalogueEntry[] = [
  fixture("sim-random", "AmbientShuffleRandom", "properties/sim/random.test.ts", "determinism"),
  fixture("sim-random", "SharedStateForkRandom", "properties/sim/random.test.ts", "determinism"),
  fixture("sim-random", "DrawSeededForkRandom", "properties/sim/random.test.ts", "determinism"),
  fixture("sim-random", "OffByOneIntRandom", "properties/sim/random.test.ts", "blamed"),
  fixture("sim-random", "DuplicatingShuffleRandom", "properties/sim/random.test.ts", "tolerated"),
];

const DISKS: readonly CatalogueEntry[] = [
  fixture("sim-disk", "sync-is-noop", "properties/sim/disk.test.ts", "blamed"),
  fixture("sim-disk", "directory-sync-is-noop", "properties/sim/disk.test.ts", "blamed"),
  fixture("sim-disk", "corruption-persists", "properties/sim/disk.test.ts", "tolerated"),
  fixture("sim-disk", "write-error-applies", "properties/sim/disk.test.ts", "tolerated"),
  fixture("sim-disk", "unowned-completions", "properties/sim/disk.test.ts", "blamed"),
  fixture("sim-disk", "process-wide-random", "properties/sim/disk.test.ts", "determinism"),
];

const REST: readonly CatalogueEntry[] = [
  fixture("sim-rpc", "sharingCopyFrame", "properties/sim/rpc-frame-copy.test.ts", "blamed"),
  fixture("sim-rpc", "utf16SizedCopyFrame", "properties/sim/rpc-frame-copy.test.ts", "milder"),
  fixture("sim-rpc", "idSwappingTransport", "properties/sim/rpc-property.test.ts", "blamed"),
  fixture("sim-swarm", "ambientSwarmPlan", "properties/sim/fault-plan.test.ts", "determinism"),
  fixture("sim-swarm", "majorityCrashingSwarmPlan", "properties/sim/fault-plan.test.ts", "blamed"),
  fixture("sim-swarm", "trespassingSwarmPlan", "properties/sim/fault-shapes.test.ts", "tolerated"),
  fixture("sim-swarm", "undoDroppingSwarmPlan", "properties/sim/fault-shapes.test.ts", "tolerated"),
  fixture("sim-swarm", "windowUnderstatingSwarmPlan", "properties/sim/fault-shapes.test.ts", "recorded"),
  fixture("sim-checker", "checkIgnoringRealTime", "properties/sim/check/real-time-order.test.ts", "milder"),
  fixture("scenario-supervisor", "cappedSupervise", "properties/scenarios/harness/supervisor.test.ts", "blamed"),
  fixture("scenario-operator", "WipeWithoutRemoval", "properties/scenarios/raft-kv/wipe-rejoin.test.ts", "blamed"),
];

/** Every simulator fixture that applies to a whole run. */
export const SIMULATOR_ENTRIES: readonly CatalogueEntry[] = [...WORLDS, ...SCHEDULERS, ...RANDOMS, ...DISKS, ...REST];
