/**
 * The swarm's budget for faulting Gazette brokers (scenarios/gazette/cluster.ts,
 * gazetteBrokerFaults): a broker that went down counts as down until what its
 * spools held is persisted from another replica (its lease and 1 s to rejoin, a
 * persist interval and 1 s), because a broker that rejoins does not get the old
 * content back: it is one replica short until persisted.
 *
 * Regression: gazette-journals seed 100095 (replication 2, 2 s leases, 64 KiB
 * fragments, 60 s persist rounds) drew, under the old budget (lease + 1 s), a
 * crash of broker-2 (a replica of logs/part-001, restarted 12 ms later) and,
 * 38 ms after its window closed, a crash of the primary broker-4, whose link to
 * the replacement peer broker-1 was clogged, so its spool never rolled nor was
 * persisted: the only copy of [250, ~8.5 KiB) was lost, the writer reset the
 * head and two acknowledged appends share offset 250. The seed now passes (the
 * swarm drops the second crash); the old plan, run as an explicit plan, still
 * loses the content, and the budget now refuses it (the two windows overlap).
 */
import { describe, expect, it } from "vitest";
import { gazetteJournals } from "../../../scenarios/gazette/journals.ts";
import { downWindows, type DownWindow } from "../../../src/sim/faults/down-windows.ts";
import type { FaultPlan } from "../../../src/sim/faults/plan.ts";
import type { KnobReader, KnobValue } from "../../../src/sim/runner.ts";
import { describeScenarioRun, runAs } from "../../_support/describe-run.ts";

const SEED = 100_095;
/** The seed's own draw, fixed so that the explicit plan runs in it. */
const KNOBS: Readonly<Record<string, KnobValue>> = {
  brokers: 5,
  replication: 2,
  brokerLeaseTtlSeconds: 2,
  diskSyncMsMean: 1,
  fragmentLengthBytes: 65_536,
  refreshIntervalMs: 1_000,
  persistIntervalMs: 60_000,
};
/** The seed's plan under the old budget, as `dst run` recorded it in its counterexample. */
const OLD_PLAN: FaultPlan = {
  version: 1,
  faults: [
    { atMs: 1_185, kind: "crash", host: "broker-2" },
    { atMs: 1_197, kind: "restart", host: "broker-2" },
    { atMs: 1_228, kind: "clog", from: "broker-2", to: "broker-3", durationMs: 510 },
    { atMs: 1_369, kind: "clog", from: "broker-5", to: "broker-1", durationMs: 3_395 },
    { atMs: 3_056, kind: "clog", from: "broker-4", to: "broker-1", durationMs: 1_998 },
    { atMs: 4_235, kind: "crash", host: "broker-4" },
    { atMs: 4_971, kind: "clog", from: "broker-5", to: "broker-4", durationMs: 70 },
    { atMs: 6_131, kind: "restart", host: "broker-4" },
  ],
};
/** The old budget's recovery: the 2 s lease and 1 s to rejoin. */
const OLD_RECOVERY_MS = 3_000;

const knob: KnobReader = <T extends KnobValue>(name: string) => KNOBS[name] as T;

function windowsOf(plan: FaultPlan, recoveryMs: number): DownWindow[] {
  return downWindows(plan, { kinds: gazetteJournals.swarm?.downKinds, recoveryMs, untilMs: gazetteJournals.safetyMs });
}

/** True if two windows of different hosts are open at once (what downAtOnceMax 1 refuses). */
function overlapping(windows: readonly DownWindow[]): boolean {
  return windows.some((a, i) =>
    windows.slice(i + 1).some((b) => a.host !== b.host && a.startMs <= b.endMs && b.startMs <= a.endMs),
  );
}

function recoveryMs(): number {
  const recovery = gazetteJournals.swarm?.recoveryMs;
  return typeof recovery === "function" ? recovery(knob) : (recovery ?? 0);
}

describe("the Gazette brokers' fault budget: down until what a lost broker held is persisted elsewhere", () => {
  it("counts the lease, 1 s to rejoin, a persist interval and 1 s for the round", () => {
    expect(recoveryMs()).toBe(2_000 + 1_000 + 60_000 + 1_000);
  });

  it(`refuses seed ${SEED}'s old plan: the crashes of broker-2 and broker-4 overlap, and under the old budget they did not`, () => {
    expect(overlapping(windowsOf(OLD_PLAN, OLD_RECOVERY_MS))).toBe(false);
    expect(overlapping(windowsOf(OLD_PLAN, recoveryMs()))).toBe(true);
  });

  it(`seed ${SEED}'s old plan loses acknowledged content (gazette.offsets-agree after a reset-head)`, async () => {
    const run = { seed: SEED, faults: OLD_PLAN, knobs: KNOBS };
    const result = await runAs(gazetteJournals, run);
    expect(
      result.violations.map((violation) => violation.invariant),
      describeScenarioRun(gazetteJournals, run, result),
    ).toContain("gazette.offsets-agree");
    expect(result.stats.probes["gazette.scenario.reset-head"]).toBeGreaterThan(0);
  }, 60_000);

  it(`seed ${SEED} passes: the swarm drops broker-4's crash, and no two windows overlap`, async () => {
    const run = { seed: SEED };
    const result = await runAs(gazetteJournals, run);
    expect(result.violations, describeScenarioRun(gazetteJournals, run, result)).toEqual([]);
    expect(result.stats.knobs).toEqual(KNOBS);
    expect(result.faultPlan.faults).toEqual(
      OLD_PLAN.faults.filter((event) => !("host" in event && event.host === "broker-4")),
    );
    expect(overlapping(windowsOf(result.faultPlan, recoveryMs()))).toBe(false);
  }, 60_000);
});
