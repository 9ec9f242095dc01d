/**
 * AutoCompactor: etcd's revision-mode auto compaction (--auto-compaction-mode=revision
 * --auto-compaction-retention=N): every `intervalMs` the leader proposes
 * compact(revision - N) when that is above the last compaction point, so the
 * history (and the snapshot, which holds it) stays bounded. Off unless configured,
 * as in etcd. A failed proposal is simply tried again at the next interval.
 * Buggify point "etcd.compact-at-odd-moment" starts a round at a random moment of
 * the interval (the retention is kept: only the timing changes).
 */
import type { Env, Timer } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { RaftError } from "../../raft/index.ts";
import { EtcdError } from "../errors.ts";
import type { Member } from "./member.ts";

export class AutoCompactor {
  private timer: Timer | undefined;
  private stopped = false;
  private inFlight = false;

  constructor(
    private readonly env: Env,
    private readonly member: Member,
    /** Revisions kept behind the current one. */
    private readonly retentionRevisions: number,
    private readonly intervalMs: number,
  ) {
    assert(
      Number.isSafeInteger(retentionRevisions) && retentionRevisions >= 0,
      "the retention is a non-negative number of revisions",
    );
    assert(intervalMs > 0, "the auto compaction interval is positive");
  }

  start(): void {
    if (this.stopped) return;
    // Buggify: the next round comes at a random moment of the interval.
    const delayMs = this.env.buggify("etcd.compact-at-odd-moment", { afterHeal: true })
      ? this.env.random.float(0, this.intervalMs)
      : this.intervalMs;
    this.timer = this.env.clock.setTimer(delayMs, () => {
      this.tick();
      this.start();
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private tick(): void {
    if (this.inFlight || this.member.node.state() !== "Leader") return;
    const store = this.member.fsm.mvcc;
    const target = store.revision - this.retentionRevisions;
    if (target <= store.compactRevision) return;
    this.inFlight = true;
    this.member
      .propose({ type: "compact", revision: target })
      .catch((error: unknown) => {
        if (!(error instanceof EtcdError) && !(error instanceof RaftError)) throw error;
      })
      .finally(() => (this.inFlight = false));
  }
}
