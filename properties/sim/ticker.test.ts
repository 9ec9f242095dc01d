/**
 * The kernel's Ticker (src/sim/host-ticker.ts) counts exactly the callbacks that a
 * timer re-armed at every tick delivers, under random pauses and drift changes of
 * its host: at every observation (off the tick grid, and never one a pause
 * delayed) the ticks taken so far equal the chain's callbacks so far. Judged
 * against a real timer chain on the same host, and shown failing on a ticker that
 * ignores pauses and on one that keeps its phase across them. A wake-up asked for
 * with `wakeBy(k)` comes with the k-th tick when no pause intervenes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Ticker } from "../../src/sim/env.ts";
import type { HostClock } from "../../src/sim/host.ts";
import { HostTicker } from "../../src/sim/host-ticker.ts";
import { World } from "../../src/sim/world.ts";
import { propertyParameters, seedFromName } from "../_support/fast-check.ts";

const INTERVAL_MS = 20;
const RUN_MS = 3_000;

interface Plan {
  readonly seed: number;
  readonly pauses: ReadonlyArray<{ readonly atMs: number; readonly durationMs: number }>;
  readonly drifts: ReadonlyArray<{ readonly atMs: number; readonly drift: number }>;
  readonly observeEveryMs: number;
}

const planArbitrary: fc.Arbitrary<Plan> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  pauses: fc.array(
    fc.record({ atMs: fc.integer({ min: 1, max: RUN_MS - 200 }), durationMs: fc.integer({ min: 1, max: 150 }) }),
    { maxLength: 8 },
  ),
  drifts: fc.array(
    fc.record({ atMs: fc.integer({ min: 1, max: RUN_MS }), drift: fc.double({ min: -0.3, max: 0.3, noNaN: true }) }),
    { maxLength: 3 },
  ),
  observeEveryMs: fc.integer({ min: 3, max: 70 }),
});

type TickerMaker = (world: World, onWake: () => void) => Ticker;

const shippingTicker: TickerMaker = (world, onWake) => {
  let made: Ticker | undefined;
  world.host("h").main = async (env) => {
    made = env.clock.ticker(INTERVAL_MS, onWake);
  };
  return {
    take: () => (made as Ticker).take(),
    wakeBy: (ticks) => (made as Ticker).wakeBy(ticks),
    stop: () => made?.stop(),
  };
};

/** A ticker built on a view of the host clock that a fixture changes. */
function tickerOnView(view: (clock: HostClock) => HostClock): TickerMaker {
  return (world, onWake) => {
    const host = world.host("h");
    let made: HostTicker | undefined;
    const take = () => {
      made ??= new HostTicker(
        view(host.clock),
        INTERVAL_MS,
        host.incarnation as NonNullable<typeof host.incarnation>,
        onWake,
      );
      return made;
    };
    world.host("h").main = async () => {
      take();
    };
    return { take: () => take().take(), wakeBy: (ticks) => take().wakeBy(ticks), stop: () => made?.stop() };
  };
}

/** Ignores pauses: counts a tick every interval while the host is stopped too. */
const pauseBlindTicker = tickerOnView((clock) =>
  Object.assign(Object.create(clock) as HostClock, { resumeAfterPauseAt: () => undefined }),
);

/** Keeps its phase across a pause (as Go's time.Ticker does): after the resume, ticks stay on the old grid. */
const phaseKeepingTicker = tickerOnView((clock) =>
  Object.assign(Object.create(clock) as HostClock, {
    resumeAfterPauseAt: (at: number) => {
      const resume = clock.resumeAfterPauseAt(at);
      return resume === undefined ? undefined : Math.ceil((resume - at) / INTERVAL_MS) * INTERVAL_MS + at - INTERVAL_MS;
    },
  }),
);

/** Runs a plan; returns the first observation at which the ticker and the chain disagree. */
async function firstMismatch(plan: Plan, makeTicker: TickerMaker): Promise<string | undefined> {
  const world = new World({ seed: plan.seed });
  world.addHost("h");
  const ticker = makeTicker(world, () => undefined);
  const main = world.host("h").main;
  let mismatch: string | undefined;
  world.host("h").main = async (env) => {
    await main?.(env);
    let chain = 0;
    const rearm = () =>
      env.clock.setTimer(INTERVAL_MS, () => {
        chain++;
        rearm();
      });
    rearm();
    let taken = 0;
    // Off the grid: 0.37 ms past a multiple of the interval, at the plan's pace.
    let due = env.clock.monotonic() + plan.observeEveryMs + 0.37;
    while (mismatch === undefined && env.clock.monotonic() < RUN_MS) {
      await env.clock.sleep(due - env.clock.monotonic());
      const late = env.clock.monotonic() - due > 1e-6;
      taken += ticker.take();
      if (!late && taken !== chain)
        mismatch = `at ${env.clock.monotonic().toFixed(3)} ms: ticker ${taken}, chain ${chain}`;
      due += plan.observeEveryMs;
      if (late) due = env.clock.monotonic() + plan.observeEveryMs + 0.37;
    }
  };
  world.host("h").start();
  for (const pause of plan.pauses) {
    world.scheduler.schedule(pause.atMs, () => world.host("h").pause());
    world.scheduler.schedule(pause.atMs + pause.durationMs, () => world.host("h").resume());
  }
  for (const drift of plan.drifts)
    world.scheduler.schedule(drift.atMs, () => world.host("h").clock.setDrift(drift.drift));
  await world.scheduler.run({ untilTime: RUN_MS * 2 });
  return mismatch;
}

describe("sim: the ticker", () => {
  const name = "sim ticker: ticks taken equal a re-armed timer chain's callbacks, under pauses and drift";
  it(name, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        expect(await firstMismatch(plan, shippingTicker)).toBeUndefined();
      }),
      propertyParameters(name, 150),
    );
  });

  it("fails on a ticker that ignores pauses, and on one that keeps its phase across them", async () => {
    for (const [label, maker] of [
      ["pause-blind", pauseBlindTicker],
      ["phase-keeping", phaseKeepingTicker],
    ] as const) {
      const details = await fc.check(
        fc.asyncProperty(planArbitrary, async (plan) => (await firstMismatch(plan, maker)) === undefined),
        { seed: seedFromName(`ticker: ${label}`), numRuns: 150 },
      );
      expect(details.failed, label).toBe(true);
    }
  });

  it("wakes for the k-th tick not yet taken, and an earlier wake-up asked for stays (seed 1)", async () => {
    const world = new World({ seed: 1 });
    const wakes: Array<{ atMs: number; taken: number }> = [];
    world
      .addHost("h", async (env) => {
        const ticker: Ticker = env.clock.ticker(INTERVAL_MS, () =>
          wakes.push({ atMs: env.clock.monotonic(), taken: ticker.take() }),
        );
        ticker.wakeBy(3);
        ticker.wakeBy(5); // later: the wake-up at the 3rd tick stays
        await env.clock.sleep(70);
        ticker.wakeBy(2);
        await env.clock.sleep(200);
        ticker.stop();
        ticker.wakeBy(1); // stopped: nothing more
      })
      .start();
    await world.scheduler.run({ untilTime: 1_000 });
    // Ticks at 20, 40, 60 (the wake-up for the third), then 80, 100: the second wake-up comes with the second tick
    // after 60.
    expect(wakes).toEqual([
      { atMs: 60, taken: 3 },
      { atMs: 100, taken: 2 },
    ]);
  });
});
