/**
 * Voting: granting (pre-)votes and counting them. A vote is granted at most once
 * per term (the vote is part of the hard state, persisted before the answer
 * leaves) and only to a candidate whose log is at least as up to date (§5.4.1).
 */
import type { RequestVote, RequestVoteResponse } from "./messages.ts";
import { probe, quorum, resetElectionTimer, send, type CoreState } from "./core-state.ts";
import { becomeFollower, becomeLeader, campaign } from "./roles.ts";

export function handleVoteRequest(state: CoreState, message: RequestVote): void {
  const canVote =
    state.votedFor === message.from ||
    (state.votedFor === undefined && state.leaderId === undefined) ||
    (message.preVote && message.term > state.term);
  const upToDate = state.options.rules.upToDate(state.log, message.lastLogIndex, message.lastLogTerm);
  if (canVote && upToDate) {
    send(state, {
      type: "request-vote-response",
      to: message.from,
      term: message.term,
      granted: true,
      preVote: message.preVote,
    });
    if (!message.preVote) {
      state.votedFor = state.options.rules.recordVote(state.votedFor, message.from);
      resetElectionTimer(state);
    }
    return;
  }
  send(state, { type: "request-vote-response", to: message.from, granted: false, preVote: message.preVote });
}

/** Counts a (pre-)vote of the current round; wins or loses once a quorum has spoken. */
export function handleVoteResponse(state: CoreState, message: RequestVoteResponse): void {
  if (state.role === "pre-candidate") {
    if (!message.preVote) return;
    if (message.granted && message.term !== state.term + 1) return;
    if (!message.granted) probe(state, "raft.pre-vote-rejected");
  } else if (state.role === "candidate") {
    if (message.preVote) return;
    if (!state.options.rules.countsVote(state.term, message.term)) return;
  } else {
    return;
  }
  if (!state.configuration.voters.includes(message.from)) return;
  state.votes.set(message.from, message.granted);
  let granted = 0;
  let rejected = 0;
  for (const vote of state.votes.values()) {
    if (vote) granted++;
    else rejected++;
  }
  if (granted >= quorum(state)) {
    if (state.role === "pre-candidate") campaign(state, false);
    else becomeLeader(state);
  } else if (rejected >= quorum(state)) {
    becomeFollower(state, state.term, undefined);
  }
}
