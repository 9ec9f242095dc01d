/**
 * Invariant: after a failed reconnection the pipe delivers no byte from the rejected
 * connection, and that connection is closed at the network level (as is every
 * connection a reconnection replaced), judged by scenarios/backedpipe/connection-lifecycle.ts
 * from the simulated streams and the chunks the pipe's read() delivered.
 *
 * Method: the pipe scenarios on fixed swarm seeds must pass (their connections are
 * replaced and rejected many times), and the seed's bug, a reader left on the
 * connection whose replay failed (`reader-kept-on-failed-replay`), must be caught by
 * pipe-buffer-too-small on a seed of a small range by each of the two checks: by the
 * bytes the reader goes on delivering while the user takes its time to end the
 * session, and by the connection still open once the pipe is closed.
 */
import { describe, expect, it } from "vitest";
import { pipeBufferTooSmall } from "../../../scenarios/backedpipe/buffer-too-small.ts";
import { pipeFlakyLink } from "../../../scenarios/backedpipe/flaky-link.ts";
import { runScenario, type RunResult } from "../../../src/sim/runner.ts";
import { firstCatch } from "../../_support/catch-variant.ts";

const VARIANT = "reader-kept-on-failed-replay";

function describeViolations(result: RunResult): string {
  return `${result.scenario} seed ${result.seed}: ${result.violations.map((violation) => `${violation.invariant}: ${violation.details}`).join("; ")}`;
}

const firstViolationIs = (invariant: string) => (result: RunResult) => result.violations[0]?.invariant === invariant;

describe("backedpipe connection lifecycle in the pipe scenarios", () => {
  for (const seed of [1, 2, 3]) {
    it(`pipe-flaky-link and pipe-buffer-too-small pass with the lifecycle checks (seed ${seed})`, async () => {
      for (const scenario of [pipeFlakyLink, pipeBufferTooSmall]) {
        const result = await runScenario(scenario, { seed });
        expect(result.violations, describeViolations(result)).toEqual([]);
        const handed =
          Number(result.stats.workload["client.connectionsHanded"]) +
          Number(result.stats.workload["server.connectionsHanded"]);
        expect(handed, "connections handed to the pipes").toBeGreaterThan(2);
      }
    }, 60_000);
  }

  it(`catches ${VARIANT} by the bytes it delivers from the rejected connection (a seed within 1..40)`, async () => {
    const { caught, seen } = await firstCatch(
      pipeBufferTooSmall,
      VARIANT,
      { first: 1, last: 40 },
      firstViolationIs("pipe.no-bytes-from-rejected-connection"),
    );
    expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
    expect(caught?.result.violations[0]?.details).toContain("rejected by a failed reconnection");
  }, 120_000);

  it(`catches ${VARIANT} by the rejected connection left open (a seed within 1..40)`, async () => {
    const { caught, seen } = await firstCatch(
      pipeBufferTooSmall,
      VARIANT,
      { first: 1, last: 40 },
      firstViolationIs("pipe.rejected-connection-closed"),
    );
    expect(caught, `not caught: ${seen.join("; ")}`).toBeDefined();
  }, 120_000);

  it(`the same seeds pass without ${VARIANT}`, async () => {
    for (const seed of [1, 7, 9]) {
      const result = await runScenario(pipeBufferTooSmall, { seed });
      expect(result.violations, describeViolations(result)).toEqual([]);
      expect(String(result.stats.workload.outcome)).toContain("ErrReplayDataUnavailable");
    }
  }, 60_000);
});
