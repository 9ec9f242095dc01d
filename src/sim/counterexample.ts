/**
 * Counterexample files: everything needed to replay a run bit for bit (scenario,
 * seed, variant, buggify, wire mode, the knobs, the concrete fault plan), what it produced (the
 * fingerprint and the violations), so `dst replay` can confirm it exactly, and the
 * code it was made with, so a replay that diverges can say whether the code changed,
 * and the module its scenario came from (a project's config or scenario module), so
 * the commands find the scenario again without being told where.
 */
import { parsePlan, type FaultPlan } from "./faults/plan.ts";
import { WIRE_MODES, type WireMode } from "./net/rpc/frame-channel.ts";
import type { KnobValue } from "./knobs.ts";
import type { RunOptions, RunResult } from "./runner.ts";
import type { Violation } from "./world.ts";

export const COUNTEREXAMPLE_FORMAT = "dst-counterexample";
export const COUNTEREXAMPLE_VERSION = 1;

/** The code a run was made with (the CLI knows it; the simulation does not). */
export interface CodeVersion {
  /** The git commit checked out, when the package is a git checkout. */
  gitCommit?: string;
  /** SHA-256 over the package's sources (paths and contents, in path order), uncommitted edits included. */
  sourcesSha256?: string;
}

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
  /**
   * The run's configuration (Scenario.knobs), replayed as recorded (files written
   * before knobs were recorded have none: the seed draws them again). Shrinking moves
   * them toward their defaults.
   */
  knobs?: Record<string, KnobValue>;
  expected: { fingerprint: string; violations: Violation[] };
  /**
   * The code that made it (absent in files written before it was recorded, and from library callers that give none).
   */
  codeVersion?: CodeVersion;
  /**
   * The module the scenario came from: a project's dst config or a module exporting the scenario, as a path relative
   * to the project's directory (or absolute). Absent for the bundled scenarios, in files written before it was
   * recorded, and from callers that do not know it.
   */
  module?: string;
}

/** A run's fingerprint as `Trace.fingerprint` writes it: 64 bits in 16 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

export class CounterexampleError extends Error {
  override readonly name = "CounterexampleError";
}

/** The counterexample of a run made with `options`; `codeVersion` and `module`, when given, are recorded with it. */
export function counterexampleOf(
  result: RunResult,
  options: RunOptions,
  codeVersion?: CodeVersion,
  module?: string,
): Counterexample {
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
  if (result.stats.knobs !== undefined) counterexample.knobs = result.stats.knobs;
  if (codeVersion !== undefined) counterexample.codeVersion = codeVersion;
  if (module !== undefined) counterexample.module = module;
  return counterexample;
}

/** The run options that replay a counterexample. */
export function replayOptions(counterexample: Counterexample): RunOptions {
  const options: RunOptions = {
    seed: counterexample.seed,
    faults: counterexample.faultPlan,
    buggify: counterexample.buggify,
  };
  if (counterexample.wireMode !== undefined) options.wireMode = counterexample.wireMode;
  if (counterexample.variant !== undefined) options.variant = counterexample.variant;
  if (counterexample.safetyMs !== undefined) options.safetyMs = counterexample.safetyMs;
  if (counterexample.livenessMs !== undefined) options.livenessMs = counterexample.livenessMs;
  if (counterexample.params !== undefined) options.params = counterexample.params;
  if (counterexample.knobs !== undefined) options.knobs = counterexample.knobs;
  return options;
}

