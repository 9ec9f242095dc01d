/**
 * BMDB benchmark: the provisioning workflow (scenarios/bmdb/provisioning.ts: 3
 * agents, 6 machines, two processes, on a 3-node replicated SQLite), measured as
 * work items completed (Finished or Failed) per wall second and simulated seconds
 * per wall second. The baseline is real time: the same workflow's work items per
 * simulated second, so the ratio is how much faster than real time the simulator
 * runs it. Without faults (an empty plan) and under the swarm's faults.
 */
import { bmdbProvisioning } from "../scenarios/bmdb/provisioning.ts";
import { FAULT_PLAN_VERSION } from "../src/sim/faults/plan.ts";
import { runScenario, type RunResult } from "../src/sim/runner.ts";
import { wallNow, type BenchRow, type BenchSection } from "./lib.ts";

const SEEDS = [1, 2, 3];

interface Totals {
  workItems: number;
  virtualMs: number;
  wallMs: number;
}

async function measure(withFaults: boolean): Promise<Totals> {
  const totals: Totals = { workItems: 0, virtualMs: 0, wallMs: 0 };
  for (const seed of SEEDS) {
    const start = wallNow();
    const result: RunResult = await runScenario(bmdbProvisioning, {
      seed,
      ...(withFaults ? {} : { faults: { version: FAULT_PLAN_VERSION, faults: [] } }),
    });
    totals.wallMs += wallNow() - start;
    if (!result.ok)
      throw new Error(
        `bench: bmdb-provisioning seed ${seed} failed: ${result.violations.map((violation) => violation.invariant).join(", ")}`,
      );
    const workload = result.stats.workload;
    totals.workItems += Number(workload["work:finished"] ?? 0) + Number(workload["work:failed"] ?? 0);
    totals.virtualMs += result.stats.virtualTimeMs;
  }
  return totals;
}

function rows(label: string, totals: Totals): BenchRow[] {
  return [
    {
      name: `${label}: work items completed per wall second`,
      value: totals.workItems / (totals.wallMs / 1000),
      unit: "items/s",
      baseline: totals.workItems / (totals.virtualMs / 1000),
      baselineName: "per simulated second: real time",
    },
    {
      name: `${label}: simulated seconds per wall second`,
      value: totals.virtualMs / totals.wallMs,
      unit: "sim s/s",
      baseline: 1,
      baselineName: "real time",
    },
  ];
}

/** The BMDB section of `npm run bench`. */
export async function benchBmdb(): Promise<BenchSection> {
  const calm = await measure(false);
  const faulted = await measure(true);
  return {
    title: "BMDB: the provisioning workflow (3 agents, 3-node replicated SQLite)",
    rows: [...rows("no faults", calm), ...rows("swarm faults", faulted)],
    notes: [
      `Seeds ${SEEDS.join(", ")}, whole runs (safety, liveness and final checks), summed: ${calm.workItems} work items in ${(calm.virtualMs / 1000).toFixed(1)} simulated s without faults, ${faulted.workItems} in ${(faulted.virtualMs / 1000).toFixed(1)} s with them. A work item is one work() through Finish or Fail: two SQL transactions, each checking the session, plus the agents' heartbeats.`,
    ],
  };
}
