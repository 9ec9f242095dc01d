// The scenario as vitest tests: the correct pong passes seeds 1..10 and 10 generated fault plans; the planted bug
// is caught by both. A failure writes its counterexample, trace and view to dst-counterexamples/ and prints the
// `npx dst replay` command.
import { expect, test } from "vitest";
import { findFailure, findPropertyFailure, scenarioProperty, scenarioTest } from "dst-harness/vitest";
import { pingPong } from "../scenarios/ping-pong.ts";

scenarioTest(pingPong, { seeds: "1..10" });
scenarioProperty(pingPong, { numRuns: 10 });

test("the planted bug (skip-fsync) is caught within seeds 1..30", async () => {
  const failure = await findFailure(pingPong, { seeds: "1..30", variant: "skip-fsync" });
  expect(failure?.result.violations[0]?.invariant).toBe("ping-pong.count-forgotten");
});

test("the planted bug is caught by generated fault plans, shrunk to a few faults", async () => {
  const failure = await findPropertyFailure(pingPong, { variant: "skip-fsync", numRuns: 30 });
  expect(failure?.result.violations[0]?.invariant).toBe("ping-pong.count-forgotten");
  expect(failure?.plan.faults.length).toBeLessThanOrEqual(4);
}, 300_000);
