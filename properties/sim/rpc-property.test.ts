/**
 * Property of the RPC layer under faults: for random calls (unary and server
 * streams, to two servers, with random server delays and deadlines) under random
 * partitions, heals and server crash-restarts, every call settles with ok or a
 * typed RpcError by its deadline (plus SETTLE_BOUND_MS), and whatever comes back
 * ok is the answer to that call's own request, never another multiplexed call's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Env, Rpc, WireValue } from "../../src/sim/env.ts";
import type { Incarnation } from "../../src/sim/host.ts";
import { createRpc } from "../../src/sim/net/rpc.ts";
import { WIRE_MODES, type WireMode } from "../../src/sim/net/rpc/frame-channel.ts";
import { rpcTransport } from "../../src/sim/world-env.ts";
import { World } from "../../src/sim/world.ts";
import { propertyParameters, seedFromName } from "../_support/fast-check.ts";
import { idSwappingTransport } from "./_fixtures/id-swapping-transport.ts";
import {
  collect,
  runWorld,
  settle,
  worldProblems,
  type CallOutcome,
  type StreamOutcome,
} from "./_fixtures/rpc-world.ts";

const PORT = 7100;
const SERVERS = ["s1", "s2"] as const;
/** How late (host-local ms) after its deadline a call may settle. The deadline timer makes it 0 in practice. */
const SETTLE_BOUND_MS = 1;
/** Codes a call may fail with in this workload: the server never refuses, throws or lacks a method. */
const EXPECTED_CODES = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED"]);

interface PlannedCall {
  startMs: number;
  server: (typeof SERVERS)[number];
  streaming: boolean;
  delayMs: number;
  deadlineMs: number;
  count: number;
}

interface PlannedFault {
  atMs: number;
  kind: "partition" | "heal" | "crash-restart";
  server: (typeof SERVERS)[number];
  downMs: number;
}

interface Plan {
  seed: number;
  calls: PlannedCall[];
  faults: PlannedFault[];
}

const planArbitrary: fc.Arbitrary<Plan> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  calls: fc.array(
    fc.record({
      startMs: fc.integer({ min: 0, max: 300 }),
      server: fc.constantFrom(...SERVERS),
      streaming: fc.boolean(),
      delayMs: fc.integer({ min: 0, max: 150 }),
      deadlineMs: fc.integer({ min: 1, max: 400 }),
      count: fc.integer({ min: 0, max: 40 }),
    }),
    { minLength: 1, maxLength: 25, size: "medium" },
  ),
  faults: fc.array(
    fc.record({
      atMs: fc.integer({ min: 0, max: 500 }),
      kind: fc.constantFrom("partition" as const, "heal" as const, "crash-restart" as const),
      server: fc.constantFrom(...SERVERS),
      downMs: fc.integer({ min: 1, max: 200 }),
    }),
    { maxLength: 6 },
  ),
});

/** The answer a correct server gives to call `index`. */
function expectedResponse(index: number, server: string): WireValue {
  return { index, answer: index * 7 + 1, server };
}

/** The messages a correct server streams for call `index`. */
function expectedMessages(index: number, count: number): WireValue[] {
  return Array.from({ length: count }, (_, sequence) => ({ index, sequence }));
}

function serveWork(env: Env): void {
  const server = env.rpc.serve(PORT);
  server.unary("work", async (request) => {
    const { index, delayMs } = request as { index: number; delayMs: number };
    await env.clock.sleep(delayMs);
    return expectedResponse(index, env.host);
  });
  server.serverStream("work-stream", async (request, send) => {
    const { index, delayMs, count } = request as { index: number; delayMs: number; count: number };
    await env.clock.sleep(delayMs);
    for (const message of expectedMessages(index, count)) await send(message);
  });
}

type Settled = { startedAtMs: number } & (
  | { streaming: false; outcome: CallOutcome }
  | { streaming: true; outcome: StreamOutcome }
);

/** Runs one plan; returns the problems found (empty when the property holds). */
async function runPlan(plan: Plan, wireMode: WireMode, makeRpc: (env: Env, world: World) => Rpc): Promise<string[]> {
  const world = new World({ seed: plan.seed, wireMode });
  for (const name of SERVERS) world.addHost(name, async (env) => serveWork(env)).start();
  const settled: Array<Settled | undefined> = plan.calls.map(() => undefined);
  world
    .addHost("client", async (env) => {
      const rpc = makeRpc(env, world);
      await Promise.all(
        plan.calls.map(async (call, index) => {
          await env.clock.sleep(call.startMs);
          const startedAtMs = env.clock.monotonic();
          const request = { index, delayMs: call.delayMs, count: call.count };
          const options = { deadlineMs: call.deadlineMs };
          settled[index] = call.streaming
            ? {
                startedAtMs,
                streaming: true,
                outcome: await collect(rpc.serverStream(call.server, PORT, "work-stream", request, options), env.clock),
              }
            : {
                startedAtMs,
                streaming: false,
                outcome: await settle(rpc.call(call.server, PORT, "work", request, options), env.clock),
              };
        }),
      );
    })
    .start();
  scheduleFaults(world, plan.faults);
  const endMs =
    Math.max(
      ...plan.calls.map((call) => call.startMs + call.deadlineMs),
      ...plan.faults.map((fault) => fault.atMs + fault.downMs),
    ) + 100;
  await runWorld(world, endMs);
  return [...worldProblems(world), ...plan.calls.flatMap((call, index) => checkCall(call, index, settled[index]))];
}

