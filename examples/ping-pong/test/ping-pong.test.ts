// The scenario as vitest tests: the correct pong passes seeds 1..10; the planted bug is caught.
import { expect, test } from "vitest";
import { findFailure, scenarioTest } from "dst-harness/vitest";
import { pingPong } from "../scenarios/ping-pong.ts";

scenarioTest(pingPong, { seeds: "1..10" });

test("the planted bug (skip-fsync) is caught within seeds 1..30", async () => {
  const failure = await findFailure(pingPong, { seeds: "1..30", variant: "skip-fsync" });
  expect(failure?.result.violations[0]?.invariant).toBe("ping-pong.count-forgotten");
});
