/**
 * A test-only scenario whose failure needs two specific faults: it breaks
 * "test.crash-and-partition" once host "a" has crashed and a link between "b" and
 * "c" has been cut (by a partition or an isolation), in either order, and never
 * otherwise. The workload is trivial: three idle hosts and a ticker that counts
 * `params.ticks` operations (shrinkable, default 40), so the property can check that
 * shrinking keeps both faults, drops everything else, and lowers the workload.
 */
import type { FaultPlan } from "../../../../src/sim/faults/plan.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../../../src/sim/runner.ts";
import type { ShrinkableScenario } from "../../../../src/sim/shrink/shrinkable-params.ts";

const HOSTS = ["a", "b", "c"] as const;
const IDLE_SLEEP_MS = 10;
const TICK_SLEEP_MS = 5;
export const TICKS_DEFAULT = 40;
export const TICKS_MIN = 1;

export const twoFaultScenario: Scenario & ShrinkableScenario = {
  name: "test-two-faults",
  description: "fails only after a crash of a and a cut between b and c",
  safetyMs: 2_000,
  livenessMs: 500,
  swarm: { hosts: HOSTS },
  shrinkableParams: { ticks: { min: TICKS_MIN, default: TICKS_DEFAULT } },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const ticksMax = typeof context.params.ticks === "number" ? context.params.ticks : TICKS_DEFAULT;
  for (const name of HOSTS) {
    world
      .addHost(name, async (env) => {
        for (;;) await env.clock.sleep(IDLE_SLEEP_MS);
      })
      .start();
  }
  let ticks = 0;
  world
    .addHost("ticker", async (env) => {
      for (; ticks < ticksMax; ticks++) await env.clock.sleep(TICK_SLEEP_MS);
    })
    .start();
  let crashedA = false;
  let cut = false;
  let reported = false;
  return {
    check: () => {
      if (world.host("a").state === "down") crashedA = true;
      if (world.links.isCut("b", "c")) cut = true;
      if (crashedA && cut && !reported) {
        reported = true;
        world.violate({ invariant: "test.crash-and-partition", kind: "safety", details: "a crashed and b-c was cut" });
      }
    },
    progress: () => true,
    summary: () => ({ operations: ticks }),
  };
}

/** The plan that fails: a crash/restart of a and a partition of b from c, among unrelated faults. */
export const twoFaultPlan: FaultPlan = {
  version: 1,
  faults: [
    { atMs: 50, kind: "pause", host: "c", durationMs: 200 },
    { atMs: 120, kind: "clock-skew", host: "b", offsetMs: 300 },
    { atMs: 200, kind: "crash", host: "b" },
    { atMs: 300, kind: "restart", host: "b" },
    { atMs: 400, kind: "crash", host: "a" },
    { atMs: 500, kind: "clog", from: "b", to: "c", durationMs: 300 },
    { atMs: 650, kind: "restart", host: "a" },
    { atMs: 700, kind: "link-quality", lossProbability: 0.1 },
    { atMs: 800, kind: "link-quality", lossProbability: 0 },
    { atMs: 900, kind: "partition", groups: [["b"], ["a", "c"]] },
    { atMs: 1_000, kind: "heal" },
    { atMs: 1_100, kind: "pause", host: "a", durationMs: 100 },
    { atMs: 1_500, kind: "crash", host: "c" },
    { atMs: 1_600, kind: "restart", host: "c" },
  ],
};
