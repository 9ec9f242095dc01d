/**
 * Invariant: while the gap between what a side wrote and what its peer read fits
 * the ring buffer, each side of a pair of BackedPipes on the simulated network reads
 * exactly the other side's bytes, in order, with no gap, duplicate or reorder, and
 * every write completes within the liveness bound once the link heals.
 *
 * Method: fast-check generates a fault plan (partitions, isolations, clogs of the
 * client and server) and each side's write pattern (chunk sizes, pauses between
 * writes), and runs scenarios/backedpipe/flaky-link.ts on them; its ring buffer holds the
 * largest gap the simulated stream allows. The run must end with no violation and
 * with progress after the heal. The same property must fail on a pipe whose writer
 * replays from one byte too far. With --buggify, pipe-flaky-link seed 20 reaches a
 * reconnection that died mid-replay (the replay written in two parts, the connection
 * failing between them), a state no plain sweep reached.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { pipeFlakyLink } from "../../../scenarios/backedpipe/flaky-link.ts";
import { runScenario } from "../../../src/sim/runner.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import {
  checkCaught,
  describeDetails,
  failureMessage,
  pipeRunInputs,
  PROPERTY_SAFETY_MS,
  runPipe,
} from "./_support/simulated-runs.ts";

const inputs = pipeRunInputs({
  faults: [{ kinds: ["partition", "isolate", "clog"], episodesMax: 5 }],
  stepsMax: 80,
  chunkBytesMax: 4096,
  pauseMsMax: 100,
});
const name = "backedpipe-simulated-replay";

/** Probes hit over the runs of the correct pipe, to show the property reaches the replay path. */
const probesHit = new Map<string, number>();

function replayProperty(variant?: string) {
  return fc.asyncProperty(inputs, async (input) => {
    const run = await runPipe(pipeFlakyLink, input, variant);
    if (!run.result.ok) throw new Error(failureMessage(name, run));
    const progressAtMs = run.result.stats.progressAtMs;
    if (progressAtMs === undefined || progressAtMs > PROPERTY_SAFETY_MS + pipeFlakyLink.livenessMs) {
      throw new Error(
        `${failureMessage(name, run)}\n  no progress within the liveness bound (progress at ${progressAtMs} ms)`,
      );
    }
    for (const [probe, hits] of Object.entries(run.result.stats.probes))
      probesHit.set(probe, (probesHit.get(probe) ?? 0) + hits);
  });
}

describe("backedpipe on the simulated network: replay", () => {
  it("each side reads exactly the other side's bytes, and every write completes after the heal", async () => {
    await fc.assert(replayProperty(), propertyParameters(name, 150));
    expect(
      probesHit.get("backedpipe.replay-from-ring-buffer") ?? 0,
      "runs replayed from the ring buffer",
    ).toBeGreaterThan(0);
  });

  it("reaches a reconnection that died mid-replay with --buggify, and still delivers exactly (pipe-flaky-link seed 20)", async () => {
    const result = await runScenario(pipeFlakyLink, { seed: 20, buggify: true });
    expect(result.violations, "npx dst run pipe-flaky-link --seed 20 --buggify").toEqual([]);
    expect(result.stats.probes["buggify:backedpipe.short-ring-buffer-read"] ?? 0).toBeGreaterThan(0);
    expect(result.stats.probes["backedpipe.partial-replay"] ?? 0, "partial replays").toBeGreaterThan(0);
  });

  it("fails on a pipe whose writer replays from one byte past the peer's sequence number", async () => {
    const details = await checkCaught(replayProperty("off-by-one-replay"), name, 60);
    expect(details.failed, describeDetails(details)).toBe(true);
    expect(String(details.errorInstance)).toContain("pipe.received-exact-prefix");
  });
});
