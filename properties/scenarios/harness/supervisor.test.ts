/**
 * The clusters' supervisor (scenarios/harness/supervisor.ts) never gives up: a server
 * that fails to start or stops again and again is started again for as long as
 * the run lasts, after a backoff that doubles up to its cap, and every failure is
 * counted by name. Shown failing on a supervisor that gives up after 20 starts.
 */
import { describe, expect, it } from "vitest";
import { RESTART_BACKOFF_MS_MAX, supervise, type Supervised } from "../../../scenarios/harness/supervisor.ts";
import type { Env } from "../../../src/sim/env.ts";
import { World } from "../../../src/sim/world.ts";
import { cappedSupervise } from "./_fixtures/capped-supervisor.ts";

type Supervisor = (env: Env, failures: Record<string, number>, server: Supervised<number>) => Promise<void>;

/**
 * A server that fails to start 30 times, then runs and fails 10 times, then runs until the end; what the supervisor
 * made of it.
 */
async function supervised(
  superviseWith: Supervisor,
): Promise<{ starts: number[]; failures: Record<string, number>; servedAtMs: number | undefined }> {
  const world = new World({ seed: 1 });
  const starts: number[] = [];
  const failures: Record<string, number> = {};
  let servedAtMs: number | undefined;
  world
    .addHost("h", async (env) => {
      await superviseWith(env, failures, {
        start: async () => {
          starts.push(env.clock.monotonic());
          if (starts.length <= 30) throw new RangeError("disk not ready");
          return starts.length;
        },
        run: async (attempt) => {
          if (attempt <= 40) {
            await env.clock.sleep(5);
            return "crashed";
          }
          servedAtMs = env.clock.monotonic();
          return undefined;
        },
      });
    })
    .start();
  await world.scheduler.run({ untilTime: 600_000 });
  return { starts, failures, servedAtMs };
}

describe("scenarios: the supervisor", () => {
  it("starts a failing server again for as long as it takes, with a capped backoff, counting every failure (seed 1)", async () => {
    const { starts, failures, servedAtMs } = await supervised(supervise);
    expect(failures).toEqual({ "start:RangeError": 30, "stopped:crashed": 10 });
    expect(servedAtMs).toBeDefined();
    const gaps = starts.slice(1).map((at, position) => at - (starts[position] as number));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(RESTART_BACKOFF_MS_MAX + 5);
    expect(gaps.slice(-10).every((gap) => gap >= RESTART_BACKOFF_MS_MAX / 2)).toBe(true);
  });

  it("fails on a supervisor that gives up after 20 starts (seed 1)", async () => {
    const { servedAtMs } = await supervised(cappedSupervise);
    expect(servedAtMs).toBeUndefined();
  });
});
