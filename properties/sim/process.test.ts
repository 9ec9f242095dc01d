/**
 * Process lifetime properties (src/sim/host.ts, world.ts, world-env.ts, process-context.ts).
 *
 * Invariants, one sentence each:
 * - A crashed process never executes again: none of its code runs (timers, sleeps, handlers, reads), and no app.* or
 *   net.* record of its host appears until the host restarts.
 * - A restarted process's app.* records carry its new incarnation, never an old one.
 * - A cancelled timer never fires, whatever crashes and pauses happen around it.
 * - A restart starts incarnation n+1 with a fresh Env (new lifetime, new random stream) and aborts the old Env's
 *   signal.
 * - While a host is paused none of its code runs; a timer due during the pause fires at the resume, timers keep their
 *   order, and the host's clock kept going meanwhile.
 * - Using a dead process's Env (log, trace, probe, buggify) records a `kernel.dead-process-executed` violation and no
 *   app.* record; using a live one records none.
 *
 * (The peer's side of a crashed process's connections is covered in network.test.ts: it resets.)
 * Host state is modelled from the fault plan the test applied (_support/fault-timeline.ts),
 * never read from the Hosts under test or their trace records, and observed directly by
 * the process code. Each property is a function of the world factory
 * and runs both on the shipping world and on broken ones (_fixtures/kernel-schedulers.ts,
 * kernel-processes.ts), which it must catch.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { NetError, type Connection, type Env } from "../../src/sim/env.ts";
import { faultPlanArbitrary } from "../../src/sim/faults/arbitrary.ts";
import { applyPlan } from "../../src/sim/faults/apply.ts";
import { FAULT_PLAN_VERSION, type FaultEvent, type FaultPlan } from "../../src/sim/faults/plan.ts";
import type { TraceRecord } from "../../src/sim/trace.ts";
import type { World } from "../../src/sim/world.ts";
import {
  DeadEventsRunScheduler,
  IgnoringCancelScheduler,
  PausedEventsRunScheduler,
  worldWithScheduler,
} from "./_fixtures/kernel-schedulers.ts";
import {
  crashIgnoredWorld,
  pauseIgnoredWorld,
  staleEnvWorld,
  unguardedEnvWorld,
} from "./_fixtures/kernel-processes.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import { FaultTimeline, type ModelHost } from "./_support/fault-timeline.ts";
import { describeRecord, recordsOf } from "./_support/trace-models.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

const HOSTS = ["a", "b", "c"] as const;
const STREAM_PORT = 7;
const DATAGRAM_PORT = 9;
/** Runaway guard: a run of these workloads takes about a thousand events. */
const EVENTS_MAX = 20_000;

/** Records whose host must be up: they are the host's own doing, or deliveries to it. */
const NEVER_WHILE_DOWN = new Set([
  "net.datagram.send",
  "net.dial",
  "net.listen",
  "net.connect",
  "net.stream.send",
  "net.stream.close",
  "net.stream.deliver",
  "net.datagram.deliver",
]);
/** Records that only the host's own code (or deliveries to it) produce: never while it is paused. */
const NEVER_WHILE_PAUSED = new Set([
  "net.datagram.send",
  "net.dial",
  "net.listen",
  "net.stream.send",
  "net.stream.close",
  "net.stream.deliver",
  "net.datagram.deliver",
]);

/** Code of the processes reports here each time it runs; it is judged against the plan's model of the hosts. */
class ExecutionLog {
  readonly problems: string[] = [];
  constructor(
    private readonly world: World,
    private readonly timeline: FaultTimeline,
  ) {}

  ran(hostName: string, incarnation: number, what: string): void {
    const time = this.world.now;
    if (!this.timeline.surelyNotRunning(hostName, incarnation, time)) return;
    const state = this.timeline.after(time).hosts.get(hostName);
    this.problems.push(
      `${hostName} incarnation ${incarnation} ran ${what} at t=${time}, while the plan has it ${state?.up === true ? `${state.paused ? "paused" : "running"} in incarnation ${state.incarnation}` : "down"}`,
    );
  }
}

