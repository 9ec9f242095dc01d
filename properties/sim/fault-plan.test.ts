/**
 * Fault plan properties (src/sim/faults/plan.ts, swarm.ts, arbitrary.ts).
 *
 * Invariants, one sentence each:
 * - A plan from the swarm generator or from faultPlanArbitrary round-trips through JSON:
 *   parsePlan(JSON.parse(JSON.stringify(plan))) equals the plan.
 * - parsePlan rejects every malformed plan (unknown kind, bad number, missing field, unknown host when hosts are given)
 *   with a FaultPlanError, never another error and never silently.
 * - fast-check shrinks a plan that fails whenever it crashes host "b" to exactly one crash/restart pair of "b".
 * - The swarm generator is a function of its seed and options only.
 * - The swarm generator never has more than a minority of hosts crashed at once, restarts every host it crashes, and
 *   puts disk faults on a minority of hosts only.
 *
 * Each property is a function of the parser, generator or arbitrary, and runs both on the
 * shipping one and on deliberately broken ones (_fixtures/kernel-fault-plans.ts), which it must catch.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { faultPlanArbitrary } from "../../src/sim/faults/arbitrary.ts";
import {
  FAULT_PLAN_VERSION,
  FaultPlanError,
  parsePlan,
  type FaultEvent,
  type FaultPlan,
} from "../../src/sim/faults/plan.ts";
import { SWARM_KINDS, swarmPlan, type SwarmKind, type SwarmOptions } from "../../src/sim/faults/swarm.ts";
import { Random } from "../../src/sim/random.ts";
import {
  ambientSwarmPlan,
  forgetfulParsePlan,
  lenientParsePlan,
  majorityCrashingSwarmPlan,
  seedShrinkingPlanArbitrary,
  type PlanParser,
  type SwarmGenerator,
} from "./_fixtures/kernel-fault-plans.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";

const HOST_NAMES = ["a", "b", "c", "d", "e", "f", "g"] as const;

interface SwarmInput {
  seed: string;
  hosts: string[];
  durationMs: number;
  kinds: SwarmKind[] | undefined;
  clockDriftApart: boolean | undefined;
}

function swarmInputArbitrary(hostsMin: number): fc.Arbitrary<SwarmInput> {
  return fc.record({
    seed: fc.oneof(fc.integer({ min: 0, max: 0x7fffffff }).map(String), fc.string({ maxLength: 12 })),
    hosts: fc.shuffledSubarray([...HOST_NAMES], { minLength: hostsMin }),
    durationMs: fc.integer({ min: 10, max: 60_000 }),
    kinds: fc.option(fc.subarray([...SWARM_KINDS]), { nil: undefined }),
    clockDriftApart: fc.option(fc.boolean(), { nil: undefined }),
  });
}

function swarmOptionsOf(input: SwarmInput): SwarmOptions {
  return {
    hosts: input.hosts,
    durationMs: input.durationMs,
    kinds: input.kinds,
    clockDriftApart: input.clockDriftApart,
  };
}

function swarmOf(generate: SwarmGenerator, input: SwarmInput): FaultPlan {
  return generate(new Random(input.seed), swarmOptionsOf(input));
}

// ---------------------------------------------------------------------------
// JSON round trip

interface PlanWithHosts {
  plan: FaultPlan;
  hosts: string[];
}

// Two hosts at least: a single host is the subject of its own test below (a simulator bug).
const swarmPlans: fc.Arbitrary<PlanWithHosts> = swarmInputArbitrary(2).map((input) => ({
  plan: swarmOf(swarmPlan, input),
  hosts: input.hosts,
}));

const arbitraryPlans: fc.Arbitrary<PlanWithHosts> = fc
  .record({
    hosts: fc.shuffledSubarray([...HOST_NAMES], { minLength: 1 }),
    durationMs: fc.integer({ min: 1, max: 10_000 }),
  })
  .chain(({ hosts, durationMs }) => faultPlanArbitrary({ hosts, durationMs }).map((plan) => ({ plan, hosts })));

function roundTripProperty(parse: PlanParser, plans: fc.Arbitrary<PlanWithHosts>): fc.IProperty<[PlanWithHosts]> {
  return fc.property(plans, ({ plan, hosts }) => {
    const parsed = parse(JSON.parse(JSON.stringify(plan)), hosts);
    expect(parsed).toStrictEqual(plan);
  });
}

// ---------------------------------------------------------------------------
// Malformed plans

const HOSTS_GIVEN = ["a", "b", "c"];

interface MalformedCase {
  label: string;
  value: unknown;
  /** Host names passed to parsePlan. */
  hosts?: readonly string[];
}

