// Durability: after any sequence of disk operations and a crash at any point, the disk holds exactly the reference
// model's durable state (every synced byte whose directory entries were synced, nothing beyond), or with torn writes
// each file lies between its durable and its live content as a sector-cut prefix of its pending writes.
// Faults: an injected fault surfaces as its promised DiskError (EIO, ENOSPC) and changes no stored data; a corrupted
// read changes only the returned copy; a lost write reports success and stores nothing.
// Determinism: the same seed and the same operations give the same outcomes, the same trace and the same final disk.
// Lifetime: no operation of a dead incarnation (issued before or after its death) ever settles or takes effect.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import type { FileHandle } from "../../src/sim/env.ts";
import { bytesEqual } from "../../src/sim/disk/disk-snapshot.ts";
import type { DiskSnapshot } from "../../src/sim/disk/disk-snapshot.ts";
import type { DiskFaults } from "../../src/sim/disk/disk-faults.ts";
import { brokenDisks } from "./_fixtures/broken-disks.ts";
import {
  diskWorkload,
  emptySlots,
  MAXIMUM_WORKLOAD_COMMANDS,
  runCommand,
  runOnDisk,
  startCommand,
} from "./_fixtures/disk-commands.ts";
import type { Slots } from "./_fixtures/disk-commands.ts";
import { ReferenceDisk } from "./_fixtures/disk-reference-model.ts";
import type { ReferenceRecovery } from "./_fixtures/disk-reference-model.ts";
import { directoriesOf, DiskRig, filesOf, outcomeCode, shippingDisk, track } from "./_fixtures/disk-rig.ts";
import type { DiskFactory, Outcome } from "./_fixtures/disk-rig.ts";
import { faultCommand, checkFaultCommand } from "./_fixtures/disk-fault-commands.ts";

const NUM_RUNS = 100;
/** A broken variant must fail within this many runs; the first failure ends the search. */
const BROKEN_NUM_RUNS = 200;

// ---------------------------------------------------------------------------
// 1. Durability

const durabilityCase = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  commands: diskWorkload,
  /** Where the crash happens: mostly after the last command, else after any prefix. */
  crashAt: fc.oneof(
    { arbitrary: fc.constant(Number.MAX_SAFE_INTEGER), weight: 2 },
    { arbitrary: fc.nat({ max: MAXIMUM_WORKLOAD_COMMANDS }), weight: 1 },
  ),
  crashInFlight: fc.boolean(),
  tornWrites: fc.boolean(),
});
type DurabilityCase = typeof durabilityCase extends fc.Arbitrary<infer T> ? T : never;

/** How often the shipping runs reached the situations the property is about (asserted after the run). */
const durabilityCoverage = { syncedBytesSurvived: 0, volatileEntryLost: 0, volatileDataLost: 0, tornPrefixKept: 0 };

function noteCoverage(model: ReferenceDisk, recovered: DiskSnapshot): void {
  const live = model.live();
  const durable = model.recovery(false);
  if ([...recovered.files.values()].some((content) => content.length > 0)) durabilityCoverage.syncedBytesSurvived++;
  const livePaths = [...live.files.keys(), ...live.directories].sort().join();
  const durablePaths = [...durable.files.keys(), ...durable.directories].sort().join();
  if (livePaths !== durablePaths) durabilityCoverage.volatileEntryLost++;
  for (const [path, content] of recovered.files) {
    const liveContent = live.files.get(path);
    const durableContent = durable.files.get(path)?.[0];
    if (liveContent === undefined || durableContent === undefined) continue;
    if (!bytesEqual(liveContent, durableContent)) durabilityCoverage.volatileDataLost++;
    if (!bytesEqual(content, durableContent) && !bytesEqual(content, liveContent)) durabilityCoverage.tornPrefixKept++;
  }
}

