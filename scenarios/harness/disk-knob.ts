/**
 * The disk's sync latency as a knob, for the scenarios that draw it: a slow fsync
 * against a fast network is where durability bugs live (an acknowledgement before
 * the write is durable, a crash between the two). The default is the simulated
 * disk's (DEFAULT_DISK_LATENCY: about 1 ms).
 */
import { createSimDisks } from "../../src/sim/disk/system.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario } from "../../src/sim/runner.ts";

/** The simulated disk's default mean sync latency (DEFAULT_DISK_LATENCY), in ms. */
export const DISK_SYNC_MS_MEAN_DEFAULT = 1;

/** The knob: a fast SSD, the default, a slow disk. */
export const DISK_SYNC_KNOB = {
  diskSyncMsMean: pickKnob([0.2, DISK_SYNC_MS_MEAN_DEFAULT, 5], DISK_SYNC_MS_MEAN_DEFAULT),
} as const satisfies Scenario["knobs"];

/** Disks whose syncs take the knob's mean, exponentially distributed between half of it and 20 times it. */
export function disksOfKnob(knob: KnobReader): ReturnType<typeof createSimDisks> {
  const meanMs = knob<number>("diskSyncMsMean");
  return createSimDisks({ latency: { sync: { kind: "exponential", minMs: meanMs / 2, meanMs, maxMs: meanMs * 20 } } });
}