/** Validates untrusted JSON as a counterexample. Throws CounterexampleError. */
export function parseCounterexample(value: unknown): Counterexample {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CounterexampleError("not a counterexample: expected a JSON object");
  const record = value as Record<string, unknown>;
  if (record.format !== COUNTEREXAMPLE_FORMAT)
    throw new CounterexampleError(`not a counterexample: 'format' must be "${COUNTEREXAMPLE_FORMAT}"`);
  if (record.version !== COUNTEREXAMPLE_VERSION)
    throw new CounterexampleError(`unsupported counterexample version ${String(record.version)}`);
  if (typeof record.scenario !== "string") throw new CounterexampleError("counterexample: 'scenario' must be a string");
  if (typeof record.seed !== "number" || !Number.isSafeInteger(record.seed) || record.seed < 0)
    throw new CounterexampleError("counterexample: 'seed' must be a non-negative integer");
  if (record.variant !== undefined && typeof record.variant !== "string")
    throw new CounterexampleError("counterexample: 'variant' must be a string");
  if (record.wireMode !== undefined && !WIRE_MODES.includes(record.wireMode as WireMode)) {
    throw new CounterexampleError(`counterexample: 'wireMode' must be one of ${WIRE_MODES.join(", ")}`);
  }
  const expected = record.expected as Record<string, unknown> | undefined;
  if (
    typeof expected !== "object" ||
    expected === null ||
    typeof expected.fingerprint !== "string" ||
    !Array.isArray(expected.violations)
  ) {
    throw new CounterexampleError("counterexample: 'expected' must hold 'fingerprint' and 'violations'");
  }
  // A fingerprint that could never match would make every replay look like a divergence.
  if (!FINGERPRINT_PATTERN.test(expected.fingerprint))
    throw new CounterexampleError("counterexample: 'expected.fingerprint' must be 16 lowercase hex digits");
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
    expected: { fingerprint: expected.fingerprint, violations: expected.violations.map(parseViolation) },
  };
  if (typeof record.variant === "string") counterexample.variant = record.variant;
  if (record.wireMode !== undefined) counterexample.wireMode = record.wireMode as WireMode;
  for (const name of ["safetyMs", "livenessMs"] as const) {
    const field = record[name];
    if (field === undefined) continue;
    if (typeof field !== "number" || !(field > 0))
      throw new CounterexampleError(`counterexample: '${name}' must be a positive number`);
    counterexample[name] = field;
  }
  if (typeof record.params === "object" && record.params !== null)
    counterexample.params = record.params as Record<string, unknown>;
  if (record.knobs !== undefined) counterexample.knobs = parseKnobs(record.knobs);
  if (record.codeVersion !== undefined) counterexample.codeVersion = parseCodeVersion(record.codeVersion);
  if (record.module !== undefined) {
    if (typeof record.module !== "string" || record.module.length === 0)
      throw new CounterexampleError("counterexample: 'module' must be a non-empty string (a path)");
    counterexample.module = record.module;
  }
  return counterexample;
}

/** A recorded violation, checked: replay compares them field by field, and shrink keeps the first one's signature. */
function parseViolation(value: unknown, index: number): Violation {
  const fail = (what: string): never => {
    throw new CounterexampleError(`counterexample: 'expected.violations[${index}]' ${what}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("must be an object");
  const { invariant, kind, time, host, details } = value as Record<string, unknown>;
  if (typeof invariant !== "string") fail("needs a string 'invariant'");
  if (kind !== "safety" && kind !== "liveness" && kind !== "kernel")
    fail("needs a 'kind' of safety, liveness or kernel");
  if (typeof time !== "number" || !Number.isFinite(time)) fail("needs a finite number 'time'");
  if (host !== undefined && typeof host !== "string") fail("has a 'host' that is not a string");
  if (typeof details !== "string") fail("needs a string 'details'");
  return value as Violation;
}

function parseKnobs(value: unknown): Record<string, KnobValue> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CounterexampleError("counterexample: 'knobs' must be an object");
  const knobs: Record<string, KnobValue> = {};
  for (const [name, knob] of Object.entries(value as Record<string, unknown>)) {
    if (typeof knob !== "number" && typeof knob !== "string" && typeof knob !== "boolean")
      throw new CounterexampleError(`counterexample: knob '${name}' must be a number, string or boolean`);
    if (typeof knob === "number" && !Number.isFinite(knob))
      throw new CounterexampleError(`counterexample: knob '${name}' must be finite`);
    knobs[name] = knob;
  }
  return knobs;
}

function parseCodeVersion(value: unknown): CodeVersion {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CounterexampleError("counterexample: 'codeVersion' must be an object");
  const { gitCommit, sourcesSha256 } = value as Record<string, unknown>;
  const codeVersion: CodeVersion = {};
  if (gitCommit !== undefined) {
    if (typeof gitCommit !== "string" || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(gitCommit))
      throw new CounterexampleError(
        "counterexample: 'codeVersion.gitCommit' must be a git object name (40 or 64 lowercase hex digits)",
      );
    codeVersion.gitCommit = gitCommit;
  }
  if (sourcesSha256 !== undefined) {
    if (typeof sourcesSha256 !== "string" || !/^[0-9a-f]{64}$/.test(sourcesSha256))
      throw new CounterexampleError("counterexample: 'codeVersion.sourcesSha256' must be 64 lowercase hex digits");
    codeVersion.sourcesSha256 = sourcesSha256;
  }
  return codeVersion;
}