async function durabilityHolds(factory: DiskFactory, testCase: DurabilityCase): Promise<void> {
  const rig = new DiskRig({
    seed: `durability-${testCase.seed}`,
    factory,
    faults: { tornWriteProbability: testCase.tornWrites ? 1 : 0 },
  });
  const model = new ReferenceDisk();
  const slots = emptySlots();
  const crashAt = Math.min(testCase.crashAt, testCase.commands.length);
  for (const command of testCase.commands.slice(0, crashAt)) {
    const { simulated, expected } = await runCommand(rig, model, slots, command);
    expect(simulated, JSON.stringify(command)).toBe(expected);
  }
  const live = model.live();
  expect(filesOf(rig.disk.liveSnapshot())).toEqual(filesOf(live));
  expect(directoriesOf(rig.disk.liveSnapshot())).toEqual(directoriesOf(live));
  expectRecovered(rig.disk.durableSnapshot(), model.recovery(false));

  const inFlightCommand = testCase.crashInFlight ? testCase.commands[crashAt] : undefined;
  const started = inFlightCommand === undefined ? undefined : startCommand(rig.view, slots, inFlightCommand);
  const inFlight = started === undefined ? undefined : track(started);
  rig.restart(true);
  await rig.scheduler.run();
  expect(inFlight?.().settled ?? false, "an operation in flight at the crash settled").toBe(false);
  const recovered = rig.disk.liveSnapshot();
  expectRecovered(recovered, model.recovery(testCase.tornWrites));
  if (factory === shippingDisk) noteCoverage(model, recovered);
}

function expectRecovered(actual: DiskSnapshot, expected: ReferenceRecovery): void {
  expect(directoriesOf(actual)).toEqual([...expected.directories].sort());
  expect([...actual.files.keys()].sort()).toEqual([...expected.files.keys()].sort());
  for (const [path, content] of actual.files) {
    const allowed = expected.files.get(path) ?? [];
    expect(
      allowed.some((variant) => bytesEqual(variant, content)),
      `${path}: ${content.length} bytes that the model does not allow`,
    ).toBe(true);
  }
}

describe("disk durability", () => {
  it("a crash leaves exactly the durable state (torn writes: a sector-cut prefix of pending writes)", async () => {
    await fc.assert(
      fc.asyncProperty(durabilityCase, (testCase) => durabilityHolds(shippingDisk, testCase)),
      propertyParameters("disk durability", NUM_RUNS),
    );
    expect(durabilityCoverage.syncedBytesSurvived, "runs where synced bytes survived").toBeGreaterThan(NUM_RUNS / 4);
    expect(durabilityCoverage.volatileEntryLost, "runs where a volatile directory entry was lost").toBeGreaterThan(
      NUM_RUNS / 10,
    );
    expect(durabilityCoverage.volatileDataLost, "files whose unsynced data was lost").toBeGreaterThan(NUM_RUNS / 10);
    expect(durabilityCoverage.tornPrefixKept, "files that kept a strict torn prefix").toBeGreaterThan(0);
  });

  for (const variant of ["sync-is-noop", "directory-sync-is-noop"] as const) {
    it(`fails on the broken variant ${variant}`, async () => {
      const details = await fc.check(
        fc.asyncProperty(durabilityCase, (testCase) => durabilityHolds(brokenDisks[variant], testCase)),
        propertyParameters(`disk durability broken ${variant}`, BROKEN_NUM_RUNS, { endOnFailure: true }),
      );
      expect(details.failed).toBe(true);
    });
  }
});

// ---------------------------------------------------------------------------
// 2. Faults

const probability = fc.constantFrom(0, 0.3, 1);
const faultCase = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  capacityBytes: fc.integer({ min: 1000, max: 6000 }),
  faults: fc.record({
    readErrorProbability: probability,
    writeErrorProbability: probability,
    syncErrorProbability: probability,
    readCorruptionProbability: probability,
    lostWriteProbability: probability,
  }),
  commands: fc.array(faultCommand, { minLength: 1, maxLength: 25 }),
});
type FaultCase = typeof faultCase extends fc.Arbitrary<infer T> ? T : never;

/** Faults injected over the shipping runs, by kind (each kind must have been exercised). */
const injectedOverRuns: Record<string, number> = {};

