/**
 * The follower's side: AppendEntries (consistency check, conflict truncation,
 * commit up to the last new entry), heartbeats, InstallSnapshot and TimeoutNow.
 * The leader of the message's term is known to be the sender by the time these run.
 */
import { appendToLog, commitTo, installSnapshot, truncateLog } from "./log-changes.ts";
import type { AppendEntries, Heartbeat, InstallSnapshot, TimeoutNow } from "./messages.ts";
import { probe, promotable, send, type CoreState } from "./core-state.ts";
import { startElection } from "./roles.ts";
import type { LogEntry } from "./types.ts";

export function handleAppendEntries(state: CoreState, message: AppendEntries): void {
  const respond = (success: boolean, matchIndex: number, hint?: { index: number; term: number }) =>
    send(state, {
      type: "append-entries-response",
      to: message.from,
      success,
      matchIndex,
      rejectedIndex: success ? 0 : message.prevLogIndex,
      hintIndex: hint?.index ?? 0,
      hintTerm: hint?.term ?? 0,
      sequence: message.sequence,
    });
  if (message.prevLogIndex < state.commitIndex) {
    // Everything through the commit index matches any leader's log already.
    respond(true, state.commitIndex);
    return;
  }
  if (!state.options.rules.previousEntryMatches(state.log, message.prevLogIndex, message.prevLogTerm)) {
    const hintIndex = state.log.findConflictByTerm(
      Math.min(message.prevLogIndex, state.log.lastIndex),
      message.prevLogTerm,
    );
    respond(false, 0, { index: hintIndex, term: state.log.termAt(hintIndex) ?? 0 });
    return;
  }
  appendNewEntries(state, message.entries);
  // Only through the last entry this message vouches for: entries after it may be stale.
  const lastNewIndex = message.prevLogIndex + message.entries.length;
  commitTo(state, Math.min(message.leaderCommit, lastNewIndex));
  respond(true, lastNewIndex);
}

/** Skips the entries already held, truncates at the first conflict, appends the rest. */
function appendNewEntries(state: CoreState, entries: readonly LogEntry[]): void {
  for (let position = 0; position < entries.length; position++) {
    const entry = entries[position] as LogEntry;
    if (entry.index <= state.log.baseIndex) continue;
    const held = state.log.termAt(entry.index);
    if (held === entry.term) continue;
    if (held !== undefined) {
      probe(state, "raft.log-conflict-truncated");
      truncateLog(state, entry.index);
    }
    appendToLog(state, entries.slice(position));
    return;
  }
}

export function handleHeartbeat(state: CoreState, message: Heartbeat): void {
  commitTo(state, Math.min(message.leaderCommit, state.log.lastIndex));
  send(state, { type: "heartbeat-response", to: message.from, sequence: message.sequence });
}

/**
 * Installs the leader's snapshot unless the log already holds its last entry (then
 * only the commit index moves) or it is older than what is committed here.
 */
export function handleInstallSnapshot(state: CoreState, message: InstallSnapshot): void {
  const snapshot = message.snapshot;
  const respond = (matchIndex: number) =>
    send(state, {
      type: "append-entries-response",
      to: message.from,
      success: true,
      matchIndex,
      rejectedIndex: 0,
      hintIndex: 0,
      hintTerm: 0,
      sequence: message.sequence,
    });
  if (snapshot.index <= state.commitIndex) {
    respond(state.commitIndex);
    return;
  }
  if (state.log.matchTerm(snapshot.index, snapshot.term)) {
    commitTo(state, snapshot.index);
    respond(snapshot.index);
    return;
  }
  installSnapshot(state, snapshot);
  probe(state, "raft.snapshot-installed");
  respond(snapshot.index);
}

/** Leadership transfer: campaign at once, without pre-vote, with the transfer flag that bypasses leases. */
export function handleTimeoutNow(state: CoreState, _message: TimeoutNow): void {
  if (!promotable(state) || state.role === "leader") return;
  probe(state, "raft.timeout-now-received");
  startElection(state, true);
}
