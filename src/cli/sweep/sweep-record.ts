/**
 * One JSON line per run of a sweep: everything needed to group failures, merge
 * shards, measure coverage of rare paths and replay any run.
 */
import type { WireMode } from "../../sim/net/rpc/frame-channel.ts";
import type { KnobValue } from "../../sim/knobs.ts";
import type { RunResult } from "../../sim/runner.ts";
import type { Violation } from "../../sim/world.ts";

export type Outcome = "ok" | "safety" | "liveness" | "kernel";

export interface SweepRecord {
  scenario: string;
  seed: number;
  variant?: string;
  /** Present (true) when the run enabled buggify fault points. */
  buggify?: true;
  /** The RPC wire mode of the run (absent in files written before wire modes existed). */
  wireMode?: WireMode;
  /** The swarm's chosen fault mix (or "explicit" for a given plan). */
  faultMix: unknown;
  faults: number;
  /** The run's configuration (Scenario.knobs), when the scenario draws one. */
  knobs?: Record<string, KnobValue>;
  outcome: Outcome;
  violations: Violation[];
  fingerprint: string;
  stats: {
    virtualTimeMs: number;
    events: number;
    traceRecords: number;
    wallMs: number;
    workload: Record<string, number | string>;
  };
  probes: Record<string, number>;
}

export function sweepRecordOf(result: RunResult, wallMs: number, buggify = false): SweepRecord {
  const first = result.violations[0];
  const record: SweepRecord = {
    scenario: result.scenario,
    seed: result.seed,
    wireMode: result.wireMode,
    faultMix: result.faultPlan.origin?.swarm ?? "explicit",
    faults: result.faultPlan.faults.length,
    outcome: first === undefined ? "ok" : first.kind,
    violations: result.violations,
    fingerprint: result.fingerprint,
    stats: {
      virtualTimeMs: result.stats.virtualTimeMs,
      events: result.stats.events,
      traceRecords: result.stats.traceRecords,
      wallMs: Math.round(wallMs),
      workload: result.stats.workload,
    },
    probes: result.stats.probes,
  };
  if (result.variant !== undefined) record.variant = result.variant;
  if (result.stats.knobs !== undefined) record.knobs = result.stats.knobs;
  if (buggify) record.buggify = true;
  return record;
}
