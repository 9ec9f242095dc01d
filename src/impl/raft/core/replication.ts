/**
 * The leader's side of log replication: sending AppendEntries, heartbeats and
 * snapshots under flow control, handling the answers with fast backtracking, and
 * advancing the commit index by counting, only for entries of its own term
 * (Raft §5.4.2).
 */
import { assert } from "../../../sim/assert.ts";
import { commitTo } from "./log-changes.ts";
import type { AppendEntriesResponse, HeartbeatResponse } from "./messages.ts";
import { isVoter, type ServerId } from "./types.ts";
import { leaderState, probe, quorum, send, type CoreState } from "./core-state.ts";
import type { Progress } from "./progress.ts";
import { becomeFollower } from "./roles.ts";

/** Sends what each follower's flow control allows. */
export function broadcastAppend(state: CoreState): void {
  for (const id of leaderState(state).progress.keys()) sendAppendWhileAllowed(state, id);
}

/**
 * Streams to one follower until its window is full or it is up to date. With
 * `sendIfEmpty` (etcd raft's maybeSendAppend), a replicating follower gets one
 * AppendEntries even if the window is full or everything is in flight: an empty one.
 */
export function sendAppendWhileAllowed(state: CoreState, to: ServerId, sendIfEmpty = false): void {
  for (let sent = 0; sent <= state.options.maxInflightAppends; sent++) {
    if (!sendAppend(state, to, sendIfEmpty && sent === 0)) return;
  }
}

/**
 * Sends one AppendEntries (or the snapshot, if the entries it needs are compacted)
 * when flow control allows, or an empty one at nextIndex - 1 on a full window with
 * `sendIfEmpty`. Returns true if entries were sent in replicate mode, so that the
 * caller may send more.
 */
function sendAppend(state: CoreState, to: ServerId, sendIfEmpty: boolean): boolean {
  const progress = leaderState(state).progress.get(to);
  if (progress === undefined) return false;
  const paused = progress.isPaused(state.options.maxInflightAppends);
  const throttled = paused && progress.mode === "replicate" && sendIfEmpty;
  if (paused && !throttled) return false;
  if (progress.nextIndex > state.log.lastIndex + 1) progress.nextIndex = state.log.lastIndex + 1;
  const prevLogIndex = progress.nextIndex - 1;
  const prevLogTerm = state.log.termAt(prevLogIndex);
  if (prevLogTerm === undefined) {
    sendSnapshot(state, to, progress);
    return false;
  }
  const entries = throttled ? [] : state.log.slice(progress.nextIndex, state.options.maxEntriesPerAppend);
  if (entries.length === 0 && progress.mode === "replicate" && !sendIfEmpty) return false;
  send(state, {
    type: "append-entries",
    to,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: state.commitIndex,
    sequence: leaderState(state).sequence,
  });
  progress.sent(entries[entries.length - 1]?.index, state.options.maxInflightAppends);
  return progress.mode === "replicate" && entries.length > 0;
}

function sendSnapshot(state: CoreState, to: ServerId, progress: Progress): void {
  const snapshot = state.snapshot;
  assert(
    snapshot !== undefined,
    `${state.id}: entries before ${state.log.firstIndex} are compacted but there is no snapshot`,
  );
  progress.becomeSnapshot(snapshot.index);
  probe(state, "raft.snapshot-sent");
  send(state, { type: "install-snapshot", to, snapshot, sequence: leaderState(state).sequence });
}

/**
 * Every heartbeat interval: a heartbeat to each follower (its commit index capped
 * at what the follower is known to hold), and a restart of stalled replication.
 */
export function heartbeatRound(state: CoreState): void {
  const leader = leaderState(state);
  leader.sequence++;
  for (const [id, progress] of leader.progress) {
    sendHeartbeat(state, id, progress);
    resumeReplication(state, id, progress);
    progress.advancedSinceHeartbeat = false;
  }
}

function sendHeartbeat(state: CoreState, to: ServerId, progress: Progress): void {
  const leaderCommit = state.options.rules.heartbeatCommit(state.commitIndex, progress.matchIndex);
  send(state, { type: "heartbeat", to, leaderCommit, sequence: leaderState(state).sequence });
}

/** Loss recovery: a probe is sent again; a stream that made no progress for a whole interval is probed anew. */
function resumeReplication(state: CoreState, to: ServerId, progress: Progress): void {
  switch (progress.mode) {
    case "probe":
      progress.paused = false;
      if (progress.matchIndex < state.log.lastIndex) sendAppendWhileAllowed(state, to);
      return;
    case "replicate":
      if (progress.inflight.length > 0 && !progress.advancedSinceHeartbeat) {
        progress.becomeProbe();
        probe(state, "raft.replication-stalled");
      }
      if (progress.matchIndex < state.log.lastIndex) sendAppendWhileAllowed(state, to);
      return;
    case "snapshot":
      progress.snapshotElapsedTicks += state.options.heartbeatIntervalTicks;
      if (progress.snapshotElapsedTicks >= state.options.snapshotResendTicks) {
        progress.becomeProbe();
        sendAppendWhileAllowed(state, to);
      }
      return;
  }
}