/** Judges every record against the plan's model of the hosts: what must not happen while a host is down or paused. */
function checkTraceAgainstHosts(records: readonly TraceRecord[], timeline: FaultTimeline): void {
  const surely = (host: string, time: number, holds: (state: ModelHost | undefined) => boolean) =>
    holds(timeline.before(time).hosts.get(host)) && holds(timeline.after(time).hosts.get(host));
  for (const record of records) {
    const host = record.host;
    if (host === undefined) continue;
    const kind = record.kind;
    const down = surely(host, record.time, (state) => state === undefined || !state.up);
    const paused = surely(host, record.time, (state) => state?.up === true && state.paused);
    if (kind.startsWith("app.")) {
      invariant(
        !down && !paused,
        () => `an app record from ${host} while the plan has it ${down ? "down" : "paused"}: ${describeRecord(record)}`,
      );
      const incarnation = record.fields?.incarnation;
      invariant(
        typeof incarnation !== "number" || !timeline.surelyNotRunning(host, incarnation, record.time),
        () =>
          `an app record from incarnation ${String(incarnation)} of ${host}, which the plan has not running: ${describeRecord(record)}`,
      );
    }
    if (NEVER_WHILE_DOWN.has(kind))
      invariant(!down, () => `a ${kind} record for ${host} while the plan has it down: ${describeRecord(record)}`);
    if (NEVER_WHILE_PAUSED.has(kind))
      invariant(!paused, () => `a ${kind} record for ${host} while the plan has it paused: ${describeRecord(record)}`);
  }
}

// ---------------------------------------------------------------------------
// A dead (or paused) process never executes

interface LifetimeInput {
  seed: number;
  plan: FaultPlan;
}

const lifetimeArbitrary: fc.Arbitrary<LifetimeInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  plan: faultPlanArbitrary({ hosts: HOSTS, durationMs: 1000, kinds: ["crash", "pause", "partition", "clog"] }),
});

async function readAll(connection: Connection, onRead: () => void, log: ExecutionLog): Promise<void> {
  try {
    while ((await connection.read()) !== null) onRead();
  } catch (error) {
    if (!(error instanceof NetError)) log.problems.push(`read: ${String(error)}`);
  }
}

async function talk(env: Env, peer: string, ran: (what: string) => void, log: ExecutionLog): Promise<void> {
  try {
    const connection = await env.net.dial(peer, STREAM_PORT, { timeoutMs: 200 });
    ran("after dial");
    for (let i = 0; i < 3; i++) {
      await connection.write(env.random.bytes(env.random.int(1, 200)));
      ran("after write");
      await env.clock.sleep(env.random.int(0, 20));
      ran("after sleep between writes");
    }
    connection.close();
  } catch (error) {
    ran("after a network error");
    if (!(error instanceof NetError)) log.problems.push(`talk: ${String(error)}`);
  }
}

async function acceptAll(env: Env, ran: (what: string) => void, log: ExecutionLog): Promise<void> {
  try {
    const listener = env.net.listen(STREAM_PORT);
    while (true) {
      const connection = await listener.accept();
      ran("after accept");
      void readAll(connection, () => ran("after read"), log);
    }
  } catch (error) {
    if (!(error instanceof NetError)) log.problems.push(`accept: ${String(error)}`);
  }
}

