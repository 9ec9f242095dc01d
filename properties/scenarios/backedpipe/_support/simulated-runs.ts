/**
 * Shared pieces of the simulated backedpipe properties: fast-check arbitraries for
 * a run's input (a seed, a fault plan, each side's write pattern), running a pipe
 * scenario on one input, and the replay of a failing run: a counterexample file
 * under out/ and the `npx dst replay` command that reruns it bit for bit.
 */
import fc from "fast-check";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writesParam, type PipeSide, type WriteStep } from "../../../../scenarios/backedpipe/workload.ts";
import { counterexampleOf } from "../../../../src/sim/counterexample.ts";
import { faultPlanArbitrary } from "../../../../src/sim/faults/arbitrary.ts";
import { FAULT_PLAN_VERSION, normalizePlan, type FaultPlan } from "../../../../src/sim/faults/plan.ts";
import type { SwarmKind } from "../../../../src/sim/faults/swarm.ts";
import { runScenario, type RunOptions, type RunResult, type Scenario } from "../../../../src/sim/runner.ts";
import { propertyParameters } from "../../../_support/fast-check.ts";

/** The safety phase of a property run: short, so a file of runs stays well under a minute. */
export const PROPERTY_SAFETY_MS = 2000;
/** Where failing runs leave their counterexample files. */
const COUNTEREXAMPLE_DIRECTORY = "out";

/** One generated run. */
export interface PipeRunInput {
  readonly seed: number;
  readonly plan: FaultPlan;
  readonly writes: Readonly<Record<PipeSide, readonly WriteStep[]>>;
  /** Extra scenario params (ring buffer capacity, forced reconnections). */
  readonly params: Readonly<Record<string, number>>;
}

/** A part of a run's fault plan: up to `episodesMax` episodes of the given kinds. */
export interface FaultPart {
  readonly kinds: readonly SwarmKind[];
  readonly episodesMax: number;
}

/** The shape of generated runs: which faults, and how large and how paced the writes are. */
export interface PipeRunShape {
  /** The plan is the union of one plan per part (a part weights its kinds). */
  readonly faults: readonly FaultPart[];
  readonly stepsMax: number;
  readonly chunkBytesMax: number;
  readonly pauseMsMax: number;
  /** Extra params, each drawn from its arbitrary. */
  readonly params?: Readonly<Record<string, fc.Arbitrary<number>>>;
}

/** Inputs of the given shape: faults over the client and server, writes both ways. */
export function pipeRunInputs(shape: PipeRunShape): fc.Arbitrary<PipeRunInput> {
  const step = fc.record({
    bytes: fc.integer({ min: 1, max: shape.chunkBytesMax }),
    pauseMs: fc.integer({ min: 0, max: shape.pauseMsMax }),
  });
  const steps = fc.array(step, { minLength: 1, maxLength: shape.stepsMax });
  return fc.record({
    seed: fc.nat(100_000),
    plan: fc
      .tuple(
        ...shape.faults.map((part) =>
          faultPlanArbitrary({
            hosts: ["client", "server"],
            durationMs: PROPERTY_SAFETY_MS,
            kinds: part.kinds,
            maxEvents: part.episodesMax,
          }),
        ),
      )
      .map((plans) => normalizePlan({ version: FAULT_PLAN_VERSION, faults: plans.flatMap((plan) => plan.faults) })),
    writes: fc.record({ client: steps, server: steps }),
    params: fc.record(shape.params ?? {}),
  });
}

/** A finished run and the options that replay it. */
export interface PipeRun {
  readonly result: RunResult;
  readonly options: RunOptions;
}

/** Runs `scenario` (or its broken `variant`) on one input. */
export async function runPipe(scenario: Scenario, input: PipeRunInput, variant?: string): Promise<PipeRun> {
  const options: RunOptions = {
    seed: input.seed,
    faults: input.plan,
    safetyMs: PROPERTY_SAFETY_MS,
    params: { ...input.params, writes: writesParam(input.writes) },
  };
  if (variant !== undefined) options.variant = variant;
  return { result: await runScenario(scenario, options), options };
}

/**
 * A message with the run's violations and the command that replays it. For a run of
 * the correct code it writes the counterexample file under out/ first; shrinking
 * overwrites the file, so it ends up holding the smallest failing run. A broken
 * variant is expected to fail, so its runs leave no file.
 */
export function failureMessage(property: string, run: PipeRun): string {
  const violations = run.result.violations.map(
    (violation) =>
      `${violation.invariant} at ${violation.time.toFixed(1)} ms on ${violation.host ?? "-"}: ${violation.details}`,
  );
  const lines = [
    `${run.result.scenario} seed ${run.result.seed}${run.options.variant ? ` variant ${run.options.variant}` : ""} failed:`,
    ...violations,
  ];
  if (run.options.variant === undefined) {
    mkdirSync(COUNTEREXAMPLE_DIRECTORY, { recursive: true });
    const path = join(COUNTEREXAMPLE_DIRECTORY, `${property}.counterexample.json`);
    writeFileSync(path, `${JSON.stringify(counterexampleOf(run.result, run.options), null, 2)}\n`);
    lines.push(`replay: npx dst replay ${path}`);
  }
  return lines.join("\n  ");
}

/**
 * Runs a property on a broken variant with `fc.check` on the property's own fixed
 * seed, stopping at the first counterexample (shrinking a simulation costs a world
 * per candidate), and returns the details.
 */
export async function checkCaught<T>(
  property: fc.IAsyncPropertyWithHooks<T>,
  name: string,
  numRuns: number,
): Promise<fc.RunDetails<T>> {
  return await fc.check(property, { ...propertyParameters<T>(name, numRuns), reporter: undefined, endOnFailure: true });
}

/** The first line of a run's failure, for assertion messages. */
export function describeDetails<T>(details: fc.RunDetails<T>): string {
  if (!details.failed) return `no counterexample in ${details.numRuns} runs (seed ${details.seed})`;
  const error = details.errorInstance;
  return `counterexample after ${details.numRuns} runs (seed ${details.seed}): ${error instanceof Error ? error.message : String(error)}`;
}
