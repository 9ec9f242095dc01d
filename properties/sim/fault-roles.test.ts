/**
 * Faults aimed at a role (src/sim/faults/apply.ts): "@leader" resolved when the
 * event applies, or, with `next`, at the role's next holder.
 *
 * Invariants, one sentence each:
 * - An event aimed at a role strikes the host that holds it at the event's time, and is skipped (traced) when nobody
 *   does.
 * - An event waiting for the role's next holder strikes the nth host to take the role after the event's time (a host
 *   that did not hold it at the look before), `delayMs` after it took it, provided it took it within `withinMs`;
 *   otherwise it is skipped; a heal-all drops what waits or is delayed at that moment, not what is planned after it.
 * - An isolation or a crash with its own duration is undone that long after it struck (the isolation's end traced, the
 *   host restarted), unless a heal-all came in between.
 *
 * Method: fast-check draws who holds the role when (changes at half milliseconds, so
 * that none ties with a plan event at a whole one) and role events (of distinct
 * durations, so that each strike's record names its event); the test models
 * when and whom each should strike from those two lists alone, and compares with the
 * strikes the world traced; applier.watch() runs after every step, as the runner
 * calls it. Shown failing on a world that resolves roles one look late.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { applyPlan } from "../../src/sim/faults/apply.ts";
import { FAULT_PLAN_VERSION, normalizePlan, type FaultEvent } from "../../src/sim/faults/plan.ts";
import { lateRoleWorld } from "./_fixtures/kernel-processes.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import { recordsOf } from "./_support/trace-models.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

const HOSTS = ["n1", "n2", "n3"] as const;
const RUN_MS = 2_000;
const HEAL_ALL_MS = 1_500;

interface Change {
  readonly atMs: number;
  readonly holder: string | undefined;
}

interface RoleInput {
  readonly seed: number;
  readonly changes: Change[];
  readonly events: FaultEvent[];
}

const changeArbitrary: fc.Arbitrary<Change> = fc.record({
  atMs: fc.integer({ min: 0, max: RUN_MS - 1 }).map((ms) => ms + 0.5),
  holder: fc.option(fc.constantFrom(...HOSTS), { nil: undefined, freq: 4 }),
});

const nextArbitrary = fc.option(
  fc
    .record({
      withinMs: fc.integer({ min: 1, max: 600 }),
      delayMs: fc.constantFrom(0, 0, 3, 25),
      nth: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map(({ withinMs, delayMs, nth }) => ({ withinMs, delayMs, ...(nth === undefined ? {} : { nth }) })),
  { nil: undefined },
);

const roleEventArbitrary: fc.Arbitrary<FaultEvent> = fc
  .record({
    atMs: fc.integer({ min: 0, max: RUN_MS - 200 }),
    kind: fc.constantFrom("isolate" as const, "crash" as const),
    durationMs: fc.integer({ min: 1, max: 400 }),
    next: nextArbitrary,
  })
  .map(
    ({ atMs, kind, durationMs, next }): FaultEvent => ({
      atMs,
      kind,
      host: "@leader",
      durationMs,
      ...(next === undefined ? {} : { next }),
    }),
  );

const roleInputArbitrary: fc.Arbitrary<RoleInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  changes: fc
    .array(changeArbitrary, { minLength: 1, maxLength: 12 })
    .map((changes) => [...changes].sort((a, b) => a.atMs - b.atMs)),
  // Durations differ, so that each strike's record (the event's fields but its time and kind) names its event.
  events: fc.uniqueArray(roleEventArbitrary, {
    minLength: 1,
    maxLength: 4,
    selector: (event) => ("durationMs" in event ? event.durationMs : 0),
  }),
});

/** Who holds the role just after `atMs` (changes at or before it applied). */
function holderAt(changes: readonly Change[], atMs: number): string | undefined {
  let holder: string | undefined;
  for (const change of changes) if (change.atMs <= atMs) holder = change.holder;
  return holder;
}

interface Strike {
  readonly host: string;
  readonly atMs: number;
}

/** When and whom the event should strike (undefined: skipped, or too late for the heal-all). */
function expectedStrike(changes: readonly Change[], event: FaultEvent): Strike | undefined {
  if (!("next" in event) || event.next === undefined) {
    const host = holderAt(changes, event.atMs);
    return host === undefined ? undefined : { host, atMs: event.atMs };
  }
  const { withinMs, delayMs } = event.next;
  let passes = (event.next.nth ?? 1) - 1;
  let previous = holderAt(changes, event.atMs);
  for (const change of changes) {
    if (change.atMs <= event.atMs) continue;
    if (change.atMs > event.atMs + withinMs) return undefined;
    const taken = change.holder !== undefined && change.holder !== previous;
    previous = change.holder;
    if (!taken) continue;
    if (passes > 0) {
      passes--;
      continue;
    }
    const atMs = change.atMs + delayMs;
    // Waiting or delayed across the heal-all: dropped.
    const pendingAtHealAll = event.atMs <= HEAL_ALL_MS && atMs >= HEAL_ALL_MS;
    return pendingAtHealAll || atMs > RUN_MS ? undefined : { host: change.holder as string, atMs };
  }
  return undefined;
}