async function faultsSurfaceAsPromised(factory: DiskFactory, testCase: FaultCase): Promise<void> {
  const rig = new DiskRig({ seed: `faults-${testCase.seed}`, factory, capacityBytes: testCase.capacityBytes });
  await rig.must((disk) => disk.writeFile("/f", new Uint8Array(800).fill(0x5a)));
  const handle = await rig.must((disk) => disk.open("/f"));
  await rig.must(() => handle.sync());
  await rig.must((disk) => disk.syncDirectory("/"));
  rig.disk.setFaults(testCase.faults satisfies Partial<DiskFaults>);
  for (const command of testCase.commands) await checkFaultCommand(rig, handle, testCase.faults, command);
  if (factory !== shippingDisk) return;
  for (const [kind, count] of Object.entries(rig.disk.stats().injectedFaults))
    injectedOverRuns[kind] = (injectedOverRuns[kind] ?? 0) + count;
}

describe("disk faults", () => {
  it("faults surface as the promised errors and never change stored data", async () => {
    await fc.assert(
      fc.asyncProperty(faultCase, (testCase) => faultsSurfaceAsPromised(shippingDisk, testCase)),
      propertyParameters("disk faults", NUM_RUNS),
    );
    for (const kind of ["readErrors", "writeErrors", "syncErrors", "noSpaceErrors", "readCorruptions", "lostWrites"]) {
      expect(injectedOverRuns[kind] ?? 0, `${kind} injected over the runs`).toBeGreaterThan(NUM_RUNS / 10);
    }
  });

  for (const variant of ["corruption-persists", "write-error-applies"] as const) {
    it(`fails on the broken variant ${variant}`, async () => {
      const details = await fc.check(
        fc.asyncProperty(faultCase, (testCase) => faultsSurfaceAsPromised(brokenDisks[variant], testCase)),
        propertyParameters(`disk faults broken ${variant}`, BROKEN_NUM_RUNS, { endOnFailure: true }),
      );
      expect(details.failed).toBe(true);
    });
  }
});

// ---------------------------------------------------------------------------
// 3. Determinism

const determinismCase = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  faults: fc.record({
    writeErrorProbability: probability,
    syncErrorProbability: probability,
    lostWriteProbability: probability,
    tornWriteProbability: probability,
  }),
  /** A workload cut into rounds of `roundSize` commands, each round issued concurrently. */
  rounds: fc
    .record({ workload: diskWorkload, roundSize: fc.integer({ min: 1, max: 4 }) })
    .map(({ workload, roundSize }) => chunks(workload, roundSize)),
  crashAfterRound: fc.nat({ max: 16 }),
});
function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

type DeterminismCase = typeof determinismCase extends fc.Arbitrary<infer T> ? T : never;

/**
 * Runs each round's commands concurrently (so latency decides their order), crashing once; returns everything
 * observable.
 */
async function observe(factory: DiskFactory, testCase: DeterminismCase): Promise<unknown> {
  const rig = new DiskRig({ seed: `determinism-${testCase.seed}`, factory, faults: testCase.faults });
  let slots = emptySlots();
  const outcomes: string[] = [];
  for (const [index, round] of testCase.rounds.entries()) {
    const started = round.map((command) => ({
      command,
      outcome: trackOptional(startCommand(rig.view, slots, command)),
    }));
    await rig.scheduler.run();
    for (const { command, outcome } of started) {
      outcomes.push(`${command.kind}:${outcome === undefined ? "skip" : outcomeCode(outcome())}`);
      if (command.kind === "open" && outcome !== undefined) adoptHandle(slots, command.slot, outcome());
    }
    if (index === testCase.crashAfterRound) {
      rig.restart(true);
      slots = emptySlots();
    }
  }
  const snapshot = rig.disk.liveSnapshot();
  return {
    outcomes,
    traces: rig.traces,
    files: filesOf(snapshot),
    directories: directoriesOf(snapshot),
    stats: rig.disk.stats(),
    time: rig.scheduler.now,
  };
}

function trackOptional(promise: Promise<unknown> | undefined): (() => Outcome<unknown>) | undefined {
  return promise === undefined ? undefined : track(promise);
}

