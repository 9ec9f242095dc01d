/**
 * The runtime determinism guard (src/sim/ambient-guard.ts, scheduler.ts, world.ts).
 *
 * Invariants, one sentence each:
 * - Every guarded ambient call made by host code while the scheduler runs is refused: it throws an
 *   AmbientCallError, and the world records one `determinism.ambient-call` violation naming the call and a call site
 *   in the caller's file.
 * - Two runs of the same seed observe the same values, or the run reports an ambient call: shown failing on a world
 *   built without the guard, whose host reads Math.random and the real clock.
 * - Deterministic uses stay allowed inside a run (`new Date(ms)`, `Date.UTC`, `instanceof Date`, the simulated disk,
 *   whose memfs stamps file times).
 * - Outside a run nothing is guarded and every global is the original: code between two runs, and the test runner's
 *   own timers firing while a run yields to the event loop.
 */
import { randomBytes, randomUUID as nodeRandomUUID } from "node:crypto";
import { setTimeout as nodeSetTimeout } from "node:timers";
import { setTimeout as sleepReal } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { AmbientCallError, ambientGuardInstalled } from "../../src/sim/ambient-guard.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import type { Env } from "../../src/sim/env.ts";
import { AMBIENT_CALL_INVARIANT, World, type Violation } from "../../src/sim/world.ts";
import { runBody } from "../_support/world-run.ts";

const ORIGINAL = {
  Date,
  dateNow: Date.now,
  random: Math.random,
  setTimeout: globalThis.setTimeout,
  performanceNow: performance.now,
} as const;

/** Each guarded call, as the host code of a user's system would make it. */
const CALLS: ReadonlyArray<readonly [string, () => unknown]> = [
  ["Date.now()", () => Date.now()],
  ["new Date()", () => new Date()],
  ["Date()", () => (Date as unknown as () => string)()],
  ["Math.random()", () => Math.random()],
  ["performance.now()", () => performance.now()],
  ["process.hrtime()", () => process.hrtime()],
  ["process.hrtime.bigint()", () => process.hrtime.bigint()],
  ["setTimeout()", () => setTimeout(() => undefined, 1)],
  ["setInterval()", () => setInterval(() => undefined, 1)],
  ["setImmediate()", () => setImmediate(() => undefined)],
  ["crypto.getRandomValues()", () => crypto.getRandomValues(new Uint8Array(4))],
  ["crypto.randomUUID()", () => crypto.randomUUID()],
  ["crypto.randomBytes()", () => randomBytes(4)],
  ["crypto.randomUUID()", () => nodeRandomUUID()],
  ["setTimeout()", () => nodeSetTimeout(() => undefined, 1)],
  ["timers/promises setTimeout()", () => sleepReal(1)],
  ["fetch()", () => fetch("http://127.0.0.1:9/")],
];

const guardViolations = (world: World): Violation[] =>
  world.violations.filter((violation) => violation.invariant === AMBIENT_CALL_INVARIANT);

/** Runs `body` on host "h" of a fresh world (with simulated disks) until it settles. */
function runHost<T>(body: (env: Env) => Promise<T>, options: { ambientGuard?: boolean; seed?: number } = {}) {
  const world = new World({ seed: options.seed ?? 1, disks: createSimDisks(), ambientGuard: options.ambientGuard });
  return runBody(world, "h", body, 1_000);
}

describe("the determinism guard refuses ambient calls of host code", () => {
  for (const [call, make] of CALLS) {
    it(`refuses ${call}`, async () => {
      const run = await runHost(async (env) => {
        await env.clock.sleep(5);
        make();
      });
      expect(run.error).toBeInstanceOf(AmbientCallError);
      const violations = guardViolations(run.world);
      expect(violations).toHaveLength(1);
      const [violation] = violations as [Violation];
      expect(violation.kind).toBe("kernel");
      expect(violation.time).toBe(5);
      expect(violation.fields?.["call"]).toBe(call);
      expect(String(violation.fields?.["site"])).toContain("ambient-guard.test.ts");
      expect(violation.details).toContain("env.");
    });
  }

  it("refuses a call made synchronously inside an event's callback (a timer of the Env)", async () => {
    const run = await runHost(
      (env) =>
        new Promise<unknown>((resolve) => {
          env.clock.setTimer(3, () => {
            try {
              resolve(Math.random());
            } catch (error) {
              resolve(error);
            }
          });
        }),
    );
    expect(run.result).toBeInstanceOf(AmbientCallError);
    expect(guardViolations(run.world).map((violation) => violation.time)).toEqual([3]);
  });
});