function describeStrike(strike: Strike | undefined): string {
  return strike === undefined ? "no strike" : `${strike.host} at ${strike.atMs}`;
}

function roleProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[RoleInput]> {
  return fc.asyncProperty(roleInputArbitrary, async (input) => {
    const world = makeWorld({ seed: input.seed, trace: { keepRecords: true } });
    for (const name of HOSTS) world.addHost(name, async (env) => await env.clock.sleep(1_000_000)).start();
    let holder: string | undefined;
    world.setRole("leader", () => holder);
    for (const change of input.changes)
      world.scheduler.at(change.atMs, () => (holder = change.holder), { wakes: true });
    // Each event is planned alone, so that its strike is told apart by its fields.
    const plan = normalizePlan({ version: FAULT_PLAN_VERSION, faults: input.events });
    const applier = applyPlan(world, plan);
    world.scheduler.at(HEAL_ALL_MS, () => applier.healAll(), { wakes: true });
    await world.scheduler.run({
      untilTime: RUN_MS,
      maxEvents: 100_000,
      predicate: () => {
        applier.watch();
        return false;
      },
    });
    const records = recordsOf(world.trace);
    const strikes = records.filter((record) => record.kind === "fault.isolate" || record.kind === "fault.crash");
    const unmatched = [...strikes];
    for (const event of plan.faults) {
      const expected = expectedStrike(input.changes, event);
      const { atMs: _atMs, kind: _kind, ...fields } = event;
      const same = (record: (typeof strikes)[number]) =>
        record.kind === `fault.${event.kind}` && JSON.stringify(record.fields) === JSON.stringify(fields);
      const index = unmatched.findIndex(same);
      const seen = index < 0 ? undefined : (unmatched[index] as (typeof strikes)[number]);
      if (index >= 0) unmatched.splice(index, 1);
      const observed = seen === undefined ? undefined : { host: seen.host ?? "?", atMs: seen.time };
      invariant(
        describeStrike(observed) === describeStrike(expected),
        () =>
          `${JSON.stringify(event)} under ${JSON.stringify(input.changes)}: expected ${describeStrike(expected)}, observed ${describeStrike(observed)}`,
      );
      if (expected === undefined || event.kind === "heal" || !("durationMs" in event) || event.durationMs === undefined)
        continue;
      // Undone by its own duration, unless the heal-all came first.
      const undoMs = expected.atMs + event.durationMs;
      const undo = event.kind === "isolate" ? "fault.isolate-end" : "fault.restart";
      const undone = records.some(
        (record) => record.kind === undo && record.host === expected.host && record.time === undoMs,
      );
      // An event at the heal-all's instant applies first (it was scheduled first).
      const healAllBetween = expected.atMs <= HEAL_ALL_MS && undoMs >= HEAL_ALL_MS;
      invariant(
        undone === (!healAllBetween && undoMs <= RUN_MS),
        () =>
          `${JSON.stringify(event)} struck ${describeStrike(expected)}: its undo (${undo}) at ${undoMs} ${undone ? "happened" : "is missing"}`,
      );
      if (event.kind === "crash") {
        const crashed = records.some(
          (record) => record.kind === "process.crash" && record.host === expected.host && record.time === expected.atMs,
        );
        const restartMs = healAllBetween ? HEAL_ALL_MS : undoMs;
        // Up once the restart is due: started then, or already running again (another crash's restart came first).
        const lifecycle = records.filter(
          (record) =>
            record.host === expected.host &&
            (record.kind === "process.start" || record.kind === "process.crash") &&
            record.time <= restartMs,
        );
        const restarted = lifecycle.at(-1)?.kind === "process.start";
        invariant(
          crashed ||
            records.some(
              (record) =>
                record.kind === "process.crash" && record.host === expected.host && record.time < expected.atMs,
            ),
          () => `${expected.host} was not crashed at ${expected.atMs}`,
        );
        invariant(
          restarted || restartMs > RUN_MS,
          () => `${expected.host} is not running at ${restartMs}, when its restart was due`,
        );
      }
    }
    invariant(unmatched.length === 0, () => `strikes no event explains: ${JSON.stringify(unmatched)}`);
  });
}

describe("sim.fault-roles: role events strike the role's holder, or its next holder, and are undone by their own duration", () => {
  const name = "sim.fault-roles";
  it("holds for the world", async () => {
    await fc.assert(roleProperty(realWorld), propertyParameters(name, 150));
  });
  it("catches a world that resolves roles one look late", async () => {
    await expectCaught(roleProperty(lateRoleWorld), name, 150);
  });
});
