/**
 * Crafted fault plans of the etcd properties.
 *
 * staleReadPlan: the classic trigger of a stale read. For each member L in turn:
 * L is cut off from the other members (client c1 stays with L, the other clients
 * reach everyone) and paused for 700 ms, so the others elect a new leader and take
 * writes while L still believes it leads; then L runs in 100 ms slices between
 * 150 ms pauses, so that it keeps believing it leads (its check-quorum counts only
 * the ticks it runs) for about a second, and every read c1 sends it during a pause
 * is answered when it resumes, within the read's deadline. One of the three
 * episodes targets the leader of the moment. Served from L's local replica, such a
 * read misses the writes the new leader committed before it began.
 *
 * memberCrashPlan: each member crashes in turn for 350 ms (the watcher, attached to
 * n1 first, must resume on another member, then again).
 *
 * Both are timed for CRAFTED_PLAN_KNOBS: three members electing within 200-400 ms
 * (a 700 ms pause, a 350 ms crash outlast an election), the configuration of
 * etcd-kv before it drew its knobs.
 */
import type { FaultEvent, FaultPlan } from "../../../../src/sim/faults/plan.ts";
import type { KnobValue } from "../../../../src/sim/runner.ts";

/** The configuration the crafted plans are timed for (ETCD_KNOBS' names). */
export const CRAFTED_PLAN_KNOBS: Readonly<Record<string, KnobValue>> = {
  servers: 3,
  heartbeatIntervalMs: 20,
  electionTimeoutHeartbeats: 10,
  snapshotCount: 64,
  snapshotCatchUpEntries: 16,
  maxEntriesPerAppend: 64,
  maxInflightAppends: 8,
  preVote: true,
  leaseCheckIntervalMs: 100,
  diskSyncMsMean: 1,
};

const SERVERS = ["n1", "n2", "n3"] as const;

export const STALE_READ_EPISODE_MS = 2_500;
export const STALE_READ_SAFETY_MS = 300 + SERVERS.length * STALE_READ_EPISODE_MS;

export function staleReadPlan(): FaultPlan {
  const faults: FaultEvent[] = [];
  SERVERS.forEach((target, index) => {
    const at = 300 + index * STALE_READ_EPISODE_MS;
    faults.push({
      atMs: at,
      kind: "partition",
      groups: [[target, "c1"], SERVERS.filter((server) => server !== target)],
    });
    faults.push({ atMs: at, kind: "pause", host: target, durationMs: 700 });
    for (let slice = 0; slice < 6; slice++)
      faults.push({ atMs: at + 800 + slice * 250, kind: "pause", host: target, durationMs: 150 });
    faults.push({ atMs: at + 2_300, kind: "heal" });
  });
  return { version: 1, faults };
}

export function memberCrashPlan(): FaultPlan {
  const faults: FaultEvent[] = [];
  SERVERS.forEach((host, index) => {
    faults.push({ atMs: 600 + index * 500, kind: "crash", host });
    faults.push({ atMs: 950 + index * 500, kind: "restart", host });
  });
  return { version: 1, faults };
}
