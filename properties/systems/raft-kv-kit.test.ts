/**
 * The README's example of a bundled system's kit (dst-harness/systems/raft-kv),
 * imported through the very module that entry exports (src/systems/raft-kv.ts):
 * an application writes through a raft-kv cluster; the leader is cut off at exactly
 * 700 ms; every replica is read at the end. Invariant: every write the application
 * was told succeeded is on every replica (app.entry-lost), and Raft's own safety
 * records hold. Shown failing on the application's planted bug (trust-unknown: a
 * write that ended with an unknown outcome, as one in flight when its leader is cut
 * off does, is taken as done), under the same cut. Seed 1 throughout.
 */
import { describe, expect, it } from "vitest";
import { runScenario, type FaultPlan, type Scenario } from "../../src/index.ts";
import {
  caughtUp,
  KvClient,
  RAFT_KV_SCENARIO_BASE,
  raftTuningOf,
  reportProblems,
  startKvCluster,
} from "../../src/systems/raft-kv.ts";

const SERVERS = ["n1", "n2", "n3"];
/** The application's planted bug: a write of unknown outcome (ErrLeadershipLost, a timeout) taken as done. */
const APP_VARIANT = "trust-unknown";

export const appLedger: Scenario = {
  ...RAFT_KV_SCENARIO_BASE, // the kit's knobs (Raft tuning, disk latency), disks, leader role and variants
  name: "app-ledger",
  description: "an app writes entries through raft-kv; each acknowledged one must be on every replica",
  variants: { ...RAFT_KV_SCENARIO_BASE.variants, [APP_VARIANT]: "the app takes a write of unknown outcome as done" },
  safetyMs: 2_000,
  livenessMs: 5_000,
  setup(context) {
    const { world } = context;
    const cluster = startKvCluster(context, {
      servers: SERVERS,
      tuning: raftTuningOf(context.knob),
      variant: context.variant === APP_VARIANT ? undefined : context.variant, // the kit's own variants
    });
    const acknowledged: string[] = [];
    let done = false;
    world
      .addHost("app", async (env) => {
        const client = new KvClient(env, { servers: SERVERS });
        for (let i = 0; context.phase() === "safety"; i++) {
          const outcome = await client.put(`entry-${i}`, "x");
          const trusted = outcome.type === "ok" || (outcome.type === "info" && context.variant === APP_VARIANT);
          if (trusted) acknowledged.push(`entry-${i}`);
          await env.clock.sleep(10);
        }
        done = true;
      })
      .start();
    let reported = 0;
    return {
      check: () => void (reported = reportProblems(context, cluster, reported)), // Raft's safety records
      progress: () => done && caughtUp(cluster),
      finish() {
        for (const host of SERVERS) {
          const fsm = cluster.live.get(host)?.fsm; // read every replica
          const missing = acknowledged.filter((key) => fsm?.read(key) !== "x");
          if (missing.length > 0)
            world.violate({
              invariant: "app.entry-lost",
              kind: "safety",
              host,
              details: `${missing.length} of ${acknowledged.length} acknowledged entries missing (${missing[0]}...)`,
            });
        }
      },
      summary: () => ({ acknowledged: acknowledged.length }),
    };
  },
};

/** The leader cut off at exactly 700 ms, for 400 ms. */
const LEADER_CUT: FaultPlan = {
  version: 1,
  faults: [{ atMs: 700, kind: "isolate", host: "@leader", durationMs: 400 }],
};

describe("the raft-kv kit (dst-harness/systems/raft-kv)", () => {
  it("builds a cluster, cuts the leader off at 700 ms, and every replica holds every acknowledged write", async () => {
    const lines: string[] = [];
    const result = await runScenario(appLedger, {
      seed: 1,
      faults: LEADER_CUT,
      trace: { sink: (line) => lines.push(line) },
    });
    expect(result.violations).toEqual([]);
    expect(Number(result.stats.workload.acknowledged)).toBeGreaterThan(20);
    // The trace shows the cut at exactly 700 ms, on the host that led then.
    const records = lines.map((line) => JSON.parse(line) as { time: number; kind: string; host?: string });
    const cut = records.find((record) => record.kind === "fault.isolate");
    expect(cut?.time).toBe(700);
    expect(SERVERS).toContain(cut?.host);
  });

  it("app.entry-lost catches the app's planted bug (a write of unknown outcome taken as done) under the same cut", async () => {
    const result = await runScenario(appLedger, { seed: 1, faults: LEADER_CUT, variant: APP_VARIANT });
    expect(result.violations.map((violation) => violation.invariant)).toContain("app.entry-lost");
  });
});
