/**
 * ReadIndex: how the leader serves a linearizable read (etcd's linearizableReadLoop
 * on Raft's ReadIndex), on hashicorp/raft's contract.
 *
 * 1. Note the commit index when the read arrives (the read index).
 * 2. Confirm leadership: a quorum answers a heartbeat sent after the read arrived
 *    (RaftNode.verifyLeader). No other leader can have committed anything then.
 * 3. Wait until the FSM applied the read index, then read the local store.
 * A leader that has not yet committed an entry of its own term does not know the
 * commit index of the previous term: the first read of a term goes through a
 * barrier instead (it commits the term's no-op and applies everything before it).
 * When the FSM lags the read index after the confirmation, a barrier is the fallback.
 *
 * A seam for testing: a subclass may confirm otherwise (scenarios/etcd/variants.ts
 * has one that skips all this and serves a deposed leader's stale data); the server
 * builds its ReadIndex through EtcdServerParts.createReadIndex.
 */
import { ErrNotLeader, type RaftNode } from "../../raft/index.ts";

/** How long a read waits for room in the leader's apply window (barriers), in ms. */
export const READ_ENQUEUE_TIMEOUT_MS = 200;

export class ReadIndex {
  /** The term in which this leader has committed an entry (so its commit index is current). */
  private readyTerm = -1;

  constructor(protected readonly node: RaftNode) {}

  /** Resolves once a read of the local store is linearizable; rejects with a RaftError otherwise. */
  async confirm(): Promise<void> {
    const stats = this.node.stats();
    if (this.node.state() !== "Leader") throw new ErrNotLeader(this.node.leader());
    const term = Number(stats.term);
    const readIndex = Number(stats.commit_index);
    if (this.readyTerm !== term) {
      await this.node.barrier(READ_ENQUEUE_TIMEOUT_MS);
      if (Number(this.node.stats().term) === term) this.readyTerm = term;
      return;
    }
    await this.node.verifyLeader();
    if (Number(this.node.stats().applied_index) >= readIndex) return;
    await this.node.barrier(READ_ENQUEUE_TIMEOUT_MS);
  }
}
