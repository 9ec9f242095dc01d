/**
 * Clock episodes of the swarm: a jump of a host's wall clock (skew) and a change of
 * its rate (drift). The swarm's first shape sets both at one instant, and a skew
 * re-anchors the clock just before the drift changes, which hides a drift change that
 * forgets to re-anchor. So half the runs (drawn per seed, recorded in the plan's mix)
 * let episodes change the drift apart from a skew.
 *
 * Determinism: whether episodes are apart, and the draws of their shapes, come from
 * streams forked for them; an episode's own stream draws what the first shape drew,
 * so the other episodes of a plan, and plans whose runs are not apart, stay as they were.
 */
import type { Random } from "../random.ts";
import type { FaultEvent } from "./plan.ts";

/** The largest drift an episode sets, either way. */
export const EPISODE_DRIFT_MAX = 0.01;
/** The largest skew an episode sets, either way (ms). */
export const EPISODE_SKEW_MS_MAX = 2000;
/** The share of runs whose episodes may change drift apart from skews, when the options do not say. */
export const DRIFT_APART_PROBABILITY = 0.5;

/** The clock episodes of one swarm plan. */
export class ClockEpisodes {
  /** Whether episodes may change drift apart from skews: as asked, else drawn for this run. */
  readonly apart: boolean;
  private readonly shapes: Random;

  /** `random` is the swarm's root stream; `apart` forces the choice (undefined: drawn per seed). */
  constructor(random: Random, apart: boolean | undefined) {
    this.apart = apart ?? random.fork("clock/drift-apart").bool(DRIFT_APART_PROBABILITY);
    this.shapes = random.fork("clock/shapes");
  }

  /**
   * One episode of `host` within [start, end], drawing from `random` what the first
   * shape drew. Not apart: a skew and a drift at `start`. Apart: one of three shapes,
   * each a third of the time: both at `start`; the skew at `start` and the drift at a
   * later instant; or the drift alone at `start`, changed again (alone) at `end`.
   */
  episode(random: Random, host: string, start: number, end: number): FaultEvent[] {
    const offsetMs = Math.round(random.float(-EPISODE_SKEW_MS_MAX, EPISODE_SKEW_MS_MAX)) || 0;
    const drift = random.float(-EPISODE_DRIFT_MAX, EPISODE_DRIFT_MAX);
    if (!this.apart) return [{ atMs: start, kind: "clock-skew", host, offsetMs, drift }];
    switch (this.shapes.int(0, 2)) {
      case 0:
        return [{ atMs: start, kind: "clock-skew", host, offsetMs, drift }];
      case 1: {
        const driftAtMs = start + Math.max(1, Math.round(this.shapes.float(0, end - start)));
        return [
          { atMs: start, kind: "clock-skew", host, offsetMs },
          { atMs: driftAtMs, kind: "clock-skew", host, drift },
        ];
      }
      default: {
        const nextDrift = this.shapes.float(-EPISODE_DRIFT_MAX, EPISODE_DRIFT_MAX);
        return [
          { atMs: start, kind: "clock-skew", host, drift },
          { atMs: Math.max(end, start + 1), kind: "clock-skew", host, drift: nextDrift },
        ];
      }
    }
  }
}
