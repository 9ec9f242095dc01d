/**
 * A broken copy of the core's RaftLog, for showing that the log's model property
 * can fail. Test-only; never on the shipping path.
 */
import { RaftLog } from "../../../src/impl/raft/core/raft-log.ts";

/**
 * Forgets the base's term once entries were compacted away: `termAt(baseIndex)`
 * answers undefined, so a follower whose log was compacted through the leader's
 * prevLogIndex would refuse AppendEntries that match (a classic snapshot bug).
 */
export class ForgetsBaseTermRaftLog extends RaftLog {
  override termAt(index: number): number | undefined {
    if (index === this.baseIndex && index > 0) return undefined;
    return super.termAt(index);
  }
}
