/**
 * Determinism properties (DESIGN.md, "Determinism contract"; src/sim/trace.ts).
 *
 * Invariants, one sentence each:
 * - For any seed and any fault plan, a workload of hosts doing streams, datagrams, timers and random draws gives the
 *   same fingerprint and the same trace records in two runs.
 * - Different seeds give different schedules: the fingerprints of 20 distinct seeds are pairwise distinct.
 *
 * Each property is a function of the world factory and runs both on the shipping world and
 * on deliberately nondeterministic ones (_fixtures/kernel-determinism.ts), which it must catch.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { NetError, type Connection, type Env } from "../../src/sim/env.ts";
import { faultPlanArbitrary } from "../../src/sim/faults/arbitrary.ts";
import { applyPlan } from "../../src/sim/faults/apply.ts";
import type { FaultPlan } from "../../src/sim/faults/plan.ts";
import { canonicalRecordText, firstDifference } from "../../src/sim/trace.ts";
import { ambientStateWorld, seedIgnoringWorld } from "./_fixtures/kernel-determinism.ts";
import { expectCaught } from "./_support/find-counterexample.ts";
import { invariant } from "./_support/invariant.ts";
import { recordsOf } from "./_support/trace-models.ts";
import { realWorld, type WorldFactory } from "./_support/world-factory.ts";

const HOSTS = ["a", "b", "c", "d"] as const;
const STREAM_PORT = 7;
const DATAGRAM_PORT = 9;
const EVENTS_MAX = 50_000;

async function consume(env: Env, connection: Connection): Promise<void> {
  try {
    while (true) {
      const chunk = await connection.read();
      if (chunk === null) return;
      env.trace("stream.read", { from: connection.remoteAddress, bytes: chunk.length, at: env.clock.now() });
    }
  } catch (error) {
    if (error instanceof NetError) env.trace("stream.error", { code: error.code });
  }
}

async function serve(env: Env): Promise<void> {
  try {
    const listener = env.net.listen(STREAM_PORT);
    while (true) void consume(env, await listener.accept());
  } catch (error) {
    if (!(error instanceof NetError)) throw error;
  }
}

async function send(env: Env, peer: string): Promise<void> {
  try {
    const connection = await env.net.dial(peer, STREAM_PORT, { timeoutMs: env.random.int(50, 500) });
    for (let i = env.random.int(1, 4); i > 0; i--) {
      await connection.write(env.random.bytes(env.random.int(1, 5000)));
      await env.clock.sleep(env.random.float(0, 10));
    }
    if (env.random.bool(0.8)) connection.close();
    else connection.reset();
  } catch (error) {
    if (error instanceof NetError) env.trace("dial.error", { code: error.code });
  }
}

/** Each step is chosen by the host's random stream: every draw shows up in the trace. */
async function workload(env: Env, steps: number): Promise<void> {
  const peers = HOSTS.filter((host) => host !== env.host);
  env.net.onDatagram(DATAGRAM_PORT, (datagram) =>
    env.trace("datagram", { from: datagram.from, bytes: datagram.payload.length, at: env.clock.monotonic() }),
  );
  void serve(env);
  for (let step = 0; step < steps; step++) {
    switch (env.random.int(0, 4)) {
      case 0:
        env.net.sendDatagram(env.random.pick(peers), DATAGRAM_PORT, env.random.bytes(env.random.int(1, 64)));
        break;
      case 1:
        void send(env, env.random.pick(peers));
        break;
      case 2:
        await env.clock.sleep(env.random.float(0, 40));
        break;
      case 3:
        env.clock.setTimer(env.random.int(0, 100), () => env.trace("timer", { value: env.random.uint32() }));
        break;
      default:
        env.trace("draw", { order: env.random.shuffle(peers), value: env.random.next() });
        await env.clock.sleep(env.random.int(1, 5));
    }
  }
}

interface DeterminismInput {
  seed: number;
  plan: FaultPlan;
}

const planArbitrary = faultPlanArbitrary({ hosts: HOSTS, durationMs: 800 });

const determinismArbitrary: fc.Arbitrary<DeterminismInput> = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  plan: planArbitrary,
});

interface RunOutcome {
  fingerprint: string;
  records: string[];
}

