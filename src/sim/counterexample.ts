/**
 * Counterexample files: everything needed to replay a run bit for bit (scenario,
 * seed, variant, buggify, wire mode, the concrete fault plan) and what it produced (the
 * fingerprint and the violations), so `dst replay` can confirm it exactly.
 */
import { parsePlan, type FaultPlan } from "./faults/plan.ts";
import { WIRE_MODES, type WireMode } from "./net/rpc/frame-channel.ts";
import type { RunOptions, RunResult } from "./runner.ts";
import type { Violation } from "./world.ts";

export const COUNTEREXAMPLE_FORMAT = "dst-counterexample";
export const COUNTEREXAMPLE_VERSION = 1;

export interface Counterexample {
  format: typeof COUNTEREXAMPLE_FORMAT;
  version: number;
  scenario: string;
  seed: number;
  variant?: string;
  buggify: boolean;
  /** The RPC wire mode of the run (files written before wire modes existed have none: the swarm picks again). */
  wireMode?: WireMode;
  faultPlan: FaultPlan;
  /** Phase lengths, when they differ from the scenario's defaults (shrinking shortens them). */
  safetyMs?: number;
  livenessMs?: number;
  /** Workload parameters (shrinking may reduce them). */
  params?: Record<string, unknown>;
  expected: { fingerprint: string; violations: Violation[] };
}

/** A run's fingerprint as `Trace.fingerprint` writes it: 64 bits in 16 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

export class CounterexampleError extends Error {
  override readonly name = "CounterexampleError";
}

export function counterexampleOf(result: RunResult, options: RunOptions): Counterexample {
  const counterexample: Counterexample = {
    format: COUNTEREXAMPLE_FORMAT,
    version: COUNTEREXAMPLE_VERSION,
    scenario: result.scenario,
    seed: result.seed,
    buggify: options.buggify ?? false,
    wireMode: result.wireMode,
    faultPlan: result.faultPlan,
    expected: { fingerprint: result.fingerprint, violations: result.violations },
  };
  if (result.variant !== undefined) counterexample.variant = result.variant;
  if (options.safetyMs !== undefined) counterexample.safetyMs = options.safetyMs;
  if (options.livenessMs !== undefined) counterexample.livenessMs = options.livenessMs;
  if (options.params !== undefined) counterexample.params = options.params;
  return counterexample;
}

/** The run options that replay a counterexample. */
export function replayOptions(counterexample: Counterexample): RunOptions {
  const options: RunOptions = { seed: counterexample.seed, faults: counterexample.faultPlan, buggify: counterexample.buggify };
  if (counterexample.wireMode !== undefined) options.wireMode = counterexample.wireMode;
  if (counterexample.variant !== undefined) options.variant = counterexample.variant;
  if (counterexample.safetyMs !== undefined) options.safetyMs = counterexample.safetyMs;
  if (counterexample.livenessMs !== undefined) options.livenessMs = counterexample.livenessMs;
  if (counterexample.params !== undefined) options.params = counterexample.params;
  return options;
}

/** Validates untrusted JSON as a counterexample. Throws CounterexampleError. */
export function parseCounterexample(value: unknown): Counterexample {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CounterexampleError("not a counterexample: expected a JSON object");
  const record = value as Record<string, unknown>;
  if (record.format !== COUNTEREXAMPLE_FORMAT) throw new CounterexampleError(`not a counterexample: 'format' must be "${COUNTEREXAMPLE_FORMAT}"`);
  if (record.version !== COUNTEREXAMPLE_VERSION) throw new CounterexampleError(`unsupported counterexample version ${String(record.version)}`);
  if (typeof record.scenario !== "string") throw new CounterexampleError("counterexample: 'scenario' must be a string");
  if (typeof record.seed !== "number" || !Number.isSafeInteger(record.seed) || record.seed < 0) throw new CounterexampleError("counterexample: 'seed' must be a non-negative integer");
  if (record.variant !== undefined && typeof record.variant !== "string") throw new CounterexampleError("counterexample: 'variant' must be a string");
  if (record.wireMode !== undefined && !WIRE_MODES.includes(record.wireMode as WireMode)) {
    throw new CounterexampleError(`counterexample: 'wireMode' must be one of ${WIRE_MODES.join(", ")}`);
  }
  const expected = record.expected as Record<string, unknown> | undefined;
  if (typeof expected !== "object" || expected === null || typeof expected.fingerprint !== "string" || !Array.isArray(expected.violations)) {
    throw new CounterexampleError("counterexample: 'expected' must hold 'fingerprint' and 'violations'");
  }
  // A fingerprint that could never match would make every replay look like a divergence.
  if (!FINGERPRINT_PATTERN.test(expected.fingerprint)) throw new CounterexampleError("counterexample: 'expected.fingerprint' must be 16 lowercase hex digits");
  let faultPlan: FaultPlan;
  try {
    faultPlan = parsePlan(record.faultPlan);
  } catch (error) {
    throw new CounterexampleError(`counterexample: ${(error as Error).message}`);
  }
  const counterexample: Counterexample = {
    format: COUNTEREXAMPLE_FORMAT,
    version: COUNTEREXAMPLE_VERSION,
    scenario: record.scenario,
    seed: record.seed,
    buggify: record.buggify === true,
    faultPlan,
    expected: { fingerprint: expected.fingerprint, violations: expected.violations as Violation[] },
  };
  if (typeof record.variant === "string") counterexample.variant = record.variant;
  if (record.wireMode !== undefined) counterexample.wireMode = record.wireMode as WireMode;
  for (const name of ["safetyMs", "livenessMs"] as const) {
    const field = record[name];
    if (field === undefined) continue;
    if (typeof field !== "number" || !(field > 0)) throw new CounterexampleError(`counterexample: '${name}' must be a positive number`);
    counterexample[name] = field;
  }
  if (typeof record.params === "object" && record.params !== null) counterexample.params = record.params as Record<string, unknown>;
  return counterexample;
}
