/**
 * Steps the core on one message: the term rules first (a higher term makes this
 * server a follower, except for pre-votes; a lower term is answered so that a
 * stale leader learns of the new term, or dropped), then the handler of the
 * message type for this server's role.
 */
import { assert } from "../../../sim/assert.ts";
import { inLease, probe, reportLeadership, send, type CoreState } from "./core-state.ts";
import { handleAppendEntries, handleHeartbeat, handleInstallSnapshot, handleTimeoutNow } from "./follower.ts";
import type { Message } from "./messages.ts";
import { handleAppendResponse, handleHeartbeatResponse } from "./replication.ts";
import { becomeFollower } from "./roles.ts";
import { handleVoteRequest, handleVoteResponse } from "./votes.ts";

export function stepMessage(state: CoreState, message: Message): void {
  assert(message.to === state.id, `${state.id} stepped with a message for ${message.to}`);
  assert(message.from !== state.id, `${state.id} stepped with its own message`);
  if (message.term > state.term) {
    if (!acceptHigherTerm(state, message)) return;
  } else if (message.term < state.term) {
    if (!handleLowerTerm(state, message)) return;
  }
  dispatch(state, message);
}

/** Returns false when the message is to be dropped. */
function acceptHigherTerm(state: CoreState, message: Message): boolean {
  if (message.type === "request-vote" && !message.transfer && inLease(state)) {
    // Check-quorum: while a leader is heard from, nobody may disrupt it.
    probe(state, "raft.vote-ignored-in-lease");
    return false;
  }
  if (message.type === "request-vote" && message.preVote) return true;
  if (message.type === "request-vote-response" && message.preVote && message.granted) return true;
  const fromLeader =
    message.type === "append-entries" ||
    message.type === "heartbeat" ||
    message.type === "install-snapshot" ||
    message.type === "timeout-now";
  becomeFollower(state, message.term, fromLeader ? message.from : undefined);
  return true;
}

/** A message from an earlier term. Returns true only when the rules count a candidate's vote from an earlier term. */
function handleLowerTerm(state: CoreState, message: Message): boolean {
  switch (message.type) {
    case "append-entries":
    case "heartbeat":
    case "install-snapshot":
      // Tell the stale leader about the current term, so that it steps down.
      probe(state, "raft.stale-leader-answered");
      send(state, {
        type: "append-entries-response",
        to: message.from,
        success: false,
        matchIndex: 0,
        rejectedIndex: 0,
        hintIndex: 0,
        hintTerm: 0,
        sequence: message.sequence,
      });
      return false;
    case "request-vote":
      if (message.preVote)
        send(state, { type: "request-vote-response", to: message.from, granted: false, preVote: true });
      return false;
    case "request-vote-response":
      return state.role === "candidate" && !message.preVote && state.options.rules.countsVote(state.term, message.term);
    default:
      return false;
  }
}

function dispatch(state: CoreState, message: Message): void {
  switch (message.type) {
    case "request-vote":
      handleVoteRequest(state, message);
      return;
    case "request-vote-response":
      handleVoteResponse(state, message);
      return;
    case "append-entries":
      if (followLeader(state, message.from)) handleAppendEntries(state, message);
      return;
    case "heartbeat":
      if (followLeader(state, message.from)) handleHeartbeat(state, message);
      return;
    case "install-snapshot":
      if (followLeader(state, message.from)) handleInstallSnapshot(state, message);
      return;
    case "timeout-now":
      if (followLeader(state, message.from)) handleTimeoutNow(state, message);
      return;
    case "append-entries-response":
      if (state.role === "leader") handleAppendResponse(state, message);
      return;
    case "heartbeat-response":
      if (state.role === "leader") handleHeartbeatResponse(state, message);
      return;
  }
}

/**
 * A message from the leader of the current term: follow it (a candidate steps
 * down) and restart the election timer. A leader never follows another leader of
 * its own term (there is none, by election safety): it drops the message.
 */
function followLeader(state: CoreState, leaderId: string): boolean {
  if (state.role === "leader") {
    probe(state, "raft.second-leader-in-term");
    return false;
  }
  if (state.role !== "follower") {
    becomeFollower(state, state.term, leaderId);
  } else {
    state.leaderId = leaderId;
    reportLeadership(state);
  }
  state.electionElapsedTicks = 0;
  return true;
}