function adoptHandle(slots: Slots, slot: number, outcome: Outcome<unknown>): void {
  if (outcome.settled && outcome.ok) slots.handles[slot] = outcome.value as FileHandle;
}

async function sameSeedSameRun(factory: DiskFactory, testCase: DeterminismCase): Promise<void> {
  const first = await observe(factory, testCase);
  const second = await observe(factory, testCase);
  expect(second).toEqual(first);
}

describe("disk determinism", () => {
  it("the same seed and operations give the same outcomes, trace and disk", async () => {
    await fc.assert(
      fc.asyncProperty(determinismCase, (testCase) => sameSeedSameRun(shippingDisk, testCase)),
      propertyParameters("disk determinism", NUM_RUNS),
    );
  });

  it("fails on the broken variant process-wide-random", async () => {
    const details = await fc.check(
      fc.asyncProperty(determinismCase, (testCase) => sameSeedSameRun(brokenDisks["process-wide-random"], testCase)),
      propertyParameters("disk determinism broken process-wide-random", BROKEN_NUM_RUNS, { endOnFailure: true }),
    );
    expect(details.failed).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// 4. Lifetime

const lifetimeCase = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  setup: diskWorkload,
  inFlight: diskWorkload.map((commands) => commands.slice(0, 6)),
  afterDeath: diskWorkload.map((commands) => commands.slice(0, 6)),
  crash: fc.boolean(),
});
type LifetimeCase = typeof lifetimeCase extends fc.Arbitrary<infer T> ? T : never;

async function deadIncarnationNeverSettles(factory: DiskFactory, testCase: LifetimeCase): Promise<void> {
  const rig = new DiskRig({ seed: `lifetime-${testCase.seed}`, factory });
  const slots = emptySlots();
  for (const command of testCase.setup) await runOnDisk(rig, slots, command);
  // The file every in-flight operation may target: one open handle, so that handle operations are exercised.
  const anchor = await rig.run((disk) => disk.open("/anchor", { create: true }));
  if (anchor.settled && anchor.ok)
    slots.handles = slots.handles.map((handle) => handle ?? (anchor.value as FileHandle));
  const liveBefore = rig.disk.liveSnapshot();
  const durableBefore = rig.disk.durableSnapshot();
  const operationsBefore = rig.disk.stats().operations;

  const pending = testCase.inFlight.map((command) => trackOptional(startCommand(rig.view, slots, command)));
  const deadView = rig.view;
  rig.context.kill();
  if (testCase.crash) rig.disk.crash();
  for (const command of testCase.afterDeath) pending.push(trackOptional(startCommand(deadView, slots, command)));
  await rig.scheduler.run();

  for (const outcome of pending)
    expect(outcome?.().settled ?? false, "an operation of a dead incarnation settled").toBe(false);
  expect(rig.disk.stats().operations).toBe(operationsBefore);
  const expected = testCase.crash ? durableBefore : liveBefore;
  expect(filesOf(rig.disk.liveSnapshot())).toEqual(filesOf(expected));
  expect(directoriesOf(rig.disk.liveSnapshot())).toEqual(directoriesOf(expected));

  rig.restart(false);
  const fresh = await rig.run((disk) => disk.list("/"));
  expect(fresh.settled, "a new incarnation's operation did not settle").toBe(true);
}

describe("disk lifetime", () => {
  it("operations of a dead incarnation never settle and never take effect", async () => {
    await fc.assert(
      fc.asyncProperty(lifetimeCase, (testCase) => deadIncarnationNeverSettles(shippingDisk, testCase)),
      propertyParameters("disk lifetime", NUM_RUNS),
    );
  });

  it("fails on the broken variant unowned-completions", async () => {
    const details = await fc.check(
      fc.asyncProperty(lifetimeCase, (testCase) =>
        deadIncarnationNeverSettles(brokenDisks["unowned-completions"], testCase),
      ),
      propertyParameters("disk lifetime broken unowned-completions", BROKEN_NUM_RUNS, { endOnFailure: true }),
    );
    expect(details.failed).toBe(true);
  });
});