/** A busy process: sleeps, timers (some cancelled), datagrams, streams, traces and logs. */
function busyProcess(world: World, log: ExecutionLog, name: string): (env: Env) => Promise<void> {
  return async (env) => {
    const incarnation = env.lifetime.incarnation;
    const ran = (what: string) => log.ran(name, incarnation, what);
    ran("main");
    const peers = HOSTS.filter((host) => host !== name);
    env.net.onDatagram(DATAGRAM_PORT, () => ran("datagram handler"));
    void acceptAll(env, ran, log);
    for (let step = 0; step < 100; step++) {
      switch (env.random.int(0, 5)) {
        case 0:
          await env.clock.sleep(env.random.int(0, 30));
          ran("after sleep");
          break;
        case 1: {
          let cancelled = false;
          const timer = env.clock.setTimer(env.random.int(0, 60), () => {
            ran("timer");
            if (cancelled) log.problems.push(`${name}: a timer fired at t=${world.now} after cancel() returned true`);
          });
          if (env.random.bool(0.1)) cancelled = timer.cancel();
          else if (env.random.bool(0.3)) env.clock.setTimer(env.random.int(0, 60), () => (cancelled = timer.cancel()));
          break;
        }
        case 2:
          env.net.sendDatagram(env.random.pick(peers), DATAGRAM_PORT, env.random.bytes(8));
          break;
        case 3:
          env.trace("tick", { incarnation, step });
          env.log.info("tick", { incarnation, step });
          break;
        case 4:
          void talk(env, env.random.pick(peers), ran, log);
          break;
        default:
          await new Promise<void>((resolve) => env.clock.setTimer(env.random.int(1, 30), resolve));
          ran("after a timer promise");
      }
    }
  };
}

async function checkDeadNeverRuns(makeWorld: WorldFactory, input: LifetimeInput): Promise<void> {
  const world = makeWorld({ seed: input.seed, trace: { keepRecords: true } });
  const timeline = new FaultTimeline({ hosts: HOSTS, plan: input.plan });
  const log = new ExecutionLog(world, timeline);
  for (const name of HOSTS) world.addHost(name, busyProcess(world, log, name)).start();
  applyPlan(world, input.plan);
  const result = await world.scheduler.run({ untilTime: 2000, maxEvents: EVENTS_MAX });
  invariant(log.problems.length === 0, () => log.problems.slice(0, 3).join("; "));
  invariant(result.reason === "until", () => `the run ended with ${result.reason} after ${result.events} events`);
  invariant(world.violations.length === 0, () => `violations: ${JSON.stringify(world.violations.slice(0, 3))}`);
  checkTraceAgainstHosts(recordsOf(world.trace), timeline);
}

function deadNeverRunsProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[LifetimeInput]> {
  return fc.asyncProperty(lifetimeArbitrary, (input) => checkDeadNeverRuns(makeWorld, input));
}

// ---------------------------------------------------------------------------
// Restart: incarnation n+1, fresh Env

interface RestartInput {
  seed: number;
  /** Down intervals of host "a": crash at the start, restart at the end. */
  downs: Array<{ gapMs: number; downMs: number }>;
}

const restartArbitrary: fc.Arbitrary<RestartInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  downs: fc.array(fc.record({ gapMs: fc.integer({ min: 1, max: 100 }), downMs: fc.integer({ min: 0, max: 100 }) }), {
    minLength: 1,
    maxLength: 6,
  }),
});

interface Launch {
  env: Env;
  time: number;
  abortedAtStart: boolean;
  draws: number[];
}

