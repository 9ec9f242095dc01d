/**
 * The runner: one scenario, one seed, one fault plan, two phases.
 *
 * 1. Safety phase: the workload runs under the fault plan for `safetyMs` of virtual
 *    time; continuous invariants are checked as it goes.
 * 2. Liveness phase (TigerBeetle's simulator does the same): every fault is healed,
 *    and the scenario's progress condition must hold within `livenessMs`; failing
 *    that is a `liveness` violation, distinct from a `safety` one.
 * Then the final invariants run. The run stops at the first violation.
 *
 * Runaway guards: a maximum of events and of virtual time; exceeding either ends
 * the run with a violation, never a hang. Errors that escape process code
 * (uncaught, unhandled rejections) become violations, never stray exceptions.
 */
import { applyPlan, type DiskFaultTarget } from "./faults/apply.ts";
import { describeKnob, drawKnob, knobCanDraw, knobProblem, type Knob, type KnobValue } from "./knobs.ts";
import { FaultPlanError, parsePlan, type FaultPlan } from "./faults/plan.ts";
import type { ShapeKind } from "./faults/shapes.ts";
import { SWARM_KINDS, swarmPlan, type SwarmKind, type SwarmOptions } from "./faults/swarm.ts";
import type { WireMode } from "./net/rpc/frame-channel.ts";
import { Random } from "./random.ts";
import type { TraceOptions } from "./trace.ts";
import type { DiskProvider } from "./world-env.ts";
import { describeError, World, type Violation } from "./world.ts";

export type Phase = "setup" | "safety" | "liveness" | "final";

export interface ScenarioContext {
  readonly world: World;
  /** The run's seed (a scenario may derive its configuration from it, as a matrix does). */
  readonly seed: number;
  /** The workload's random stream (independent of the fault plan's). */
  readonly random: Random;
  /** The broken variant under test, if any (never set on the shipping path). */
  readonly variant: string | undefined;
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * The value of the scenario's knob `name` in this run (Scenario.knobs): the
   * params' value when given, else the seed's draw. Throws for an undeclared knob.
   */
  readonly knob: KnobReader;
  /**
   * The fault plan this run applies (a scenario that acts on the world itself keeps out of its way); absent outside the
   * runner.
   */
  readonly faultPlan?: FaultPlan;
  /** The run's disks (Scenario.createDisks), for a scenario that sets disk faults itself; absent without them. */
  readonly disks?: DiskSystem;
  phase(): Phase;
  /** Virtual time at which the liveness phase began (undefined before). */
  livenessStartedAt(): number | undefined;
}

export type { Knob, KnobValue } from "./knobs.ts";

/** Reads a knob of the run (ScenarioContext.knob). */
export type KnobReader = <T extends KnobValue>(name: string) => T;

export interface ScenarioHooks {
  /** Continuous invariants: called often during the run; report with `world.violate`. */
  check?(): void;
  /** Liveness: true once the system has made progress since the liveness phase began. */
  progress(): boolean;
  /** Final invariants, after the liveness phase. */
  finish?(): void | Promise<void>;
  /** Workload figures for the report (operations, acknowledged writes, ...). */
  summary?(): Record<string, number | string>;
}

/** Everything a disk model offers the runner: each host's disk and its faults. */
export type DiskSystem = DiskProvider & DiskFaultTarget;

/**
 * A scenario's swarm settings: the hosts and fault kinds the swarm may strike, and the bounds that keep a run
 * recoverable. Each maps to one SwarmOptions field (faults/swarm.ts); a function of the knobs where the cluster's shape
 * or timeouts are knobs.
 */
export interface ScenarioSwarm {
  /** Hosts the generated fault plan may target. */
  readonly hosts: readonly string[] | ((knob: KnobReader) => readonly string[]);
  /** Fault kinds the swarm may draw (default: every kind; never disk faults when the scenario has no disks). */
  readonly kinds?: readonly SwarmKind[];
  /** Hosts whose disks the swarm may fail (default: the first minority of `hosts`). */
  readonly diskFaultHosts?: readonly string[];
  /** Hosts the swarm may take down at once (default: a minority of them). */
  readonly downAtOnceMax?: number;
  /** Swarm kinds that count as taking a host down for downAtOnceMax (default: crash). */
  readonly downKinds?: readonly SwarmKind[];
  /** A host counts as down this long after its down episode ended (default 0). */
  readonly recoveryMs?: number | ((knob: KnobReader) => number);
  /**
   * Fault shapes the swarm may draw (faults/shapes.ts: leader churn, a deaf host, crash waves, a stale leader);
   * default none. Those aimed at the leader need the scenario's "leader" role.
   */
  readonly shapes?: readonly ShapeKind[];
}