function planOf(...faults: unknown[]): unknown {
  return { version: FAULT_PLAN_VERSION, faults };
}

const MALFORMED: readonly MalformedCase[] = [
  { label: "null", value: null },
  { label: "an array", value: [] },
  { label: "a string", value: "plan" },
  { label: "no version", value: { faults: [] } },
  { label: "version 2", value: { version: 2, faults: [] } },
  { label: "version as a string", value: { version: "1", faults: [] } },
  { label: "no faults", value: { version: FAULT_PLAN_VERSION } },
  { label: "faults as an object", value: { version: FAULT_PLAN_VERSION, faults: {} } },
  { label: "an event that is not an object", value: planOf(42) },
  { label: "an event that is null", value: planOf(null) },
  { label: "an unknown kind", value: planOf({ atMs: 0, kind: "explode", host: "a" }) },
  { label: "no kind", value: planOf({ atMs: 0, host: "a" }) },
  { label: "a kind that is not a string", value: planOf({ atMs: 0, kind: 3 }) },
  { label: "a kind from Object.prototype", value: planOf({ atMs: 0, kind: "toString" }) },
  { label: "no atMs", value: planOf({ kind: "heal" }) },
  { label: "a negative atMs", value: planOf({ atMs: -1, kind: "heal" }) },
  { label: "atMs as a string", value: planOf({ atMs: "5", kind: "heal" }) },
  { label: "atMs NaN", value: planOf({ atMs: Number.NaN, kind: "heal" }) },
  { label: "atMs Infinity", value: planOf({ atMs: Number.POSITIVE_INFINITY, kind: "heal" }) },
  { label: "a partition with one group", value: planOf({ atMs: 0, kind: "partition", groups: [["a", "b"]] }) },
  { label: "a partition without groups", value: planOf({ atMs: 0, kind: "partition" }) },
  {
    label: "a partition group that is not an array",
    value: planOf({ atMs: 0, kind: "partition", groups: [["a"], "b"] }),
  },
  {
    label: "a partition host that is not a string",
    value: planOf({ atMs: 0, kind: "partition", groups: [["a"], [7]] }),
  },
  { label: "a partition host that is empty", value: planOf({ atMs: 0, kind: "partition", groups: [["a"], [""]] }) },
  {
    label: "oneWay as a string",
    value: planOf({ atMs: 0, kind: "partition", groups: [["a"], ["b"]], oneWay: "true" }),
  },
  { label: "an isolate without host", value: planOf({ atMs: 0, kind: "isolate" }) },
  { label: "an isolate from an empty list", value: planOf({ atMs: 0, kind: "isolate", host: "a", from: [] }) },
  {
    label: "an isolate with outbound as a string",
    value: planOf({ atMs: 0, kind: "isolate", host: "a", outbound: "yes" }),
  },
  {
    label: "an isolate with a negative duration",
    value: planOf({ atMs: 0, kind: "isolate", host: "a", durationMs: -1 }),
  },
  {
    label: "an isolate of a host waiting for the next holder",
    value: planOf({ atMs: 0, kind: "isolate", host: "a", next: { withinMs: 5, delayMs: 0 } }),
  },
  {
    label: "a next holder without withinMs",
    value: planOf({ atMs: 0, kind: "isolate", host: "@leader", next: { delayMs: 0 } }),
  },
  {
    label: "a next holder with a fractional nth",
    value: planOf({
      atMs: 0,
      kind: "pause",
      host: "@leader",
      durationMs: 5,
      next: { withinMs: 5, delayMs: 0, nth: 1.5 },
    }),
  },
  {
    label: "a next holder with an unknown field",
    value: planOf({
      atMs: 0,
      kind: "pause",
      host: "@leader",
      durationMs: 5,
      next: { withinMs: 5, delayMs: 0, after: 1 },
    }),
  },
  { label: "a crash of a role without duration", value: planOf({ atMs: 0, kind: "crash", host: "@leader" }) },
  { label: "a crash with a numeric host", value: planOf({ atMs: 0, kind: "crash", host: 1 }) },
  { label: "a restart with an empty host", value: planOf({ atMs: 0, kind: "restart", host: "" }) },
  { label: "a clog without to", value: planOf({ atMs: 0, kind: "clog", from: "a", durationMs: 5 }) },
  {
    label: "a clog with a negative duration",
    value: planOf({ atMs: 0, kind: "clog", from: "a", to: "b", durationMs: -5 }),
  },
  { label: "a pause without duration", value: planOf({ atMs: 0, kind: "pause", host: "a" }) },
  { label: "a pause with duration NaN", value: planOf({ atMs: 0, kind: "pause", host: "a", durationMs: Number.NaN }) },
  { label: "a clock skew with neither offset nor drift", value: planOf({ atMs: 0, kind: "clock-skew", host: "a" }) },
  {
    label: "a clock skew with drift 0.5",
    value: planOf({ atMs: 0, kind: "clock-skew", host: "a", offsetMs: 0, drift: 0.5 }),
  },
  {
    label: "a clock skew with drift -0.6",
    value: planOf({ atMs: 0, kind: "clock-skew", host: "a", offsetMs: 0, drift: -0.6 }),
  },
  { label: "a loss probability above 1", value: planOf({ atMs: 0, kind: "link-quality", lossProbability: 1.5 }) },
  {
    label: "a negative duplicate probability",
    value: planOf({ atMs: 0, kind: "link-quality", duplicateProbability: -0.1 }),
  },
  {
    label: "a reorder probability as a string",
    value: planOf({ atMs: 0, kind: "link-quality", reorderProbability: "0.1" }),
  },
  { label: "a negative mean latency", value: planOf({ atMs: 0, kind: "link-quality", latencyMsMean: -1 }) },
  { label: "a mean latency above a minute", value: planOf({ atMs: 0, kind: "link-quality", latencyMsMean: 70_000 }) },
  { label: "disk faults without rates", value: planOf({ atMs: 0, kind: "disk-faults", host: "a", durationMs: 5 }) },
  {
    label: "disk fault rates with an unknown field",
    value: planOf({ atMs: 0, kind: "disk-faults", host: "a", durationMs: 5, rates: { eioProbability: 0.1 } }),
  },
  {
    label: "a disk error probability of 2",
    value: planOf({ atMs: 0, kind: "disk-faults", host: "a", durationMs: 5, rates: { readErrorProbability: 2 } }),
  },
  {
    label: "tornWrites as a string",
    value: planOf({ atMs: 0, kind: "disk-faults", host: "a", durationMs: 5, rates: { tornWrites: "yes" } }),
  },
  {
    label: "a negative capacity",
    value: planOf({ atMs: 0, kind: "disk-faults", host: "a", durationMs: 5, rates: { capacityBytes: -1 } }),
  },
  { label: "disk faults without duration", value: planOf({ atMs: 0, kind: "disk-faults", host: "a", rates: {} }) },
  { label: "a crash of an unknown host", value: planOf({ atMs: 0, kind: "crash", host: "z" }), hosts: HOSTS_GIVEN },
  { label: "a restart of an unknown host", value: planOf({ atMs: 0, kind: "restart", host: "z" }), hosts: HOSTS_GIVEN },
  {
    label: "an isolate of an unknown host",
    value: planOf({ atMs: 0, kind: "isolate", host: "z" }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "a pause of an unknown host",
    value: planOf({ atMs: 0, kind: "pause", host: "z", durationMs: 1 }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "a skew of an unknown host",
    value: planOf({ atMs: 0, kind: "clock-skew", host: "z", offsetMs: 1 }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "a clog from an unknown host",
    value: planOf({ atMs: 0, kind: "clog", from: "z", to: "a", durationMs: 1 }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "a clog to an unknown host",
    value: planOf({ atMs: 0, kind: "clog", from: "a", to: "z", durationMs: 1 }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "a partition with an unknown host",
    value: planOf({ atMs: 0, kind: "partition", groups: [["a"], ["z"]] }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "disk faults on an unknown host",
    value: planOf({ atMs: 0, kind: "disk-faults", host: "z", durationMs: 1, rates: {} }),
    hosts: HOSTS_GIVEN,
  },
  {
    label: "a good event after a bad one",
    value: planOf({ atMs: 0, kind: "heal" }, { atMs: 1, kind: "crash" }),
    hosts: HOSTS_GIVEN,
  },
];

/** Event-level typos of optional fields: strict parsing rejects them, as it rejects unknown fields in `rates`. */
const UNKNOWN_EVENT_FIELDS: readonly MalformedCase[] = [
  {
    label: "a partition with 'oneway' (for oneWay)",
    value: planOf({ atMs: 0, kind: "partition", groups: [["a"], ["b"]], oneway: true }),
  },
  {
    label: "a clock skew with 'Drift' (for drift)",
    value: planOf({ atMs: 0, kind: "clock-skew", host: "a", offsetMs: 5, Drift: 0.1 }),
  },
  {
    label: "link quality with 'lossProbabilty' (a typo)",
    value: planOf({ atMs: 0, kind: "link-quality", lossProbabilty: 0.5 }),
  },
];

/** The labels of the malformed cases that `parse` accepted or rejected with something other than a FaultPlanError. */
function misparsed(parse: PlanParser, cases: readonly MalformedCase[]): string[] {
  const wrong: string[] = [];
  for (const { label, value, hosts } of cases) {
    try {
      parse(value, hosts);
      wrong.push(`${label}: accepted`);
    } catch (error) {
      if (!(error instanceof FaultPlanError)) wrong.push(`${label}: ${String(error)}`);
    }
  }
  return wrong;
}

interface Corruption {
  label: string;
  applies: (event: FaultEvent) => boolean;
  apply: (event: Record<string, unknown>) => void;
}

const hasHost = (event: FaultEvent) => "host" in event;
const hasDuration = (event: FaultEvent) => "durationMs" in event;

const CORRUPTIONS: readonly Corruption[] = [
  { label: "atMs -1", applies: () => true, apply: (event) => void (event.atMs = -1) },
  { label: "atMs as a string", applies: () => true, apply: (event) => void (event.atMs = "0") },
  { label: "no atMs", applies: () => true, apply: (event) => void delete event.atMs },
  { label: "an unknown kind", applies: () => true, apply: (event) => void (event.kind = "meteor") },
  { label: "no kind", applies: () => true, apply: (event) => void delete event.kind },
  { label: "an unknown host", applies: hasHost, apply: (event) => void (event.host = "zz") },
  { label: "an empty host", applies: hasHost, apply: (event) => void (event.host = "") },
  { label: "no host", applies: hasHost, apply: (event) => void delete event.host },
  { label: "a negative duration", applies: hasDuration, apply: (event) => void (event.durationMs = -1) },
  // An isolation's or a host crash's duration is optional (it undoes the fault by itself); a pause's, clog's and disk
  // faults' is not.
  {
    label: "no duration",
    applies: (event) => event.kind === "pause" || event.kind === "clog" || event.kind === "disk-faults",
    apply: (event) => void delete event.durationMs,
  },
  {
    label: "an unknown clog source",
    applies: (event) => event.kind === "clog",
    apply: (event) => void (event.from = "zz"),
  },
  {
    label: "a single partition group",
    applies: (event) => event.kind === "partition",
    apply: (event) => void (event.groups = [["a"]]),
  },
  {
    label: "an unknown partitioned host",
    applies: (event) => event.kind === "partition",
    apply: (event) => void (event.groups = [["a"], ["zz"]]),
  },
  {
    label: "a drift of 0.5",
    applies: (event) => event.kind === "clock-skew",
    apply: (event) => void (event.drift = 0.5),
  },
  {
    label: "neither offset nor drift",
    applies: (event) => event.kind === "clock-skew",
    apply: (event) => {
      delete event.offsetMs;
      delete event.drift;
    },
  },
  {
    label: "a loss probability of 2",
    applies: (event) => event.kind === "link-quality",
    apply: (event) => void (event.lossProbability = 2),
  },
];

interface CorruptionInput {
  plan: PlanWithHosts;
  eventIndex: number;
  corruptionIndex: number;
}

const corruptionArbitrary: fc.Arbitrary<CorruptionInput> = fc.record({
  plan: fc.oneof(swarmPlans, arbitraryPlans).filter(({ plan }) => plan.faults.length > 0),
  eventIndex: fc.nat(),
  corruptionIndex: fc.nat(),
});

function corruptedPlanProperty(parse: PlanParser): fc.IProperty<[CorruptionInput]> {
  return fc.property(corruptionArbitrary, ({ plan: { plan, hosts }, eventIndex, corruptionIndex }) => {
    const json = JSON.parse(JSON.stringify(plan)) as { faults: Array<Record<string, unknown>> };
    const index = eventIndex % json.faults.length;
    const event = plan.faults[index] as FaultEvent;
    const applicable = CORRUPTIONS.filter((corruption) => corruption.applies(event));
    const corruption = applicable[corruptionIndex % applicable.length] as Corruption;
    corruption.apply(json.faults[index] as Record<string, unknown>);
    let outcome = "accepted";
    try {
      parse(json, hosts);
    } catch (error) {
      outcome = error instanceof FaultPlanError ? "rejected" : `failed with ${String(error)}`;
    }
    invariant(
      outcome === "rejected",
      () => `a plan whose event ${index} (${event.kind}) has ${corruption.label} was ${outcome}`,
    );
  });
}

// ---------------------------------------------------------------------------
// Shrinking

const SHRINK_HOSTS = ["a", "b", "c"];

function crashesB(plan: FaultPlan): boolean {
  return plan.faults.some((fault) => fault.kind === "crash" && fault.host === "b");
}

/** Runs a property that fails whenever a plan crashes "b"; returns the shrunk counterexample. */
async function shrunkPlan(plans: fc.Arbitrary<FaultPlan>, name: string): Promise<FaultPlan> {
  const details = await fc.check(
    fc.property(plans, (plan) => !crashesB(plan)),
    propertyParameters(name, 500),
  );
  invariant(details.failed, () => "no plan crashing b was generated");
  return (details.counterexample as [FaultPlan])[0];
}

function isOneCrashRestartPairOfB(plan: FaultPlan): boolean {
  const [crash, restart] = plan.faults;
  return (
    plan.faults.length === 2 &&
    crash?.kind === "crash" &&
    crash.host === "b" &&
    restart?.kind === "restart" &&
    restart.host === "b"
  );
}

// ---------------------------------------------------------------------------
// Swarm: deterministic per seed; a minority down at once

function swarmDeterminismProperty(generate: SwarmGenerator): fc.IProperty<[SwarmInput, number]> {
  return fc.property(swarmInputArbitrary(2), fc.integer({ min: 0, max: 20 }), (input, earlierDraws) => {
    const first = swarmOf(generate, input);
    // Draws from the parent stream before the call must not matter: the generator forks by name.
    const random = new Random(input.seed);
    for (let i = 0; i < earlierDraws; i++) random.next();
    const second = generate(random, swarmOptionsOf(input));
    expect(second).toStrictEqual(first);
  });
}

function minorityProperty(generate: SwarmGenerator): fc.IProperty<[SwarmInput]> {
  return fc.property(swarmInputArbitrary(3), (input) => {
    const plan = swarmOf(generate, input);
    const minority = Math.floor((input.hosts.length - 1) / 2);
    const down = new Set<string>();
    for (const fault of plan.faults) {
      if (fault.kind === "crash") down.add(fault.host);
      if (fault.kind === "restart") down.delete(fault.host);
      invariant(
        down.size <= minority,
        () => `at ${fault.atMs} ms, ${down.size} of ${input.hosts.length} hosts are down: ${[...down].join(", ")}`,
      );
    }
    invariant(down.size === 0, () => `the plan never restarts ${[...down].join(", ")}`);
    const diskHosts = new Set(plan.faults.flatMap((fault) => (fault.kind === "disk-faults" ? [fault.host] : [])));
    invariant(diskHosts.size <= minority, () => `disk faults strike ${diskHosts.size} of ${input.hosts.length} hosts`);
  });
}

// ---------------------------------------------------------------------------

describe("sim.fault-plan.round-trip: plans round-trip through JSON", () => {
  it.each([
    ["the swarm generator", "sim.fault-plan.round-trip.swarm", swarmPlans],
    ["faultPlanArbitrary", "sim.fault-plan.round-trip.arbitrary", arbitraryPlans],
  ])("holds for plans from %s", (_label, name, plans) => {
    fc.assert(roundTripProperty(parsePlan, plans), propertyParameters(name, 200));
  });
  it.each([
    ["the swarm generator", "sim.fault-plan.round-trip.swarm", swarmPlans],
    ["faultPlanArbitrary", "sim.fault-plan.round-trip.arbitrary", arbitraryPlans],
  ])("catches a parser that forgets optional fields, on plans from %s", async (_label, name, plans) => {
    await expectCaught(roundTripProperty(forgetfulParsePlan, plans), name, 200);
  });
});

describe("sim.fault-plan.malformed: parsePlan rejects malformed plans with FaultPlanError", () => {
  it(`rejects each of ${MALFORMED.length} malformed plans`, () => {
    expect(misparsed(parsePlan, MALFORMED)).toEqual([]);
  });
  it("rejects unknown fields on events, as it does in rates", () => {
    // Simulator bug (reported): a typo in an optional event field is silently ignored,
    // so { oneway: true } turns a one-way partition into a symmetric one.
    expect(misparsed(parsePlan, UNKNOWN_EVENT_FIELDS)).toEqual([]);
  });
  it("catches a lenient parser on the table", () => {
    expect(misparsed(lenientParsePlan, MALFORMED).length).toBeGreaterThan(0);
  });
  const name = "sim.fault-plan.malformed.corrupted";
  it("rejects any valid plan with one corrupted field", () => {
    fc.assert(corruptedPlanProperty(parsePlan), propertyParameters(name, 300));
  });
  it("catches a lenient parser on corrupted plans", async () => {
    await expectCaught(corruptedPlanProperty(lenientParsePlan), name, 300);
  });
});

describe("sim.fault-plan.shrink: a plan failing on a crash of b shrinks to one crash/restart pair", () => {
  const name = "sim.fault-plan.shrink";
  it("holds for faultPlanArbitrary", async () => {
    const plan = await shrunkPlan(faultPlanArbitrary({ hosts: SHRINK_HOSTS, durationMs: 1000 }), name);
    expect(isOneCrashRestartPairOfB(plan), JSON.stringify(plan)).toBe(true);
    // Times shrink too: the crash at 0, the restart after the shortest outage.
    expect(plan.faults.map((fault) => fault.atMs)).toEqual([0, 1]);
  });
  it("catches an arbitrary that shrinks a swarm seed instead of the plan", async () => {
    const plan = await shrunkPlan(seedShrinkingPlanArbitrary(SHRINK_HOSTS, 1000), name);
    expect(isOneCrashRestartPairOfB(plan), JSON.stringify(plan)).toBe(false);
  });
});

describe("sim.fault-plan.swarm-deterministic: the swarm generator is a function of seed and options", () => {
  const name = "sim.fault-plan.swarm-deterministic";
  it("holds for the swarm generator", () => {
    fc.assert(swarmDeterminismProperty(swarmPlan), propertyParameters(name, 200));
  });
  it("catches a generator that depends on ambient state", async () => {
    await expectCaught(swarmDeterminismProperty(ambientSwarmPlan), name, 200);
  });
});

describe("sim.fault-plan.swarm-single-host: the swarm generator works for one host", () => {
  // Simulator bug (reported): with one host, a clog episode picks its peer from an empty
  // list, and Random.pick throws instead of returning undefined as swarm.ts expects.
  it("draws a plan for a single host with every kind enabled", () => {
    expect(() => swarmPlan(new Random("12"), { hosts: ["c"], durationMs: 10 })).not.toThrow();
  });
});

describe("sim.fault-plan.swarm-minority: the swarm never crashes more than a minority at once", () => {
  const name = "sim.fault-plan.swarm-minority";
  it("holds for the swarm generator", () => {
    fc.assert(minorityProperty(swarmPlan), propertyParameters(name, 300));
  });
  it("catches a generator that ignores the bound", async () => {
    await expectCaught(minorityProperty(majorityCrashingSwarmPlan), name, 300);
  });
});

describe("sim.fault-plan.arbitrary-fields: faultPlanArbitrary draws every field a plan event may carry", () => {
  it("draws each optional field somewhere in 500 plans, roles and disk faults when asked for", () => {
    const plans = fc.sample(
      faultPlanArbitrary({
        hosts: ["a", "b", "c"],
        durationMs: 1000,
        kinds: [...SWARM_KINDS],
        roles: ["@leader"],
        diskHosts: ["a"],
        maxEvents: 8,
      }),
      { numRuns: 500, seed: 7 },
    );
    const seen = new Set<string>();
    for (const plan of plans) {
      expect(parsePlan(JSON.parse(JSON.stringify(plan)), ["a", "b", "c"])).toStrictEqual(plan);
      for (const event of plan.faults) {
        for (const field of Object.keys(event)) seen.add(`${event.kind}.${field}`);
        if ("host" in event && event.host.startsWith("@")) seen.add(`${event.kind}.role`);
      }
    }
    const expected = [
      "isolate.from",
      "isolate.outbound",
      "isolate.durationMs",
      "isolate.next",
      "isolate.role",
      "crash.durationMs",
      "crash.next",
      "crash.role",
      "pause.next",
      "pause.role",
      "clock-skew.offsetMs",
      "clock-skew.drift",
      "link-quality.from",
      "link-quality.to",
      "link-quality.latencyMsMean",
      "disk-faults.rates",
      "partition.oneWay",
      "clog.durationMs",
    ];
    expect(expected.filter((field) => !seen.has(field))).toEqual([]);
  });
});
