/**
 * How a transcript shows what the Raft core did: one line per entry and message,
 * the parts of a Ready in the order of its contract (ready.ts), a status. Every
 * position reads index/term, as everywhere in this project (etcd writes term/index):
 * `Prev:2/1` is the entry at index 2, of term 1.
 *
 *     1->2 append-entries Term:2 Prev:2/2 Commit:2 Entries:[3/2 command "v1"]
 *     2->1 append-entries-response Term:2 Rejected:5 Hint:3/1
 *
 * A Ready's `leadership` and `probes` are not printed with it: a transcript shows
 * them under the call that produced them (`formatLeadership`, `formatProbes`).
 */
import type {
  CoreStatus,
  LeadershipChange,
  LogEntry,
  Message,
  Ready,
  RaftRole,
  ServerId,
  SnapshotMetadata,
} from "../core/index.ts";

/** `(1,2,3)`. */
export function formatVoters(voters: readonly ServerId[]): string {
  return `(${voters.join(",")})`;
}

/** A command's bytes: quoted text when printable ASCII, else hex. */
export function formatData(data: Uint8Array): string {
  const printable = data.every((byte) => byte >= 0x20 && byte < 0x7f && byte !== 0x22);
  if (printable) return `"${String.fromCharCode(...data)}"`;
  return `0x${[...data].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** `3/2 command "v1"`, `2/2 noop`, `1/1 configuration (1,2,3)`. */
export function formatEntry(entry: LogEntry): string {
  const head = `${entry.index}/${entry.term} ${entry.kind}`;
  switch (entry.kind) {
    case "command":
      return `${head} ${formatData(entry.data)}`;
    case "configuration":
      return `${head} ${formatVoters(entry.configuration?.voters ?? [])}`;
    default:
      return head;
  }
}

export function formatSnapshot(snapshot: SnapshotMetadata): string {
  return `${snapshot.index}/${snapshot.term} Voters:${formatVoters(snapshot.configuration.voters)}`;
}

/** One line per message: sender->receiver, type, then its fields. */
export function formatMessage(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type}`;
  const term = `Term:${message.term}`;
  switch (message.type) {
    case "request-vote": {
      const flags = `${message.preVote ? " pre-vote" : ""}${message.transfer ? " transfer" : ""}`;
      return `${head}${flags} ${term} Last:${message.lastLogIndex}/${message.lastLogTerm}`;
    }
    case "request-vote-response":
      return `${head}${message.preVote ? " pre-vote" : ""} ${term} ${message.granted ? "granted" : "rejected"}`;
    case "append-entries": {
      const entries = message.entries.length === 0 ? "" : ` Entries:[${message.entries.map(formatEntry).join(", ")}]`;
      return `${head} ${term} Prev:${message.prevLogIndex}/${message.prevLogTerm} Commit:${message.leaderCommit}${entries}`;
    }
    case "append-entries-response":
      return message.success
        ? `${head} ${term} Match:${message.matchIndex}`
        : `${head} ${term} Rejected:${message.rejectedIndex} Hint:${message.hintIndex}/${message.hintTerm}`;
    case "heartbeat":
      return `${head} ${term} Commit:${message.leaderCommit} Seq:${message.sequence}`;
    case "heartbeat-response":
      return `${head} ${term} Seq:${message.sequence}`;
    case "install-snapshot":
      return `${head} ${term} Snapshot:${formatSnapshot(message.snapshot)}`;
    case "timeout-now":
      return `${head} ${term}`;
  }
}

/**
 * The parts of a Ready a driver carries out, in the contract's order: persist
 * (hardState, snapshot, truncateFrom, entries), send (messages), apply (committed),
 * then the rest. Lists are indented under their name. Nothing for an empty part.
 */
export function formatReady(ready: Ready): string[] {
  const lines: string[] = [];
  const list = (name: string, items: readonly string[]) => {
    if (items.length === 0) return;
    lines.push(`${name}:`, ...items.map((item) => `  ${item}`));
  };
  if (ready.hardState !== undefined)
    lines.push(`hardState Term:${ready.hardState.term} VotedFor:${ready.hardState.votedFor ?? "none"}`);
  if (ready.snapshot !== undefined) lines.push(`snapshot ${formatSnapshot(ready.snapshot)}`);
  if (ready.truncateFrom !== undefined) lines.push(`truncateFrom ${ready.truncateFrom}`);
  list("entries", ready.entries.map(formatEntry));
  list("messages", ready.messages.map(formatMessage));
  list("committed", ready.committed.map(formatEntry));
  if (ready.compactThrough !== undefined) lines.push(`compactThrough ${ready.compactThrough}`);
  list(
    "verifications",
    ready.verifications.map((check) => `${check.id} ${check.confirmed ? "confirmed" : "not confirmed"}`),
  );
  if (ready.transfer !== undefined) lines.push(`transfer to ${ready.transfer.target} ${ready.transfer.outcome}`);
  if (ready.snapshotWanted) lines.push("snapshotWanted");
  return lines;
}

/**
 * A role or leader change of `id`, given the role it reported before: `1 became
 * leader at term 2`, `2 became follower at term 2, leader 1`, `3 follows 1 at term 2`.
 */
export function formatLeadership(id: ServerId, change: LeadershipChange, previousRole: RaftRole): string {
  if (change.role === previousRole && change.role === "follower") {
    if (change.leaderId === undefined) return `${id} lost its leader at term ${change.term}`;
    return `${id} follows ${change.leaderId} at term ${change.term}`;
  }
  const leader = change.role === "follower" && change.leaderId !== undefined ? `, leader ${change.leaderId}` : "";
  return `${id} became ${change.role} at term ${change.term}${leader}`;
}

/** `probe raft.append-rejected` for each rare path a Ready reports. */
export function formatProbes(ready: Ready): string[] {
  return ready.probes.map((name) => `probe ${name}`);
}

/** The core's status: one line of state, then the leader's view of each follower. */
export function formatStatus(status: CoreStatus): string[] {
  const snapshot = status.snapshot === undefined ? "none" : `${status.snapshot.index}/${status.snapshot.term}`;
  const log = status.lastIndex < status.firstIndex ? "empty" : `${status.firstIndex}..${status.lastIndex}`;
  const lines = [
    `${status.id} ${status.role} Term:${status.term} VotedFor:${status.votedFor ?? "none"} Leader:${status.leaderId ?? "none"}`,
    `Log:${log} LastTerm:${status.lastTerm} Commit:${status.commitIndex} Applied:${status.appliedIndex} Snapshot:${snapshot}`,
    `Voters:${formatVoters(status.configuration.voters)} at ${status.configurationIndex}`,
  ];
  if (status.transferTarget !== undefined) lines.push(`transferring to ${status.transferTarget}`);
  for (const follower of status.followers) {
    lines.push(`progress ${follower.id} Match:${follower.matchIndex} Next:${follower.nextIndex} ${follower.mode}`);
  }
  return lines;
}
