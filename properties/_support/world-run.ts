/**
 * Driving a World by hand, outside the runner, as the tests' cluster and world
 * helpers do: a test's code run on a host of its own, a promise watched while
 * virtual time runs, and what went wrong in the world (its violations and the
 * errors a process's main threw) as text. Scenarios never need these: the runner
 * drives their world and reports its violations itself.
 */
import type { Env } from "../../src/sim/env.ts";
import type { World } from "../../src/sim/world.ts";

/** Events one run of the world may take at most (a runaway guard: a test's world that spins fails, never hangs). */
export const WORLD_RUN_EVENTS_MAX = 5_000_000;

/** How a promise (a test's body, a task on a node) ended, filled in once it settles. */
export interface Outcome<T> {
  settled: boolean;
  value?: T;
  error?: unknown;
}

/** The outcome of `promise`, observable while virtual time runs. */
export function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { settled: false };
  promise.then(
    (value) => {
      outcome.settled = true;
      outcome.value = value;
    },
    (error: unknown) => {
      outcome.settled = true;
      outcome.error = error;
    },
  );
  return outcome;
}

/** Adds and starts a host named `host` that runs `body`; its outcome fills in when the body settles. */
export function runOnHost<T>(world: World, host: string, body: (env: Env) => Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { settled: false };
  world
    .addHost(host, async (env) => {
      try {
        outcome.value = await body(env);
      } catch (error) {
        outcome.error = error;
      }
      outcome.settled = true;
    })
    .start();
  return outcome;
}

/** Runs `world` until `predicate` holds or virtual time reaches `untilMs` (absolute), at most `eventsMax` events. */
export async function runWorldUntil(
  world: World,
  untilMs: number,
  predicate?: () => boolean,
  eventsMax = WORLD_RUN_EVENTS_MAX,
): Promise<void> {
  await world.scheduler.run({ untilTime: untilMs, maxEvents: eventsMax, ...(predicate ? { predicate } : {}) });
}

/** A test's body run on a host of its own to its end: how it ended, its world, and the world's problems. */
export interface BodyRun<T> {
  /** The body's result, or undefined if it did not settle. */
  readonly result: T | undefined;
  /** The body's error, if it threw. */
  readonly error: unknown;
  readonly settled: boolean;
  readonly world: World;
  /** Violations and uncaught errors of the world (empty when clean). */
  readonly problems: string[];
}

/** Runs `body` on a new host `host` until it settles or virtual time reaches `untilMs` (absolute). */
export async function runBody<T>(
  world: World,
  host: string,
  body: (env: Env) => Promise<T>,
  untilMs: number,
): Promise<BodyRun<T>> {
  const outcome = runOnHost(world, host, body);
  await runWorldUntil(world, untilMs, () => outcome.settled);
  const { value: result, error, settled } = outcome;
  return { result, error, settled, world, problems: worldProblems(world) };
}

/** The world's violations and uncaught process errors, as text (empty when clean). */
export function worldProblems(world: World): string[] {
  return [
    ...world.violations.map((violation) => `${violation.invariant} at ${violation.time}: ${violation.details}`),
    ...world.uncaughtProcessErrors.map(({ host, error }) => `${host}: ${String(error)}`),
  ];
}