/** A follower answered an AppendEntries or InstallSnapshot of this term. */
export function handleAppendResponse(state: CoreState, message: AppendEntriesResponse): void {
  const progress = leaderState(state).progress.get(message.from);
  if (progress === undefined) return;
  noteContact(state, progress, message.sequence);
  if (!message.success) {
    handleRejection(state, message, progress);
    return;
  }
  if (progress.updateMatch(message.matchIndex)) {
    if (progress.mode === "probe") progress.becomeReplicate();
    else if (progress.mode === "snapshot" && progress.matchIndex >= progress.pendingSnapshotIndex)
      progress.becomeReplicate();
    progress.freeInflightThrough(progress.matchIndex);
    if (maybeCommit(state) && state.role !== "leader") return;
    sendTimeoutNowIfReady(state, message.from, progress);
  } else {
    progress.freeInflightThrough(message.matchIndex);
    if (progress.mode === "probe") progress.paused = false;
  }
  sendAppendWhileAllowed(state, message.from);
}

/** Fast backtracking (etcd): jump to where the two logs may last agree, never behind the match index. */
function handleRejection(state: CoreState, message: AppendEntriesResponse, progress: Progress): void {
  const stale =
    progress.mode === "snapshot" ||
    (progress.mode === "replicate" && message.rejectedIndex <= progress.matchIndex) ||
    (progress.mode === "probe" && message.rejectedIndex !== progress.nextIndex - 1);
  if (stale) return;
  const previousNextIndex = progress.nextIndex;
  const probeIndex =
    message.hintTerm > 0 ? state.log.findConflictByTerm(message.hintIndex, message.hintTerm) : message.hintIndex;
  const nextIndex = state.options.rules.nextIndexOnReject(
    previousNextIndex,
    message.rejectedIndex,
    probeIndex,
    progress.matchIndex,
  );
  progress.becomeProbe();
  progress.nextIndex = nextIndex;
  probe(state, "raft.append-rejected");
  sendAppendWhileAllowed(state, message.from);
}

/**
 * A follower answered a heartbeat: one behind gets an AppendEntries, an empty one if
 * its window is full or all in flight (etcd raft), so that a stream whose appends
 * were all lost moves on at the first heartbeat exchange rather than after a stall.
 */
export function handleHeartbeatResponse(state: CoreState, message: HeartbeatResponse): void {
  const progress = leaderState(state).progress.get(message.from);
  if (progress === undefined) return;
  noteContact(state, progress, message.sequence);
  const sendIfEmpty = progress.heartbeatAnswered();
  if (progress.matchIndex < state.log.lastIndex) sendAppendWhileAllowed(state, message.from, sendIfEmpty);
}

function noteContact(state: CoreState, progress: Progress, sequence: number): void {
  progress.ticksSinceContact = 0;
  if (sequence > progress.acknowledgedSequence) {
    progress.acknowledgedSequence = sequence;
    settleVerifications(state);
  }
}

/** Confirms each verification that a quorum answered (this server counts if it votes). */
export function settleVerifications(state: CoreState): void {
  const leader = leaderState(state);
  if (leader.verifications.length === 0) return;
  const remaining = [];
  for (const verification of leader.verifications) {
    let acknowledged = isVoter(state.configuration, state.id) ? 1 : 0;
    for (const progress of leader.progress.values())
      if (progress.acknowledgedSequence >= verification.sequence) acknowledged++;
    if (acknowledged >= quorum(state)) state.ready.verified({ id: verification.id, confirmed: true });
    else remaining.push(verification);
  }
  leader.verifications = remaining;
}

/**
 * Commits the highest index a quorum holds, if its entry is of this term (else
 * nothing: an entry of an earlier term commits only under one of this term).
 * Returns true if the commit index advanced. A leader whose removal committed steps down.
 */
export function maybeCommit(state: CoreState): boolean {
  const leader = leaderState(state);
  const matches = state.configuration.voters.map((voter) =>
    voter === state.id ? state.log.lastIndex : (leader.progress.get(voter)?.matchIndex ?? 0),
  );
  if (matches.length === 0) return false;
  matches.sort((a, b) => b - a);
  const quorumIndex = matches[quorum(state) - 1] as number;
  if (quorumIndex <= state.commitIndex) return false;
  if (!state.options.rules.commitsByCounting(state.log.termAt(quorumIndex), state.term)) return false;
  commitTo(state, quorumIndex);
  if (!isVoter(state.configuration, state.id) && state.configurationIndex <= state.commitIndex) {
    probe(state, "raft.removed-leader-stepped-down");
    becomeFollower(state, state.term, undefined);
    return true;
  }
  for (const [id, progress] of leader.progress) {
    if (progress.mode !== "snapshot") sendHeartbeat(state, id, progress);
  }
  return true;
}

/** Leadership transfer: once the target holds the whole log, tell it to start an election now. */
export function sendTimeoutNowIfReady(state: CoreState, to: ServerId, progress: Progress): void {
  const transfer = leaderState(state).transfer;
  if (transfer === undefined || transfer.target !== to || progress.timeoutNowSent) return;
  if (progress.matchIndex !== state.log.lastIndex) return;
  progress.timeoutNowSent = true;
  send(state, { type: "timeout-now", to });
}
