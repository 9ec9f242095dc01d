/**
 * The messages the Raft core exchanges. Every message carries the sender's term;
 * the core handles loss, duplication, delay and reordering of any of them.
 *
 * Every message from a leader carries the leader's `sequence` (a counter bumped by
 * each heartbeat round and each leader verification) and every response echoes it,
 * so the leader knows which round a follower has answered (verifyLeader).
 */
import type { LogEntry, ServerId, SnapshotMetadata } from "./types.ts";

interface MessageBase {
  readonly from: ServerId;
  readonly to: ServerId;
  readonly term: number;
}

/**
 * A request for a vote. With `preVote` it asks whether the receiver would vote at
 * `term` (one more than the sender's current term), without changing anyone's
 * term. `transfer` marks an election started by TimeoutNow (leadership transfer):
 * receivers then grant it even while they still hear from a leader.
 */
export interface RequestVote extends MessageBase {
  readonly type: "request-vote";
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  readonly preVote: boolean;
  readonly transfer: boolean;
}

/** The answer to a RequestVote; a granted pre-vote echoes the pre-vote's term. */
export interface RequestVoteResponse extends MessageBase {
  readonly type: "request-vote-response";
  readonly granted: boolean;
  readonly preVote: boolean;
}

/** Entries after (prevLogIndex, prevLogTerm); no entries is a probe. */
export interface AppendEntries extends MessageBase {
  readonly type: "append-entries";
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly LogEntry[];
  readonly leaderCommit: number;
  readonly sequence: number;
}

/**
 * The answer to an AppendEntries, an InstallSnapshot or a Heartbeat.
 * On success `matchIndex` is the last index known to match the leader's log. On
 * rejection `rejectedIndex` is the rejected prevLogIndex, and (hintIndex, hintTerm)
 * is the follower's guess of the last entry that may match (fast backtracking).
 */
export interface AppendEntriesResponse extends MessageBase {
  readonly type: "append-entries-response";
  readonly success: boolean;
  readonly matchIndex: number;
  readonly rejectedIndex: number;
  readonly hintIndex: number;
  readonly hintTerm: number;
  readonly sequence: number;
}

/** Liveness and commit information only; `leaderCommit` never exceeds what the follower is known to match. */
export interface Heartbeat extends MessageBase {
  readonly type: "heartbeat";
  readonly leaderCommit: number;
  readonly sequence: number;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: "heartbeat-response";
  readonly sequence: number;
}

/**
 * Replace the follower's state with the leader's snapshot. The core sends the
 * metadata only: the node attaches the snapshot's bytes from its snapshot store,
 * and the receiving node stores them durably before it steps the core.
 */
export interface InstallSnapshot extends MessageBase {
  readonly type: "install-snapshot";
  readonly snapshot: SnapshotMetadata;
  readonly sequence: number;
}

/** Leadership transfer: the receiver starts an election at once, skipping pre-vote. */
export interface TimeoutNow extends MessageBase {
  readonly type: "timeout-now";
}

export type Message =
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow;

export type MessageType = Message["type"];

/** One line per message, etcd style: `n1->n2 append-entries t3 prev 4/2 entries 5..6 commit 4`. */
export function describeMessage(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type} t${message.term}`;
  switch (message.type) {
    case "request-vote":
      return `${head}${message.preVote ? " pre" : ""}${message.transfer ? " transfer" : ""} last ${message.lastLogIndex}/${message.lastLogTerm}`;
    case "request-vote-response":
      return `${head}${message.preVote ? " pre" : ""} ${message.granted ? "granted" : "rejected"}`;
    case "append-entries": {
      const first = message.entries[0]?.index;
      const range = first === undefined ? "none" : `${first}..${first + message.entries.length - 1}`;
      return `${head} prev ${message.prevLogIndex}/${message.prevLogTerm} entries ${range} commit ${message.leaderCommit}`;
    }
    case "append-entries-response":
      return message.success
        ? `${head} ok match ${message.matchIndex}`
        : `${head} reject ${message.rejectedIndex} hint ${message.hintIndex}/${message.hintTerm}`;
    case "heartbeat":
      return `${head} commit ${message.leaderCommit} seq ${message.sequence}`;
    case "heartbeat-response":
      return `${head} seq ${message.sequence}`;
    case "install-snapshot":
      return `${head} snapshot ${message.snapshot.index}/${message.snapshot.term}`;
    case "timeout-now":
      return head;
  }
}