async function checkRestart(makeWorld: WorldFactory, input: RestartInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  const launches: Launch[] = [];
  const restartTimes: number[] = [0];
  const faults: FaultEvent[] = [];
  let time = 0;
  for (const { gapMs, downMs } of input.downs) {
    time += gapMs;
    faults.push({ atMs: time, kind: "crash", host: "a" });
    time += downMs;
    faults.push({ atMs: time, kind: "restart", host: "a" });
    restartTimes.push(time);
  }
  const host = world.addHost("a", async (env) => {
    launches.push({
      env,
      time: world.now,
      abortedAtStart: env.lifetime.signal.aborted,
      draws: [env.random.uint32(), env.random.uint32()],
    });
    await env.clock.sleep(1_000_000);
  });
  host.start();
  applyPlan(world, { version: FAULT_PLAN_VERSION, faults });
  await world.scheduler.run({ untilTime: time + 10 });

  invariant(
    launches.length === restartTimes.length,
    () => `${launches.length} launches for ${restartTimes.length} starts`,
  );
  invariant(
    host.incarnations === launches.length,
    () => `the host counts ${host.incarnations} incarnations, ${launches.length} launched`,
  );
  launches.forEach((launch, index) => {
    const expectedIncarnation = index + 1;
    invariant(
      launch.env.lifetime.incarnation === expectedIncarnation,
      () => `launch ${index} got incarnation ${launch.env.lifetime.incarnation}, expected ${expectedIncarnation}`,
    );
    invariant(
      launch.time === restartTimes[index],
      () => `incarnation ${expectedIncarnation} started at ${launch.time}, expected ${restartTimes[index]}`,
    );
    invariant(
      !launch.abortedAtStart,
      () => `incarnation ${expectedIncarnation} started with an aborted lifetime signal`,
    );
    const last = index === launches.length - 1;
    invariant(
      launch.env.lifetime.signal.aborted === !last,
      () =>
        `incarnation ${expectedIncarnation}'s signal is ${launch.env.lifetime.signal.aborted ? "" : "not "}aborted at the end`,
    );
    for (let earlier = 0; earlier < index; earlier++) {
      const previous = launches[earlier] as Launch;
      invariant(
        previous.env !== launch.env,
        () => `incarnation ${expectedIncarnation} reuses the Env of incarnation ${earlier + 1}`,
      );
      invariant(
        previous.draws.join() !== launch.draws.join(),
        () => `incarnation ${expectedIncarnation} draws the same random numbers as incarnation ${earlier + 1}`,
      );
    }
  });
  invariant(
    host.incarnation?.incarnation === launches.length,
    () => `the live incarnation is ${host.incarnation?.incarnation}`,
  );
}

function restartProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[RestartInput]> {
  return fc.asyncProperty(restartArbitrary, (input) => checkRestart(makeWorld, input));
}

// ---------------------------------------------------------------------------
// Pause parks the host's events

interface PauseInput {
  seed: number;
  pauses: Array<{ atMs: number; durationMs: number }>;
  /** Timers set at t = 0.5 (so due times never coincide with the whole-millisecond pause boundaries). */
  timers: number[];
}

const pauseArbitrary: fc.Arbitrary<PauseInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  pauses: fc.array(
    fc.record({ atMs: fc.integer({ min: 1, max: 300 }), durationMs: fc.integer({ min: 1, max: 150 }) }),
    { minLength: 1, maxLength: 4 },
  ),
  timers: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 20 }),
});

interface Fire {
  timer: number;
  time: number;
  monotonic: number;
  wall: number;
}

async function checkPause(makeWorld: WorldFactory, input: PauseInput): Promise<void> {
  const world = makeWorld({ seed: input.seed });
  const plan = {
    version: FAULT_PLAN_VERSION,
    faults: input.pauses.map(({ atMs, durationMs }): FaultEvent => ({ atMs, kind: "pause", host: "a", durationMs })),
  };
  const timeline = new FaultTimeline({ hosts: ["a", "b"], plan });
  const log = new ExecutionLog(world, timeline);
  const fires: Fire[] = [];
  let setAt: { time: number; monotonic: number; wall: number } | undefined;
  world
    .addHost("a", async (env) => {
      await env.clock.sleep(0.5);
      setAt = { time: world.now, monotonic: env.clock.monotonic(), wall: env.clock.now() };
      input.timers.forEach((durationMs, timer) => {
        env.clock.setTimer(durationMs, () => {
          log.ran("a", 1, `timer ${timer}`);
          fires.push({ timer, time: world.now, monotonic: env.clock.monotonic(), wall: env.clock.now() });
        });
      });
      while (true) {
        await env.clock.sleep(1);
        log.ran("a", 1, "heartbeat");
      }
    })
    .start();
  world.addHost("b", busyProcess(world, log, "b")).start();
  applyPlan(world, plan);
  const result = await world.scheduler.run({ untilTime: 1000, maxEvents: EVENTS_MAX });
  invariant(log.problems.length === 0, () => log.problems.slice(0, 3).join("; "));
  invariant(result.reason === "until", () => `the run ended with ${result.reason} after ${result.events} events`);

  invariant(setAt !== undefined, () => "the timers were never set");
  const start = setAt;
  // The pauses the plan makes (overlapping ones merge), never the ones the host reports.
  const pauses: Array<{ from: number; to: number }> = [];
  for (const change of timeline.hostChangesDuring("a", 0, Number.POSITIVE_INFINITY)) {
    if (change.kind === "pause") pauses.push({ from: change.time, to: Number.POSITIVE_INFINITY });
    if (change.kind === "resume") (pauses[pauses.length - 1] as { to: number }).to = change.time;
  }
  invariant(fires.length === input.timers.length, () => `${fires.length} of ${input.timers.length} timers fired`);
  const dueOf = (timer: number) => start.time + (input.timers[timer] as number);
  for (const fire of fires) {
    const due = dueOf(fire.timer);
    const pause = pauses.find(({ from, to }) => from <= due && due <= to);
    const onTime = fire.time === due && (pause === undefined || due === pause.from || due === pause.to);
    const atResume = pause !== undefined && fire.time === pause.to;
    invariant(
      onTime || atResume,
      () => `timer ${fire.timer} due at ${due} fired at ${fire.time}; pauses ${JSON.stringify(pauses)}`,
    );
    invariant(
      fire.monotonic - start.monotonic === fire.time - start.time && fire.wall - start.wall === fire.time - start.time,
      () =>
        `timer ${fire.timer} read the clock ${fire.monotonic - start.monotonic} ms after it was set, ${fire.time - start.time} ms passed`,
    );
  }
  for (let i = 1; i < fires.length; i++) {
    const previous = fires[i - 1] as Fire;
    const current = fires[i] as Fire;
    const inOrder =
      dueOf(previous.timer) < dueOf(current.timer) ||
      (dueOf(previous.timer) === dueOf(current.timer) && previous.timer < current.timer);
    invariant(
      inOrder,
      () =>
        `timer ${current.timer} (due ${dueOf(current.timer)}) fired after timer ${previous.timer} (due ${dueOf(previous.timer)})`,
    );
  }
}

function pauseProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[PauseInput]> {
  return fc.asyncProperty(pauseArbitrary, (input) => checkPause(makeWorld, input));
}

// ---------------------------------------------------------------------------
// Using a dead process's Env is a kernel violation

type EnvUse = "log.debug" | "log.info" | "log.warn" | "log.error" | "trace" | "probe" | "buggify";

const ENV_USES: readonly EnvUse[] = ["log.debug", "log.info", "log.warn", "log.error", "trace", "probe", "buggify"];

function useEnv(env: Env, use: EnvUse): void {
  const fields = { incarnation: env.lifetime.incarnation };
  switch (use) {
    case "log.debug":
      return env.log.debug("stale", fields);
    case "log.info":
      return env.log.info("stale", fields);
    case "log.warn":
      return env.log.warn("stale", fields);
    case "log.error":
      return env.log.error("stale", fields);
    case "trace":
      return env.trace("stale", fields);
    case "probe":
      return env.probe("stale");
    case "buggify":
      void env.buggify("stale");
      return;
  }
}

interface DeadEnvInput {
  seed: number;
  use: EnvUse;
  controlAtMs: number;
  crashAtMs: number;
  useAfterCrashMs: number;
  restart: boolean;
}

const deadEnvArbitrary: fc.Arbitrary<DeadEnvInput> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  use: fc.constantFrom(...ENV_USES),
  controlAtMs: fc.integer({ min: 1, max: 50 }),
  crashAtMs: fc.integer({ min: 51, max: 100 }),
  useAfterCrashMs: fc.integer({ min: 1, max: 100 }),
  restart: fc.boolean(),
});

