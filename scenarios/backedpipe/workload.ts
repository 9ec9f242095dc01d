/**
 * The pipe scenarios' workload as data: each side's write pattern (chunk sizes and
 * the pauses before them), either drawn from the run's workload stream or given
 * explicitly in the run's params (so fast-check can generate and shrink it), and the
 * other knobs a property may set. Params are validated strictly; a malformed value
 * is a ScenarioError naming the field.
 */
import type { Random } from "../../src/sim/random.ts";
import { ScenarioError } from "../../src/sim/runner.ts";

/** The two sides of a pipe session: the client dials, the server listens. */
export type PipeSide = "client" | "server";
/** Both sides, in a fixed order (reports and loops). */
export const PIPE_SIDES: readonly PipeSide[] = ["client", "server"];

/** One write: `bytes` bytes, after a pause of `pauseMs` (host-local; skipped after the safety phase). */
export interface WriteStep {
  readonly bytes: number;
  readonly pauseMs: number;
}

/** Limits on a write pattern. */
export const WRITE_STEPS_MAX = 10_000;
export const WRITE_BYTES_MAX = 1024 * 1024;
export const WRITE_PAUSE_MS_MAX = 60_000;
export const SIDE_TOTAL_BYTES_MAX = 64 * 1024 * 1024;

/** The shape of a generated write pattern. */
export interface WriteShape {
  readonly steps: number;
  readonly chunkBytesMax: number;
  readonly pauseMsMax: number;
}

/** The workload of one run, after defaults and params. */
export interface PipeWorkload {
  readonly writes: Readonly<Record<PipeSide, readonly WriteStep[]>>;
  readonly bufferCapacityBytes: number;
  /** The client forces a reconnection after a pause drawn from [1, this] ms, during the safety phase; 0: never. */
  readonly forceReconnectEveryMsMax: number;
}

export interface PipeWorkloadDefaults {
  readonly shape: WriteShape;
  /** The ring buffer's capacity for the run's write patterns. */
  readonly bufferCapacityBytes: (writes: Readonly<Record<PipeSide, readonly WriteStep[]>>) => number;
  readonly forceReconnectEveryMsMax: number;
}

/**
 * The run's workload: `params.writes` ({ client, server }: arrays of [bytes, pauseMs])
 * or patterns drawn from `random`; `params.bufferCapacityBytes` and
 * `params.forceReconnectEveryMsMax` override the defaults.
 */
export function pipeWorkload(
  params: Readonly<Record<string, unknown>>,
  random: Random,
  defaults: PipeWorkloadDefaults,
): PipeWorkload {
  for (const key of Object.keys(params)) {
    if (!["writes", "bufferCapacityBytes", "forceReconnectEveryMsMax"].includes(key))
      throw new ScenarioError(`params: unknown field '${key}'`);
  }
  const writes =
    params.writes === undefined
      ? {
          client: generateWrites(random.fork("client"), defaults.shape),
          server: generateWrites(random.fork("server"), defaults.shape),
        }
      : parseWrites(params.writes);
  return {
    writes,
    bufferCapacityBytes:
      integerParam(params, "bufferCapacityBytes", 1, SIDE_TOTAL_BYTES_MAX) ?? defaults.bufferCapacityBytes(writes),
    forceReconnectEveryMsMax:
      integerParam(params, "forceReconnectEveryMsMax", 0, WRITE_PAUSE_MS_MAX) ?? defaults.forceReconnectEveryMsMax,
  };
}

/** A write pattern drawn from `random`: `steps` writes of 1..chunkBytesMax bytes after 0..pauseMsMax ms. */
export function generateWrites(random: Random, shape: WriteShape): WriteStep[] {
  const steps: WriteStep[] = [];
  for (let i = 0; i < shape.steps; i++)
    steps.push({ bytes: random.int(1, shape.chunkBytesMax), pauseMs: random.int(0, shape.pauseMsMax) });
  return steps;
}

/** The total bytes of a pattern. */
export function totalBytes(steps: readonly WriteStep[]): number {
  return steps.reduce((sum, step) => sum + step.bytes, 0);
}

/** The compact params form of a pattern: [bytes, pauseMs] pairs. */
export function writesParam(
  writes: Readonly<Record<PipeSide, readonly WriteStep[]>>,
): Record<PipeSide, Array<[number, number]>> {
  const compact = (steps: readonly WriteStep[]): Array<[number, number]> =>
    steps.map((step) => [step.bytes, step.pauseMs]);
  return { client: compact(writes.client), server: compact(writes.server) };
}

function parseWrites(value: unknown): Record<PipeSide, WriteStep[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ScenarioError("params.writes: expected { client, server }");
  const record = value as Record<string, unknown>;
  const parseSide = (side: PipeSide): WriteStep[] => {
    const steps = record[side];
    if (!Array.isArray(steps) || steps.length > WRITE_STEPS_MAX)
      throw new ScenarioError(`params.writes.${side}: expected at most ${WRITE_STEPS_MAX} [bytes, pauseMs] pairs`);
    const parsed = steps.map((step: unknown, index) => {
      const where = `params.writes.${side}[${index}]`;
      if (!Array.isArray(step) || step.length !== 2) throw new ScenarioError(`${where}: expected [bytes, pauseMs]`);
      return {
        bytes: checkInteger(step[0], `${where}[0]`, 1, WRITE_BYTES_MAX),
        pauseMs: checkInteger(step[1], `${where}[1]`, 0, WRITE_PAUSE_MS_MAX),
      };
    });
    if (totalBytes(parsed) > SIDE_TOTAL_BYTES_MAX)
      throw new ScenarioError(`params.writes.${side}: more than ${SIDE_TOTAL_BYTES_MAX} bytes`);
    return parsed;
  };
  return { client: parseSide("client"), server: parseSide("server") };
}

function integerParam(
  params: Readonly<Record<string, unknown>>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = params[name];
  return value === undefined ? undefined : checkInteger(value, `params.${name}`, min, max);
}

function checkInteger(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ScenarioError(`${where}: expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}
