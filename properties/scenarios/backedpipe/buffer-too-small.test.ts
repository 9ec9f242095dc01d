/**
 * Invariant: when the gap between what a side wrote and what its peer read does not
 * fit the ring buffer, the reconnection fails with the typed ErrReplayDataUnavailable
 * on the writer's side, asking for exactly the bytes the peer lacks, and the bytes
 * delivered before it are an exact prefix; there is never a silent gap.
 *
 * Method: fast-check generates a fault plan (partitions, isolations, clogs), each
 * side's write pattern and a ring buffer of 0.5..8 KiB, and runs
 * scenarios/backedpipe/buffer-too-small.ts on them. The run must end with no violation
 * (either every byte delivered, or the genuine typed error surfaced), and across the
 * runs the typed error must have surfaced at least once, so the property is not
 * vacuous. The same property must fail on a writer that replays what remains.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { pipeBufferTooSmall } from "../../../scenarios/backedpipe/buffer-too-small.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { checkCaught, describeDetails, failureMessage, pipeRunInputs, runPipe } from "./_support/simulated-runs.ts";

const inputs = pipeRunInputs({
  faults: [{ kinds: ["partition", "isolate", "clog"], episodesMax: 5 }],
  stepsMax: 80,
  chunkBytesMax: 2048,
  pauseMsMax: 40,
  params: { bufferCapacityBytes: fc.integer({ min: 512, max: 8192 }) },
});
const name = "backedpipe-simulated-buffer-too-small";

/** How each run of the correct pipe ended ("delivered", or the typed error and its side). */
const outcomes = new Map<string, number>();

function bufferTooSmallProperty(variant?: string) {
  return fc.asyncProperty(inputs, async (input) => {
    const run = await runPipe(pipeBufferTooSmall, input, variant);
    if (!run.result.ok) throw new Error(failureMessage(name, run));
    const outcome = String(run.result.stats.workload.outcome);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  });
}

describe("backedpipe on the simulated network: a ring buffer too small for the gap", () => {
  it("surfaces ErrReplayDataUnavailable on the writer's side and delivers an exact prefix, never a silent gap", async () => {
    await fc.assert(bufferTooSmallProperty(), propertyParameters(name, 150));
    const surfaced = [...outcomes.entries()].filter(([outcome]) => outcome.startsWith("ErrReplayDataUnavailable"));
    expect(surfaced.length, `outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`).toBeGreaterThan(0);
    expect(outcomes.get("delivered") ?? 0, "runs whose gap always fitted").toBeGreaterThan(0);
  });

  it("fails on a writer that replays what remains of an evicted replay", async () => {
    const details = await checkCaught(bufferTooSmallProperty("replay-what-remains"), name, 60);
    expect(details.failed, describeDetails(details)).toBe(true);
    expect(String(details.errorInstance)).toContain("pipe.received-exact-prefix");
  });
});
