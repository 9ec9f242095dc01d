/**
 * Every probe (env.probe: a rare path was reached) and buggify point (a fault the
 * code injects into itself in runs that enable buggify) of the raft package, with
 * what each means. Scenarios and sweeps use the names to report coverage of rare
 * paths; properties/raft/probes.test.ts checks that this list and the code agree.
 */

export const RAFT_PROBES = {
  // Core (reported through Ready.probes).
  "raft.pre-vote-rejected":
    "a pre-candidate was refused a pre-vote (its log is behind, or the voter hears from a leader)",
  "raft.vote-ignored-in-lease":
    "a voter that heard from a leader within an election timeout ignored a (pre-)vote request of a higher term",
  "raft.check-quorum-step-down": "a leader heard from no quorum for an election timeout and stepped down",
  "raft.stale-leader-answered": "a server told a leader of an earlier term about the current term",
  "raft.second-leader-in-term":
    "a leader received AppendEntries of its own term (impossible unless election safety is broken)",
  "raft.append-rejected": "a leader's AppendEntries was rejected and it backtracked with the follower's hint",
  "raft.log-conflict-truncated": "a follower truncated uncommitted entries that conflict with the leader's",
  "raft.replication-stalled": "a stream of appends made no progress for a heartbeat interval and went back to probing",
  "raft.snapshot-sent": "a leader sent InstallSnapshot to a follower behind its compacted log",
  "raft.snapshot-installed": "a follower replaced its log and state with the leader's snapshot",
  "raft.timeout-now-received": "a leadership-transfer target started its election at once",
  "raft.leadership-transfer-timed-out": "a leadership transfer did not complete within an election timeout",
  "raft.removed-leader-stepped-down": "a leader stepped down once the configuration that removes it was committed",
  // Node.
  "raft.leadership-lost-with-pending":
    "a leader stepped down with entries in flight: their callers get ErrLeadershipLost (outcome unknown)",
  "raft.log-tail-truncated-on-restart":
    "a torn tail (a write cut by a crash, never acknowledged) was cut off the log at start",
  "raft.read-retried-after-checksum-failure":
    "a stored record failed its checksum (or the read failed) and was read again",
  "raft.snapshot-install-finished-on-restart":
    "a snapshot stored before a crash replaced the log at start (an InstallSnapshot the crash interrupted)",
  "raft.storage-failed": "a disk failure while persisting stopped the node (ErrStorageFailed)",
  "raft.snapshot-failed": "a snapshot could not be stored (disk failure or too large); the log stays uncompacted",
  "raft.snapshot-refused":
    "the FSM refused to snapshot for now (ErrSnapshotRefused: a transaction in flight); retried after later commits",
  "raft.message-dropped-backpressure": "a message was dropped because too many calls to its peer were in flight",
} as const;

export type RaftProbe = keyof typeof RAFT_PROBES;

export const RAFT_BUGGIFY_POINTS = {
  "raft.delay-fsync": "waits up to 30 ms before an fsync of the log (a slow disk)",
  "raft.drop-outbound-message": "drops an outgoing message (the core sends it again)",
  "raft.duplicate-outbound-message": "sends an outgoing message (not an InstallSnapshot) twice",
  "raft.snapshot-at-odd-moment": "takes a snapshot right after a commit, below the snapshot threshold",
} as const;

export type RaftBuggifyPoint = keyof typeof RAFT_BUGGIFY_POINTS;
