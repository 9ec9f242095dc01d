/**
 * Down windows of a fault plan (src/sim/faults/down-windows.ts).
 *
 * Invariants, one sentence each:
 * - The windows count as the swarm counts: in a swarm plan whose downAtOnceMax
 *   is 1, no two windows of different hosts overlap, and every crash, isolation
 *   and pause of a down kind has its window.
 * - A crash lasts until its host's restart, an isolation until the next heal, a
 *   pause for its duration, each plus the recovery; an unfinished one lasts
 *   until the end given.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../_support/fast-check.ts";
import { clearOfWindows, downWindows } from "../../src/sim/faults/down-windows.ts";
import { swarmPlan, type SwarmKind } from "../../src/sim/faults/swarm.ts";
import { Random } from "../../src/sim/random.ts";

const HOSTS = ["a", "b", "c", "d", "e"];
const DOWN_KINDS: readonly SwarmKind[] = ["crash", "isolate", "pause"];

describe("down windows", () => {
  it("count as the swarm does: with downAtOnceMax 1, no two hosts' windows overlap", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 5_000 }), (seed, recoveryMs) => {
        const durationMs = 10_000;
        const plan = swarmPlan(new Random(seed), {
          hosts: HOSTS,
          durationMs,
          downAtOnceMax: 1,
          downKinds: DOWN_KINDS,
          recoveryMs,
        });
        const windows = downWindows(plan, { kinds: DOWN_KINDS, recoveryMs, untilMs: durationMs });
        expect(windows.length).toBe(
          plan.faults.filter((event) => event.kind === "crash" || event.kind === "isolate" || event.kind === "pause")
            .length,
        );
        for (const [index, first] of windows.entries()) {
          for (const second of windows.slice(index + 1)) {
            if (first.host !== second.host)
              expect(
                first.endMs < second.startMs || second.endMs < first.startMs,
                JSON.stringify({ first, second }),
              ).toBe(true);
          }
        }
      }),
      propertyParameters("sim-down-windows-swarm", 200),
    );
  });

  it("end at the restart, the next heal, the pause's end, or the end given; plus the recovery", () => {
    const plan = {
      version: 1,
      faults: [
        { atMs: 100, kind: "crash" as const, host: "a" },
        { atMs: 200, kind: "isolate" as const, host: "b" },
        { atMs: 250, kind: "restart" as const, host: "a" },
        { atMs: 300, kind: "pause" as const, host: "c", durationMs: 40 },
        { atMs: 400, kind: "heal" as const },
        { atMs: 500, kind: "crash" as const, host: "d" },
      ],
    };
    const windows = downWindows(plan, { kinds: DOWN_KINDS, recoveryMs: 10, untilMs: 1_000 });
    expect(windows.map((window) => [window.host, window.startMs, window.endMs])).toEqual([
      ["a", 100, 260],
      ["b", 200, 410],
      ["c", 300, 350],
      ["d", 500, 1_010],
    ]);
    expect(downWindows(plan, { untilMs: 1_000 }).map((window) => window.host)).toEqual(["a", "d"]);
    expect(clearOfWindows(windows, 411, 499)).toBe(true);
    expect(clearOfWindows(windows, 411, 500)).toBe(false);
  });
});