export interface Scenario {
  /** kebab-case, beginning with the system it exercises. */
  readonly name: string;
  readonly description: string;
  readonly safetyMs: number;
  readonly livenessMs: number;
  /** The liveness bound under the run's knobs, when their timeouts set it (default: livenessMs). */
  readonly livenessMsOf?: (knob: KnobReader) => number;
  readonly maxEvents?: number;
  /**
   * The runtime determinism guard (src/sim/ambient-guard.ts), on unless false: an ambient call (`Date.now()`,
   * `Math.random()`, a real timer...) made while the scheduler runs the scenario becomes the violation
   * `determinism.ambient-call`. Prefer wrapping a trusted library's call in `allowAmbient` to turning it off.
   */
  readonly ambientGuard?: boolean;
  /**
   * What the swarm draws each run's fault plan from (omit it and the swarm draws no faults; a plan given with the run
   * still applies).
   */
  readonly swarm?: ScenarioSwarm;
  /**
   * Roles the scenario resolves with `world.setRole` ("leader"): fault plans may aim
   * isolations and pauses at them ("@leader"), and the swarm does so half the time.
   */
  readonly roles?: readonly string[];
  /** Deliberately broken variants, by name, with what each breaks. */
  readonly variants?: Readonly<Record<string, string>>;
  /**
   * Name prefixes of the probe points this scenario exercises, for coverage reports (default: its name's first word and
   * ".").
   */
  readonly probePrefixes?: readonly string[];
  /**
   * The rare states this scenario exists to reach: state name → the probe that marks
   * it (a `probe("system.point")` in src/impl or scenarios/). Sweeps report the share
   * of runs that reached each; one reached by fewer than 1% of runs is a gap.
   */
  readonly rareStates?: Readonly<Record<string, string>>;
  /**
   * Swarm testing of the configuration: each seed draws every knob (cluster size,
   * timeouts, thresholds, disk latency...; src/sim/knobs.ts), recorded in the
   * result's stats and in counterexamples, or fixed with RunOptions.knobs (replay,
   * shrink) or `params` of the same name (tests). Shrinking moves them toward their defaults.
   */
  readonly knobs?: Readonly<Record<string, Knob>>;
  /** Integer workload parameters that shrinking may lower; `default` is the value used when absent. */
  readonly shrinkableParams?: Readonly<Record<string, { min: number; default: number }>>;
  /**
   * A fresh disk system for a run (omit for scenarios that use no disk); it may read the run's knobs (disk latency).
   */
  createDisks?(knob: KnobReader): DiskSystem;
  setup(context: ScenarioContext): ScenarioHooks;
}

export interface RunOptions {
  seed: number;
  /** An explicit plan (replay, shrink, property tests); default: the swarm's plan for the seed. */
  faults?: FaultPlan;
  variant?: string;
  params?: Record<string, unknown>;
  /** Knob values to use instead of the seed's draws (a replay, a shrunk run); each must be a knob of the scenario. */
  knobs?: Readonly<Record<string, KnobValue>>;
  buggify?: boolean;
  /** How RPC frames cross the network; default: the swarm's pick for the seed (see `swarmWireMode`). */
  wireMode?: WireMode;
  trace?: TraceOptions;
  maxEvents?: number;
  /** Runaway guard on virtual time (ms): passing it ends the run with a `kernel.runaway-time` violation. */
  maxTime?: number;
  /** Overrides the scenario's phase lengths. */
  safetyMs?: number;
  livenessMs?: number;
}

export interface RunStats {
  virtualTimeMs: number;
  events: number;
  traceRecords: number;
  safetyEndMs: number;
  /** When progress was observed in the liveness phase, if it was. */
  progressAtMs?: number;
  probes: Record<string, number>;
  workload: Record<string, number | string>;
  /** The configuration the run drew or was given (Scenario.knobs). */
  knobs?: Record<string, KnobValue>;
}

export interface RunResult {
  scenario: string;
  seed: number;
  variant?: string;
  /** The RPC wire mode the run used (given, or the swarm's pick). */
  wireMode: WireMode;
  ok: boolean;
  violations: Violation[];
  fingerprint: string;
  faultPlan: FaultPlan;
  stats: RunStats;
}

