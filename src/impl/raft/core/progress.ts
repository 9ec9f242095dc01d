/**
 * What a leader knows of one follower's log (etcd raft's Progress): the highest
 * index known to match (`matchIndex`), the next index to send (`nextIndex`), and a
 * flow-control mode:
 * - probe: one AppendEntries per heartbeat interval until the follower's log is
 *   found (after a rejection, a restart, or a stall);
 * - replicate: entries are streamed, at most `maxInflightAppends` unacknowledged;
 * - snapshot: the follower is behind the compacted log and gets InstallSnapshot.
 */
import { assert } from "../../../sim/assert.ts";

export type ProgressMode = "probe" | "replicate" | "snapshot";

export class Progress {
  matchIndex = 0;
  mode: ProgressMode = "probe";
  /** Probe mode: a probe is in flight; cleared by a response or the next heartbeat. */
  paused = false;
  /** Replicate mode: the last index of each AppendEntries in flight, oldest first. */
  inflight: number[] = [];
  /** Snapshot mode: the index of the snapshot sent, and ticks since it was sent. */
  pendingSnapshotIndex = 0;
  snapshotElapsedTicks = 0;
  /** Ticks since this follower last answered in this term (check-quorum); a new leader starts every follower at 0. */
  ticksSinceContact = 0;
  /** The match index advanced since the last heartbeat round (else a stream in flight is presumed lost). */
  advancedSinceHeartbeat = false;
  /** Highest leader sequence this follower has answered (verifyLeader). */
  acknowledgedSequence = 0;
  /** Leadership transfer: TimeoutNow already sent to this follower. */
  timeoutNowSent = false;

  constructor(public nextIndex: number) {
    assert(nextIndex >= 1, `nextIndex must be at least 1, got ${nextIndex}`);
  }

  becomeProbe(): void {
    this.mode = "probe";
    this.nextIndex = this.matchIndex + 1;
    this.paused = false;
    this.inflight = [];
  }

  becomeReplicate(): void {
    this.mode = "replicate";
    this.nextIndex = this.matchIndex + 1;
    this.paused = false;
    this.inflight = [];
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.mode = "snapshot";
    this.pendingSnapshotIndex = snapshotIndex;
    this.snapshotElapsedTicks = 0;
    this.paused = false;
    this.inflight = [];
  }

  /**
   * A heartbeat response came (etcd raft's MsgHeartbeatResp): a probe may go again.
   * Returns true: a follower that is behind gets one AppendEntries now, an empty one
   * if the window is full or everything is in flight, because the appends in flight
   * may all be lost, and only an answer (acknowledgement or rejection) frees the window.
   */
  heartbeatAnswered(): boolean {
    if (this.mode === "probe") this.paused = false;
    return true;
  }

  /** Raises the match index; true if it advanced. */
  updateMatch(index: number): boolean {
    if (index <= this.matchIndex) return false;
    this.matchIndex = index;
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    this.advancedSinceHeartbeat = true;
    return true;
  }

  /** Forgets the appends in flight that `index` acknowledges. */
  freeInflightThrough(index: number): void {
    while (this.inflight.length > 0 && (this.inflight[0] as number) <= index) this.inflight.shift();
  }

  /** True when no AppendEntries with entries may be sent now. */
  isPaused(maxInflightAppends: number): boolean {
    switch (this.mode) {
      case "probe":
        return this.paused;
      case "replicate":
        return this.inflight.length >= maxInflightAppends;
      case "snapshot":
        return true;
    }
  }

  /** Records an AppendEntries sent with entries through `lastIndex` (none: `lastIndex` undefined). */
  sent(lastIndex: number | undefined, maxInflightAppends: number): void {
    if (this.mode === "replicate" && lastIndex !== undefined) {
      assert(this.inflight.length < maxInflightAppends, "replicate: more appends in flight than allowed");
      this.inflight.push(lastIndex);
      this.nextIndex = lastIndex + 1;
    } else if (this.mode === "probe") {
      this.paused = true;
    }
  }
}
