/**
 * Invariant: an error of a connection the pipe has already replaced (a stale
 * generation) never makes the pipe drop its current connection: every disconnect
 * follows a failure of the current connection.
 *
 * Method: fast-check generates a fault plan (partitions, isolations, clogs and
 * pauses), each side's write pattern and how often the client forces a
 * reconnection, and runs scenarios/backedpipe/flaky-link.ts on them. Forced reconnections
 * leave late errors of the replaced connections behind; a pause lets a whole
 * reconnection complete in the burst of parked events at the resume, ahead of the
 * late errors of the connection it replaced, so a stale error arrives while the pipe
 * is connected. The scenario flags any disconnect whose connection had not failed
 * (pipe.no-reconnect-on-stale-error). Across the runs, the pipes' counters must show
 * stale errors ignored, some of them while connected, so the property is not
 * vacuous. The same property must fail on a pipe that tags errors with the latest
 * generation.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { pipeFlakyLink } from "../../../scenarios/backedpipe/flaky-link.ts";
import { PIPE_SIDES } from "../../../scenarios/backedpipe/workload.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { checkCaught, describeDetails, failureMessage, pipeRunInputs, runPipe } from "./_support/simulated-runs.ts";

const inputs = pipeRunInputs({
  // Pauses weigh most: they are what lets a stale error arrive while a pipe is connected.
  faults: [
    { kinds: ["pause"], episodesMax: 6 },
    { kinds: ["partition", "isolate", "clog"], episodesMax: 3 },
  ],
  stepsMax: 60,
  chunkBytesMax: 4096,
  pauseMsMax: 60,
  params: { forceReconnectEveryMsMax: fc.integer({ min: 20, max: 300 }) },
});
const name = "backedpipe-simulated-stale-generation";

/** The pipes' counters summed over the runs of the correct pipe. */
const totals = { staleErrorsIgnored: 0, staleErrorsWhileConnected: 0 };

function staleGenerationProperty(variant?: string) {
  return fc.asyncProperty(inputs, async (input) => {
    const run = await runPipe(pipeFlakyLink, input, variant);
    if (!run.result.ok) throw new Error(failureMessage(name, run));
    const workload = run.result.stats.workload;
    for (const side of PIPE_SIDES) {
      totals.staleErrorsIgnored += Number(workload[`${side}.staleErrorsIgnored`] ?? 0);
      totals.staleErrorsWhileConnected += Number(workload[`${side}.staleErrorsWhileConnected`] ?? 0);
    }
  });
}

describe("backedpipe on the simulated network: stale-generation errors", () => {
  it("never make a pipe drop a connection that has not failed", async () => {
    await fc.assert(staleGenerationProperty(), propertyParameters(name, 150));
    expect(totals.staleErrorsIgnored, "stale errors ignored over all runs").toBeGreaterThan(0);
    expect(totals.staleErrorsWhileConnected, "stale errors that arrived while connected").toBeGreaterThan(0);
  });

  it("fails on a pipe that tags every error with the latest generation", async () => {
    const details = await checkCaught(staleGenerationProperty("stale-generation-reconnect"), name, 60);
    expect(details.failed, describeDetails(details)).toBe(true);
    expect(String(details.errorInstance)).toContain("pipe.no-reconnect-on-stale-error");
  });
});