export const DEFAULT_RUN_MAX_EVENTS = 20_000_000;

/**
 * How often the swarm runs a seed with encoded frames instead of copied objects:
 * often enough that every codec and its malformed-input handling run under every
 * fault mix, rarely enough that most runs get the object path's speed.
 */
export const SWARM_FRAMES_PROBABILITY = 0.25;

/** The wire mode the swarm picks for a run's seed: from its own stream, so the pick shifts no other draw. */
export function swarmWireMode(scenarioName: string, seed: number): WireMode {
  return new Random(worldSeed(scenarioName, seed)).fork("wire-mode").bool(SWARM_FRAMES_PROBABILITY)
    ? "frames"
    : "objects";
}

/**
 * Every knob's value: the one `given` (a replay, a shrunk run), else the params'
 * (tests), else drawn from its own fork of `random`. Throws ScenarioError for a
 * malformed declaration, a given knob the scenario lacks, a value of another type,
 * or a given value the knob cannot draw.
 */
function drawKnobs(
  scenario: Scenario,
  random: Random,
  params: Readonly<Record<string, unknown>>,
  given: Readonly<Record<string, KnobValue>> = {},
): Record<string, KnobValue> {
  const declared = scenario.knobs ?? {};
  for (const name of Object.keys(given)) {
    if (declared[name] === undefined)
      throw new ScenarioError(
        `scenario ${scenario.name} has no knob "${name}" (knobs: ${Object.keys(declared).join(", ") || "none"})`,
      );
  }
  const values: Record<string, KnobValue> = {};
  for (const [name, knob] of Object.entries(declared)) {
    const problem = knobProblem(knob);
    if (problem !== undefined) throw new ScenarioError(`knob ${name} of ${scenario.name}: ${problem}`);
    const value = given[name] ?? params[name];
    if (value !== undefined && typeof value !== typeof knob.default) {
      throw new ScenarioError(
        `knob ${name} of ${scenario.name}: given ${JSON.stringify(value)}, not a ${typeof knob.default}`,
      );
    }
    // A replay, a shrunk run or --knob gives only values the knob can draw; tests' params may go beyond.
    const fixed = given[name];
    if (fixed !== undefined && !knobCanDraw(knob, fixed)) {
      throw new ScenarioError(
        `knob ${name} of ${scenario.name}: given ${JSON.stringify(fixed)}, not a value it can take (${describeKnob(knob)})`,
      );
    }
    values[name] = (value as KnobValue | undefined) ?? drawKnob(knob, random.fork(name));
  }
  return values;
}

/** What the swarm generator draws a scenario's plan from: its swarm settings, resolved under the run's knobs. */
function swarmOptionsOf(scenario: Scenario, knob: KnobReader, safetyMs: number): SwarmOptions {
  const { hosts = [], kinds = SWARM_KINDS, recoveryMs, ...bounds } = scenario.swarm ?? {};
  return {
    ...bounds,
    hosts: typeof hosts === "function" ? hosts(knob) : hosts,
    durationMs: safetyMs,
    // Never disk faults when the scenario's hosts have no disks.
    kinds: scenario.createDisks === undefined ? kinds.filter((kind) => kind !== "disk-faults") : kinds,
    ...(recoveryMs !== undefined
      ? { recoveryMs: typeof recoveryMs === "function" ? recoveryMs(knob) : recoveryMs }
      : {}),
    ...(scenario.roles !== undefined ? { roles: scenario.roles } : {}),
  };
}

/** The root seed of a scenario's run: its name and the run's seed. */
function worldSeed(scenarioName: string, seed: number): string {
  return `${scenarioName}:${seed}`;
}

/** A run refused before it started: options or a fault plan that do not fit the scenario (bad input, not a failure). */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
}

/**
 * A context for driving a scenario's kits outside the runner (benchmarks, component
 * tests): the safety phase, no fault plan, no knobs.
 */