function scheduleFaults(world: World, faults: readonly PlannedFault[]): void {
  for (const fault of faults) {
    world.scheduler.schedule(fault.atMs, () => {
      if (fault.kind === "partition") world.network.partition([["client"], [fault.server]]);
      else if (fault.kind === "heal") world.network.heal();
      else world.host(fault.server).crash();
    });
    if (fault.kind === "crash-restart")
      world.scheduler.schedule(fault.atMs + fault.downMs, () => world.host(fault.server).start());
  }
}

function checkCall(call: PlannedCall, index: number, result: Settled | undefined): string[] {
  if (result === undefined) return [`call ${index} never settled`];
  const problems: string[] = [];
  const lateMs = result.outcome.atMs - (result.startedAtMs + call.deadlineMs);
  if (lateMs > SETTLE_BOUND_MS) problems.push(`call ${index} settled ${lateMs} ms after its deadline`);
  if (!result.streaming) {
    const outcome = result.outcome;
    if (!outcome.ok && !EXPECTED_CODES.has(outcome.code)) problems.push(`call ${index} failed with ${outcome.message}`);
    if (outcome.ok && !sameValue(outcome.value, expectedResponse(index, call.server))) {
      problems.push(`call ${index} got ${JSON.stringify(outcome.value)}`);
    }
    return problems;
  }
  const { messages, error } = result.outcome;
  if (error !== undefined && !EXPECTED_CODES.has(error.code))
    problems.push(`stream ${index} failed with ${error.message}`);
  const expected = expectedMessages(index, call.count);
  const wanted = error === undefined ? expected : expected.slice(0, messages.length);
  if (!sameValue(messages, wanted)) problems.push(`stream ${index} got ${JSON.stringify(messages)}`);
  return problems;
}

function sameValue(left: WireValue, right: WireValue): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

function rpcProperty(wireMode: WireMode, makeRpc: (env: Env, world: World) => Rpc) {
  return fc.asyncProperty(planArbitrary, async (plan) => {
    const problems = await runPlan(plan, wireMode, makeRpc);
    if (problems.length > 0) throw new Error(`seed ${plan.seed}:\n${problems.join("\n")}`);
  });
}

/** Writes `chunks` on a raw connection to the server, then reads until it ends or resets. */
async function sendGarbage(env: Env, chunks: readonly Uint8Array[]): Promise<void> {
  const connection = await env.net.dial("s1", PORT);
  try {
    for (const chunk of chunks) await connection.write(chunk);
    connection.close();
    while ((await connection.read()) !== null);
  } catch {
    // A reset is the expected answer to garbage.
  }
}

describe("rpc: a broken peer never takes the server down", () => {
  const name = "rpc: after any bytes from raw connections, the server still answers a well-formed call";
  it(name, async () => {
    const garbage = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        // A plausible length prefix followed by arbitrary bytes gets past the framing into the decoder.
        fc.uint8Array({ maxLength: 30 }).map((body) => new Uint8Array([0, 0, 0, body.length, ...body])),
      ),
      { minLength: 1, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(garbage, { minLength: 1, maxLength: 3 }),
        async (seed, connections) => {
          const world = new World({ seed, wireMode: "frames" });
          world.addHost("s1", async (env) => serveWork(env)).start();
          let outcome: CallOutcome | undefined;
          world
            .addHost("client", async (env) => {
              await Promise.all(connections.map((chunks) => sendGarbage(env, chunks)));
              outcome = await settle(env.rpc.call("s1", PORT, "work", { index: 3, delayMs: 1, count: 0 }), env.clock);
            })
            .start();
          await runWorld(world, 10_000);
          expect(worldProblems(world)).toEqual([]);
          expect(outcome).toMatchObject({ ok: true, value: expectedResponse(3, "s1") });
        },
      ),
      propertyParameters(name, 100),
    );
  });
});

/** An RPC whose wire swaps the ids of multiplexed responses (the broken fixture). */
function idSwappingRpc(env: Env, world: World): Rpc {
  const incarnation = world.host(env.host).incarnation as Incarnation;
  return createRpc(env.net, env.clock, idSwappingTransport(rpcTransport(world, incarnation, env.net)));
}

for (const wireMode of WIRE_MODES) {
  describe(`rpc (${wireMode} wire): property under partitions, heals and crashes`, () => {
    const name = `rpc (${wireMode} wire): every call settles by its deadline with its own answer or a typed error`;
    it(name, async () => {
      await fc.assert(
        rpcProperty(wireMode, (env) => env.rpc),
        propertyParameters(name, 100),
      );
    });

    it("fails on a wire that swaps the ids of multiplexed responses (the property has teeth)", async () => {
      const details = await fc.check(rpcProperty(wireMode, idSwappingRpc), {
        seed: seedFromName("rpc: id-swapping fixture"),
        numRuns: 100,
      });
      expect(details.failed).toBe(true);
      expect(String(details.errorInstance)).toMatch(/call \d+ got \{"index"/);
    });
  });
}