async function checkDeadEnvUse(makeWorld: WorldFactory, input: DeadEnvInput): Promise<void> {
  const world = makeWorld({ seed: input.seed, buggify: true, trace: { keepRecords: true } });
  let stale: Env | undefined;
  let violationsAfterControl: number | undefined;
  world
    .addHost("a", async (env) => {
      if (env.lifetime.incarnation === 1) stale = env;
      await env.clock.sleep(1_000_000);
    })
    .start();
  world
    .addHost("b", async (env) => {
      await env.clock.sleep(input.controlAtMs);
      if (stale !== undefined) useEnv(stale, input.use);
      violationsAfterControl = world.violations.length;
      await env.clock.sleep(input.crashAtMs + input.useAfterCrashMs - input.controlAtMs);
      if (stale !== undefined) useEnv(stale, input.use);
    })
    .start();
  const faults: FaultEvent[] = [{ atMs: input.crashAtMs, kind: "crash", host: "a" }];
  if (input.restart) faults.push({ atMs: input.crashAtMs, kind: "restart", host: "a" });
  const plan = { version: FAULT_PLAN_VERSION, faults };
  applyPlan(world, plan);
  await world.scheduler.run({ untilTime: 1000 });

  invariant(
    violationsAfterControl === 0,
    () => `using a live Env (${input.use}) recorded violations: ${JSON.stringify(world.violations)}`,
  );
  const useTime = input.crashAtMs + input.useAfterCrashMs;
  const found = world.violations.filter((violation) => violation.invariant === "kernel.dead-process-executed");
  invariant(
    found.length === 1,
    () =>
      `using a dead Env (${input.use}) at ${useTime} recorded ${found.length} kernel.dead-process-executed violations`,
  );
  const violation = found[0] as (typeof found)[number];
  invariant(
    violation.host === "a" && violation.kind === "kernel" && violation.time === useTime,
    () => `the violation should name host a, kind kernel, t=${useTime}: ${JSON.stringify(violation)}`,
  );
  checkTraceAgainstHosts(recordsOf(world.trace), new FaultTimeline({ hosts: ["a", "b"], plan }));
}

function deadEnvProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[DeadEnvInput]> {
  return fc.asyncProperty(deadEnvArbitrary, (input) => checkDeadEnvUse(makeWorld, input));
}

// ---------------------------------------------------------------------------

describe("sim.process.dead-never-runs: a dead process never executes again", () => {
  const name = "sim.process.dead-never-runs";
  it("holds for the world", async () => {
    await fc.assert(deadNeverRunsProperty(realWorld), propertyParameters(name, 25));
  });
  it.each([
    ["runs the events of dead processes", worldWithScheduler(() => new DeadEventsRunScheduler())],
    ["runs the events of paused hosts", worldWithScheduler(() => new PausedEventsRunScheduler())],
    ["ignores cancel()", worldWithScheduler(() => new IgnoringCancelScheduler())],
  ])("catches a scheduler that %s", async (_label, makeWorld) => {
    await expectCaught(deadNeverRunsProperty(makeWorld), name, 25);
  });
  it.each([
    ["pause", pauseIgnoredWorld],
    ["crash", crashIgnoredWorld],
  ])("catches hosts whose %s does nothing", async (_label, makeWorld) => {
    await expectCaught(deadNeverRunsProperty(makeWorld), name, 25);
  });
});

describe("sim.process.restart: a restart gets incarnation n+1 and a fresh Env", () => {
  const name = "sim.process.restart";
  it("holds for the world", async () => {
    await fc.assert(restartProperty(realWorld), propertyParameters(name, 60));
  });
  it("catches a world that hands a restarted process its old Env", async () => {
    await expectCaught(restartProperty(staleEnvWorld), name, 60);
  });
});

describe("sim.process.pause: pause parks the host's events until resume", () => {
  const name = "sim.process.pause";
  it("holds for the world", async () => {
    await fc.assert(pauseProperty(realWorld), propertyParameters(name, 40));
  });
  it("catches a scheduler that runs the events of paused hosts", async () => {
    await expectCaught(pauseProperty(worldWithScheduler(() => new PausedEventsRunScheduler())), name, 40);
  });
  it("catches hosts whose pause does nothing", async () => {
    await expectCaught(pauseProperty(pauseIgnoredWorld), name, 40);
  });
});

describe("sim.process.dead-env: using a dead process's Env is a kernel violation", () => {
  const name = "sim.process.dead-env";
  it("holds for the world", async () => {
    await fc.assert(deadEnvProperty(realWorld), propertyParameters(name, 60));
  });
  it("catches an Env that skips the liveness guard", async () => {
    await expectCaught(deadEnvProperty(unguardedEnvWorld), name, 60);
  });
});