export function standaloneContext(world: World, seed: number): ScenarioContext {
  return {
    world,
    seed,
    random: world.stream("workload"),
    variant: undefined,
    params: {},
    knob: (name) => {
      throw new ScenarioError(`no knob "${name}" outside a scenario run`);
    },
    phase: () => "safety",
    livenessStartedAt: () => undefined,
  };
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  refuseBadRunOptions(scenario, options);
  const run = prepareRun(scenario, options);
  const { world } = run;
  const restoreHandler = captureUnhandled(world);
  try {
    const hooks = scenario.setup(run.context);
    refuseUnknownHosts(scenario, run.plan, world.hostNames);
    const applier = applyPlan(world, run.plan, run.disks);
    const check = () => {
      // Events waiting for a role's next holder strike in the step in which it takes the role.
      applier.watch();
      hooks.check?.();
      return world.violations.length > 0;
    };
    const progressAt = await runPhases(run, hooks, check, () => applier.healAll());
    return resultOf(scenario, options, run, hooks, progressAt);
  } finally {
    restoreHandler();
  }
}

/** A malformed seed or an unknown variant: a ScenarioError before anything runs. */
function refuseBadRunOptions(scenario: Scenario, options: RunOptions): void {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0)
    throw new ScenarioError(`seed must be a non-negative integer, got ${options.seed}`);
  if (options.variant !== undefined && scenario.variants?.[options.variant] === undefined) {
    const known = Object.keys(scenario.variants ?? {});
    throw new ScenarioError(
      `scenario ${scenario.name} has no variant "${options.variant}" (variants: ${known.length ? known.join(", ") : "none"})`,
    );
  }
}

/** What one run is made of before its scenario sets up: the world, its knobs, its fault plan, its phases' bounds. */
interface PreparedRun {
  readonly world: World;
  readonly knobs: Record<string, KnobValue>;
  readonly disks: DiskSystem | undefined;
  readonly wireMode: WireMode;
  readonly plan: FaultPlan;
  readonly safetyMs: number;
  readonly livenessMs: number;
  readonly maxEvents: number;
  readonly maxTime: number;
  readonly context: ScenarioContext;
  /** Moves the run to its next phase (what `context.phase()` and `context.livenessStartedAt()` report). */
  enter(phase: Phase): void;
}

function prepareRun(scenario: Scenario, options: RunOptions): PreparedRun {
  const knobs = drawKnobs(
    scenario,
    new Random(worldSeed(scenario.name, options.seed)).fork("knobs"),
    options.params ?? {},
    options.knobs,
  );
  const knob: KnobReader = <T extends KnobValue>(name: string): T => {
    const value = knobs[name];
    if (value === undefined) throw new ScenarioError(`scenario ${scenario.name} has no knob "${name}"`);
    return value as T;
  };
  const disks = scenario.createDisks?.(knob);
  const wireMode = options.wireMode ?? swarmWireMode(scenario.name, options.seed);
  const world = new World({
    seed: worldSeed(scenario.name, options.seed),
    buggify: options.buggify ?? false,
    wireMode,
    trace: options.trace,
    disks,
    ambientGuard: scenario.ambientGuard,
  });
  const safetyMs = options.safetyMs ?? scenario.safetyMs;
  const livenessMs = options.livenessMs ?? scenario.livenessMsOf?.(knob) ?? scenario.livenessMs;
  const plan =
    options.faults !== undefined
      ? parsePlan(options.faults, undefined)
      : swarmPlan(world.stream("faults"), swarmOptionsOf(scenario, knob, safetyMs));
  let phase: Phase = "setup";
  let livenessStart: number | undefined;
  const context: ScenarioContext = {
    world,
    seed: options.seed,
    random: world.stream("workload"),
    variant: options.variant,
    params: options.params ?? {},
    knob,
    faultPlan: plan,
    disks,
    phase: () => phase,
    livenessStartedAt: () => livenessStart,
  };
  const enter = (next: Phase) => {
    phase = next;
    if (next === "liveness") livenessStart = world.now;
  };
  const maxEvents = options.maxEvents ?? scenario.maxEvents ?? DEFAULT_RUN_MAX_EVENTS;
  return {
    world,
    knobs,
    disks,
    wireMode,
    plan,
    safetyMs,
    livenessMs,
    maxEvents,
    maxTime: options.maxTime ?? Number.POSITIVE_INFINITY,
    context,
    enter,
  };
}

/**
 * The safety phase under the plan's faults, the liveness phase after every fault
 * healed, and the final checks, each only while no violation was found; returns
 * when progress was seen in the liveness phase, if it was.
 */