async function runOnce(
  makeWorld: WorldFactory,
  seed: number,
  plan: FaultPlan,
  options: { keepRecords: boolean; untilMs: number; steps: number },
): Promise<RunOutcome> {
  const world = makeWorld({ seed, trace: { keepRecords: options.keepRecords } });
  for (const name of HOSTS) world.addHost(name, (env) => workload(env, options.steps)).start();
  const applier = applyPlan(world, plan);
  world.scheduler.at(options.untilMs * 0.75, () => applier.healAll());
  const result = await world.scheduler.run({ untilTime: options.untilMs, maxEvents: EVENTS_MAX });
  invariant(result.reason === "until", () => `the run ended with ${result.reason} after ${result.events} events`);
  invariant(world.violations.length === 0, () => `violations: ${JSON.stringify(world.violations.slice(0, 3))}`);
  const records = options.keepRecords ? recordsOf(world.trace).map(canonicalRecordText) : [];
  return { fingerprint: world.trace.fingerprint(), records };
}

async function checkSameRun(makeWorld: WorldFactory, input: DeterminismInput): Promise<void> {
  const options = { keepRecords: true, untilMs: 1200, steps: 40 };
  const first = await runOnce(makeWorld, input.seed, input.plan, options);
  const second = await runOnce(makeWorld, input.seed, input.plan, options);
  invariant(first.records.length > 0, () => "the run recorded nothing");
  const difference = firstDifference(
    first.records.map((text) => JSON.parse(text)),
    second.records.map((text) => JSON.parse(text)),
  );
  invariant(
    difference === undefined,
    () =>
      `seed ${input.seed}: the runs differ at record ${difference?.index}: ${difference?.left} vs ${difference?.right}`,
  );
  invariant(
    first.fingerprint === second.fingerprint,
    () => `seed ${input.seed}: same records but fingerprints ${first.fingerprint} and ${second.fingerprint}`,
  );
}

function sameRunProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[DeterminismInput]> {
  return fc.asyncProperty(determinismArbitrary, (input) => checkSameRun(makeWorld, input));
}

const DISTINCT_SEEDS = 20;

const distinctSeedsArbitrary = fc.record({
  seeds: fc.uniqueArray(fc.integer({ min: 0, max: 0x7fffffff }), {
    minLength: DISTINCT_SEEDS,
    maxLength: DISTINCT_SEEDS,
  }),
  plan: planArbitrary,
});

async function checkDistinctSeeds(makeWorld: WorldFactory, input: { seeds: number[]; plan: FaultPlan }): Promise<void> {
  const bySeed = new Map<string, number>();
  for (const seed of input.seeds) {
    const { fingerprint } = await runOnce(makeWorld, seed, input.plan, { keepRecords: false, untilMs: 300, steps: 10 });
    const other = bySeed.get(fingerprint);
    invariant(other === undefined, () => `seeds ${other} and ${seed} give the same fingerprint ${fingerprint}`);
    bySeed.set(fingerprint, seed);
  }
}

function distinctSeedsProperty(makeWorld: WorldFactory): fc.IAsyncProperty<[{ seeds: number[]; plan: FaultPlan }]> {
  return fc.asyncProperty(distinctSeedsArbitrary, (input) => checkDistinctSeeds(makeWorld, input));
}

describe("sim.determinism.same-seed: same seed and plan, same fingerprint and trace", () => {
  const name = "sim.determinism.same-seed";
  it("holds for the world", async () => {
    await fc.assert(sameRunProperty(realWorld), propertyParameters(name, 15));
  });
  it("catches a world whose random streams depend on ambient state", async () => {
    await expectCaught(sameRunProperty(ambientStateWorld), name, 15);
  });
});

describe("sim.determinism.distinct-seeds: different seeds, different schedules", () => {
  const name = "sim.determinism.distinct-seeds";
  it(`holds for the world (${DISTINCT_SEEDS} seeds per run)`, async () => {
    await fc.assert(distinctSeedsProperty(realWorld), propertyParameters(name, 4));
  });
  it("catches a world that ignores its seed", async () => {
    await expectCaught(distinctSeedsProperty(seedIgnoringWorld), name, 4);
  });
});
