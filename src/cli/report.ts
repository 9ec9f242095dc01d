/**
 * Human-readable output of runs and sweeps.
 */
import type { WireMode } from "../sim/net/rpc/frame-channel.ts";
import { describeKnobs } from "../sim/knobs.ts";
import type { RunResult } from "../sim/runner.ts";
import type { Violation } from "../sim/world.ts";
import { wireFlag } from "./input.ts";

export function describeRun(result: RunResult, wallMs: number): string {
  const lines: string[] = [];
  const variant = result.variant === undefined ? "" : ` (variant ${result.variant})`;
  lines.push(
    `${result.scenario} seed ${result.seed}${variant}: ${result.ok ? "ok" : `${result.violations.length} violation(s)`}`,
  );
  lines.push(`fingerprint ${result.fingerprint}`);
  const speed = wallMs > 0 ? ` (${(result.stats.virtualTimeMs / wallMs).toFixed(1)} simulated s per wall s)` : "";
  lines.push(
    `virtual time ${result.stats.virtualTimeMs.toFixed(0)} ms, events ${result.stats.events}, trace records ${result.stats.traceRecords}, wall ${(wallMs / 1000).toFixed(2)} s${speed}`,
  );
  const origin = result.faultPlan.origin?.swarm as { enabled?: string[] } | undefined;
  const mix =
    origin?.enabled === undefined ? "" : ` (swarm: ${origin.enabled.length ? origin.enabled.join(", ") : "no faults"})`;
  lines.push(`faults ${result.faultPlan.faults.length}${mix}, wire ${result.wireMode}`);
  if (result.stats.knobs !== undefined) lines.push(`knobs ${describeKnobs(result.stats.knobs)}`);
  const workload = Object.entries(result.stats.workload)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  if (workload) lines.push(`workload ${workload}`);
  if (result.stats.progressAtMs !== undefined)
    lines.push(`liveness: progress at ${result.stats.progressAtMs.toFixed(0)} ms`);
  for (const violation of result.violations) lines.push(describeViolation(violation));
  return lines.join("\n");
}

export function describeViolation(violation: Violation): string {
  const where = violation.host === undefined ? "" : ` on ${violation.host}`;
  return `VIOLATION ${violation.kind} ${violation.invariant} at ${violation.time.toFixed(1)} ms${where}: ${violation.details}`;
}

/** Groups failures: the signature is the invariant and where it broke. */
export function violationSignature(violation: Violation): string {
  return `${violation.kind} ${violation.invariant}${violation.host === undefined ? "" : ` @${violation.host}`}`;
}

/**
 * The `dst run` command that reruns one seed as a sweep or a hunt ran it (its wire mode only when not the swarm's
 * pick).
 */
export function runCommandLine(run: {
  scenario: string;
  seed: number;
  variant?: string | undefined;
  buggify?: boolean | undefined;
  wireMode?: WireMode | undefined;
}): string {
  const variant = run.variant === undefined ? "" : ` --variant ${run.variant}`;
  const buggify = run.buggify === true ? " --buggify" : "";
  return `npx dst run ${run.scenario} --seed ${run.seed}${variant}${buggify}${wireFlag(run.scenario, run.seed, run.wireMode)}`;
}