async function runPhases(
  run: PreparedRun,
  hooks: ScenarioHooks,
  check: () => boolean,
  healAll: () => void,
): Promise<number | undefined> {
  const { world, maxEvents, maxTime, safetyMs, livenessMs } = run;
  const violated = () => world.violations.length > 0;
  run.enter("safety");
  world.record(undefined, "phase.safety", { untilMs: safetyMs });
  const safety = await world.scheduler.run({ untilTime: safetyMs, predicate: check, maxEvents, maxTime });
  reportGuard(world, safety.reason, maxEvents);
  if (violated()) return undefined;
  run.enter("liveness");
  world.record(undefined, "phase.liveness", { boundMs: livenessMs });
  healAll();
  world.quietBuggify();
  const liveness = await world.scheduler.run({
    untilTime: world.now + livenessMs,
    predicate: () => check() || hooks.progress(),
    maxEvents: Math.max(0, maxEvents - world.scheduler.eventCount),
    maxTime,
  });
  reportGuard(world, liveness.reason, maxEvents);
  if (violated()) return undefined;
  const progressAt = hooks.progress() ? world.now : undefined;
  if (progressAt === undefined) {
    world.violate({
      invariant: "liveness.no-progress-after-heal",
      kind: "liveness",
      details: `no progress within ${livenessMs} ms after every fault was healed (${liveness.reason})`,
    });
    return undefined;
  }
  run.enter("final");
  world.record(undefined, "phase.final");
  try {
    await hooks.finish?.();
  } catch (error) {
    // A final check that could not run (e.g. SQLite found a replica corrupted) fails the run; it never crashes it.
    world.violate({ invariant: "scenario.final-check-failed", kind: "safety", details: describeError(error) });
  }
  return progressAt;
}

function resultOf(
  scenario: Scenario,
  options: RunOptions,
  run: PreparedRun,
  hooks: ScenarioHooks,
  progressAt: number | undefined,
): RunResult {
  const { world } = run;
  const stats: RunStats = {
    virtualTimeMs: world.now,
    events: world.scheduler.eventCount,
    traceRecords: world.trace.count,
    safetyEndMs: run.safetyMs,
    probes: Object.fromEntries([...world.probes.entries()].sort(([a], [b]) => a.localeCompare(b))),
    workload: hooks.summary?.() ?? {},
  };
  if (progressAt !== undefined) stats.progressAtMs = progressAt;
  if (Object.keys(run.knobs).length > 0) stats.knobs = run.knobs;
  const result: RunResult = {
    scenario: scenario.name,
    seed: options.seed,
    wireMode: run.wireMode,
    ok: world.violations.length === 0,
    violations: world.violations.slice(),
    fingerprint: world.trace.fingerprint(),
    faultPlan: run.plan,
    stats,
  };
  if (options.variant !== undefined) result.variant = options.variant;
  return result;
}

/**
 * Refuses a plan that names a host the scenario does not have: the applier would skip its
 * events and the run would pass having tested nothing. Checked after setup, which adds every
 * host, against all of them (an explicit plan may fault a client as well as the swarm's hosts).
 */
function refuseUnknownHosts(scenario: Scenario, plan: FaultPlan, hosts: readonly string[]): void {
  try {
    parsePlan(plan, hosts);
  } catch (error) {
    if (error instanceof FaultPlanError)
      throw new ScenarioError(`scenario ${scenario.name} cannot take this ${error.message}`);
    throw error;
  }
  for (const event of plan.faults) {
    const target = "host" in event ? event.host : undefined;
    if (target === undefined || !target.startsWith("@")) continue;
    if (!(scenario.roles ?? []).includes(target.slice(1))) {
      throw new ScenarioError(
        `scenario ${scenario.name} cannot take this fault plan: it resolves no role ${target} (roles: ${(scenario.roles ?? []).join(", ") || "none"})`,
      );
    }
  }
}

function reportGuard(world: World, reason: string, maxEvents: number): void {
  if (reason === "max-events") {
    world.violate({
      invariant: "kernel.runaway-events",
      kind: "liveness",
      details: `more than ${maxEvents} events: a livelock or a busy loop`,
    });
  } else if (reason === "max-time") {
    world.violate({
      invariant: "kernel.runaway-time",
      kind: "liveness",
      details: "virtual time passed the run's maximum",
    });
  }
}

/** Turns unhandled promise rejections during the run into violations. */
function captureUnhandled(world: World): () => void {
  const handler = (reason: unknown) => {
    world.violate({ invariant: "process.unhandled-rejection", kind: "safety", details: describeError(reason) });
  };
  process.on("unhandledRejection", handler);
  return () => {
    process.off("unhandledRejection", handler);
  };
}