describe("two runs of one seed observe the same, or report the ambient call", () => {
  /** What a host observes: its Env's draws and clock, and the ambient values a careless system reads. */
  const observe = async (env: Env): Promise<string> => {
    await env.clock.sleep(env.random.int(1, 50));
    const ambient = [Math.random(), Date.now()].join(",");
    return `${env.random.next()} ${env.clock.now()} ${ambient}`;
  };

  const deterministicOrReported = async (ambientGuard: boolean): Promise<boolean> => {
    const runs = [await runHost(observe, { ambientGuard }), await runHost(observe, { ambientGuard })];
    const reported = runs.every((run) => guardViolations(run.world).length > 0);
    return reported || runs[0]?.result === runs[1]?.result;
  };

  it("holds with the guard", async () => {
    expect(await deterministicOrReported(true)).toBe(true);
  });

  it("is caught failing on a world built without the guard", async () => {
    expect(await deterministicOrReported(false)).toBe(false);
  });
});

describe("deterministic uses stay allowed inside a run", () => {
  it("allows dates from a given time, Date's statics, instanceof and the simulated disk", async () => {
    const run = await runHost(async (env) => {
      const date = new Date(env.clock.now());
      const checks = [
        date instanceof Date,
        date.constructor === Date,
        Date.UTC(2026, 0, 1) === 1_767_225_600_000,
        Date.parse("1970-01-01T00:00:01Z") === 1_000,
        typeof Date.now === "function",
      ];
      await env.disk.writeFile("/a", new Uint8Array([1, 2, 3]));
      const handle = await env.disk.open("/a");
      await handle.write(3, new Uint8Array([4]));
      await handle.sync();
      await handle.close();
      await env.disk.rename("/a", "/b");
      checks.push((await env.disk.readFile("/b")).length === 4);
      return checks;
    });
    expect(run.problems).toEqual([]);
    expect(run.result).toEqual([true, true, true, true, true, true]);
  });
});

describe("outside a run nothing is guarded", () => {
  it("restores every global when the run ends, and allows the calls between runs", async () => {
    const world = new World({ seed: 1 });
    world.addHost("h", (env) => env.clock.sleep(10)).start();
    await world.scheduler.run({ untilTime: 5 });
    expect(ambientGuardInstalled()).toBe(false);
    expect(Date).toBe(ORIGINAL.Date);
    expect(Date.now).toBe(ORIGINAL.dateNow);
    expect(Math.random).toBe(ORIGINAL.random);
    expect(globalThis.setTimeout).toBe(ORIGINAL.setTimeout);
    expect(performance.now).toBe(ORIGINAL.performanceNow);
    expect(new Date().constructor).toBe(Date);
    expect(() => [Date.now(), Math.random(), randomBytes(1)]).not.toThrow();
    await world.scheduler.run({ untilTime: 20 });
    expect(world.violations).toEqual([]);
  });

  it("lets the test runner's own timers fire while a run yields to the event loop", async () => {
    let fired = 0;
    const timer = ORIGINAL.setTimeout(() => {
      fired = Date.now();
    }, 0);
    const world = new World({ seed: 1 });
    // A long run yields to the event loop every few thousand steps: the timer above fires in one of those yields.
    world
      .addHost("h", async (env) => {
        for (let index = 0; index < 20_000; index++) await env.clock.sleep(1);
      })
      .start();
    await world.scheduler.run({ untilTime: 30_000 });
    clearTimeout(timer);
    expect(world.violations).toEqual([]);
    expect(fired).toBeGreaterThan(0);
  });

  it("guards nothing in a world built without the guard", async () => {
    const run = await runHost(async () => Math.random(), { ambientGuard: false });
    expect(run.problems).toEqual([]);
    expect(typeof run.result).toBe("number");
  });
});
