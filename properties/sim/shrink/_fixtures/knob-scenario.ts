/**
 * A test-only scenario whose failure needs one knob off its default: it breaks
 * "test.low-threshold" when a host crashes while the knob `threshold` is at most
 * THRESHOLD_FAILING_MAX (default 10), and never otherwise. Its other knobs do not
 * matter: `hosts` (3 or 5 hosts h1..hN, the fault hosts), `mode` and `latencyMs`.
 * Shrinking must bring those back to their defaults (dropping the faults on h4 and
 * h5 when it goes back to 3 hosts) and `threshold` to the failing value nearest its
 * default.
 */
import type { FaultPlan } from "../../../../src/sim/faults/plan.ts";
import { boolKnob, intKnob, pickKnob } from "../../../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext, ScenarioHooks } from "../../../../src/sim/runner.ts";

const IDLE_SLEEP_MS = 10;
export const THRESHOLD_DEFAULT = 10;
export const THRESHOLD_FAILING_MAX = 4;

function hostsOf(knob: KnobReader): string[] {
  return Array.from({ length: knob<number>("hosts") }, (_, index) => `h${index + 1}`);
}

export const knobScenario: Scenario = {
  name: "test-knobs",
  description: "fails only after a crash while the threshold knob is low",
  safetyMs: 1_000,
  livenessMs: 500,
  swarm: { hosts: hostsOf },
  knobs: {
    hosts: pickKnob([3, 5], 3),
    threshold: intKnob(1, 20, THRESHOLD_DEFAULT),
    mode: boolKnob(0.5, false),
    latencyMs: pickKnob([1, 5, 20, 50], 5),
  },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world, knob } = context;
  const hosts = hostsOf(knob);
  for (const name of hosts) {
    world
      .addHost(name, async (env) => {
        for (;;) await env.clock.sleep(IDLE_SLEEP_MS + knob<number>("latencyMs") + (knob<boolean>("mode") ? 1 : 0));
      })
      .start();
  }
  let reported = false;
  return {
    check: () => {
      if (reported || knob<number>("threshold") > THRESHOLD_FAILING_MAX) return;
      const crashed = hosts.find((host) => world.host(host).state === "down");
      if (crashed === undefined) return;
      reported = true;
      world.violate({
        invariant: "test.low-threshold",
        kind: "safety",
        details: `${crashed} crashed with threshold ${knob<number>("threshold")}`,
      });
    },
    progress: () => true,
  };
}

/** Knobs off their defaults, one of them (threshold) needed by the failure. */
export const offDefaultKnobs = { hosts: 5, threshold: 1, mode: true, latencyMs: 50 } as const;

/** A crash of h2 among faults on h4 and h5 and others; with a low threshold, the crash fails the run. */
export const knobPlan: FaultPlan = {
  version: 1,
  faults: [
    { atMs: 100, kind: "pause", host: "h4", durationMs: 100 },
    { atMs: 150, kind: "isolate", host: "h5", durationMs: 200 },
    { atMs: 200, kind: "crash", host: "h2" },
    { atMs: 300, kind: "restart", host: "h2" },
    { atMs: 400, kind: "crash", host: "h5" },
    { atMs: 500, kind: "restart", host: "h5" },
    { atMs: 600, kind: "clog", from: "h1", to: "h3", durationMs: 100 },
  ],
};
