/**
 * A broken copy of the leader's Progress, entering through the core's
 * `createProgress` seam, for showing that the loss-recovery tests can fail.
 * Test-only; never on the shipping path.
 */
import { Progress } from "../../../src/impl/raft/core/progress.ts";

/**
 * A heartbeat response frees a probe but elicits nothing from a replicating stream
 * whose window is full or all in flight (the core before raft-kv-linearizable seed
 * 66 with --buggify): appends that were all lost are sent again only once a heartbeat
 * round finds the stream stalled, one to two heartbeat intervals later.
 */
export class SilentOnHeartbeatProgress extends Progress {
  override heartbeatAnswered(): boolean {
    super.heartbeatAnswered();
    return false;
  }
}

/** The `createProgress` option that builds SilentOnHeartbeatProgress. */
export const silentOnHeartbeat = (nextIndex: number): Progress => new SilentOnHeartbeatProgress(nextIndex);
