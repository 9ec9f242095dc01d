/**
 * Invariants of the pure Raft core (src/impl/raft/core), one sentence each:
 * - election-safety: at most one server leads any term;
 * - leader-append-only: a leader never overwrites or deletes an entry of its own log while it leads a term;
 * - log-matching: if two logs hold an entry with the same index and term, they agree on every entry up to it;
 * - leader-completeness: an entry committed in a term is in the log of every leader of every later term;
 * - state-machine-safety: no two servers commit or apply different entries at the same index;
 * - liveness: once the schedule turns fair (no loss, every server ticking), a leader emerges and a proposal is applied
 *   by every server.
 *
 * Method: an in-memory cluster of 3 or 5 cores (_support/core-cluster.ts) runs a
 * schedule that fast-check draws (deliver, drop, duplicate, delay and reorder
 * messages; tick; make effects durable; crash; isolate and heal; propose; transfer
 * leadership; verify leadership), with a random fault mix per run (swarm) and a
 * random tuning; the safety invariants are checked after every action
 * (_support/invariants.ts), then the fair phase checks liveness. The same seed
 * gives the same schedule, so a failure prints a replayable counterexample.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { runSchedule, scheduleArbitrary } from "./_support/schedules.ts";

describe("raft core under random schedules", () => {
  it("keeps every safety invariant after every action, and is live once the schedule is fair (3 or 5 servers)", () => {
    const name = "raft core: safety after every action, liveness when fair";
    fc.assert(
      fc.property(scheduleArbitrary({ nodeCounts: [3, 5] }), (schedule) => {
        const outcome = runSchedule(schedule);
        if (outcome.assertion !== undefined) throw outcome.assertion;
        if (outcome.violation !== undefined) throw outcome.violation;
        expect(outcome.leaderElected).toBe(true);
      }),
      propertyParameters(name, 300),
    );
  });

  it("keeps every invariant with long schedules on three servers", () => {
    const name = "raft core: long schedules on three servers";
    fc.assert(
      fc.property(scheduleArbitrary({ nodeCounts: [3], actionsMax: 600 }), (schedule) => {
        const outcome = runSchedule(schedule);
        if (outcome.assertion !== undefined) throw outcome.assertion;
        if (outcome.violation !== undefined) throw outcome.violation;
      }),
      propertyParameters(name, 80),
    );
  });
});
