/**
 * What the dqlite scenario tests share: the replay command and violations of a run
 * for failure messages, and the fixed fault plan that catches ack-before-raft-commit.
 */
import { FAULT_PLAN_VERSION, type FaultPlan } from "../../../../src/sim/faults/plan.ts";

export { describeRun } from "../../../_support/describe-run.ts";

/** A fixed plan: the first server crashes mid-workload and comes back, then a server is isolated for a while. */
export const CRASH_AND_ISOLATE: FaultPlan = {
  version: FAULT_PLAN_VERSION,
  faults: [
    { atMs: 400, kind: "crash", host: "n1" },
    { atMs: 900, kind: "restart", host: "n1" },
    { atMs: 1_200, kind: "isolate", host: "n2" },
    { atMs: 1_600, kind: "heal" },
  ],
};
