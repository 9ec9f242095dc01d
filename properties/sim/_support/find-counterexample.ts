/**
 * Runs a property against a deliberately broken component with `fc.check`, on the
 * same fixed-seed parameters as `fc.assert` (properties/_support/fast-check.ts), and
 * asserts that it FAILED: that shows the property catches the bug it is about.
 * DST_SHOW_CAUGHT=1 prints each counterexample found.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { propertyParameters } from "../../_support/fast-check.ts";

/**
 * The details of `fc.check` on the property's CI parameters (fc.check never calls the
 * reporter). No shrinking: the first counterexample is proof enough, and shrinking a
 * simulation replays a whole world per candidate.
 */
export async function checkProperty<T>(
  property: fc.IRawProperty<T>,
  name: string,
  numRuns: number,
): Promise<fc.RunDetails<T>> {
  return await fc.check(property, { ...propertyParameters<T>(name, numRuns), endOnFailure: true });
}

/** A one-line description of a run, for test output. */
export function describeFailure<T>(details: fc.RunDetails<T>): string {
  if (!details.failed) return `no counterexample in ${details.numRuns} runs (seed ${details.seed})`;
  const error = details.errorInstance;
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  return `counterexample after ${details.numRuns} runs (seed ${details.seed}): ${message.slice(0, 400)}`;
}

/** Asserts that the property fails (on the broken component it was given). */
export async function expectCaught<T>(
  property: fc.IRawProperty<T>,
  name: string,
  numRuns: number,
): Promise<fc.RunDetails<T>> {
  const details = await checkProperty(property, name, numRuns);
  if (process.env.DST_SHOW_CAUGHT === "1") console.log(`[caught] ${name}: ${describeFailure(details)}`);
  expect(details.failed, describeFailure(details)).toBe(true);
  return details;
}
