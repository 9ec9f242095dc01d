/**
 * Role transitions and the election timer: follower, pre-candidate (pre-vote),
 * candidate and leader, and what each does on a tick.
 */
import { assert } from "../../../sim/assert.ts";
import { appendToLog } from "./log-changes.ts";
import {
  otherVoters,
  probe,
  promotable,
  quorum,
  reportLeadership,
  resetElectionTimer,
  send,
  type CoreState,
} from "./core-state.ts";
import type { Progress } from "./progress.ts";
import { broadcastAppend, heartbeatRound, maybeCommit } from "./replication.ts";
import type { ServerId } from "./types.ts";

/** Becomes a follower at `term` (a higher term forgets the vote), following `leaderId` if known. */
export function becomeFollower(state: CoreState, term: number, leaderId: ServerId | undefined): void {
  assert(term >= state.term, `${state.id} stepping back from term ${state.term} to ${term}`);
  if (term > state.term) {
    state.term = term;
    state.votedFor = undefined;
  }
  endLeadership(state);
  state.role = "follower";
  state.leaderId = leaderId;
  state.votes = new Map();
  resetElectionTimer(state);
  reportLeadership(state);
}

/** A leader that stops leading answers its pending verifications: not confirmed. */
function endLeadership(state: CoreState): void {
  const leader = state.leader;
  if (leader === undefined) return;
  for (const verification of leader.verifications) state.ready.verified({ id: verification.id, confirmed: false });
  state.leader = undefined;
}

/** Starts an election: a pre-vote first unless disabled or asked for by a leadership transfer. */
export function startElection(state: CoreState, transfer: boolean): void {
  if (state.options.preVote && !transfer) becomePreCandidate(state);
  else campaign(state, transfer);
}

function becomePreCandidate(state: CoreState): void {
  assert(state.role !== "leader", `${state.id}: a leader does not pre-vote`);
  state.role = "pre-candidate";
  state.leaderId = undefined;
  state.votes = new Map([[state.id, true]]);
  resetElectionTimer(state);
  reportLeadership(state);
  if (state.votes.size >= quorum(state)) {
    campaign(state, false);
    return;
  }
  for (const voter of otherVoters(state)) {
    send(state, {
      type: "request-vote",
      to: voter,
      term: state.term + 1,
      lastLogIndex: state.log.lastIndex,
      lastLogTerm: state.log.lastTerm,
      preVote: true,
      transfer: false,
    });
  }
}

/** Becomes a candidate in the next term, votes for itself, and asks the other voters. */
export function campaign(state: CoreState, transfer: boolean): void {
  endLeadership(state);
  state.term += 1;
  state.votedFor = state.id;
  state.role = "candidate";
  state.leaderId = undefined;
  state.votes = new Map([[state.id, true]]);
  resetElectionTimer(state);
  reportLeadership(state);
  if (state.votes.size >= quorum(state)) {
    becomeLeader(state);
    return;
  }
  for (const voter of otherVoters(state)) {
    send(state, {
      type: "request-vote",
      to: voter,
      lastLogIndex: state.log.lastIndex,
      lastLogTerm: state.log.lastTerm,
      preVote: false,
      transfer,
    });
  }
}

/** Wins the election: tracks every follower, appends the term's no-op and replicates it. */
export function becomeLeader(state: CoreState): void {
  assert(state.role === "candidate", `${state.id} becoming leader from ${state.role}`);
  const nextIndex = state.log.lastIndex + 1;
  const progress = new Map<ServerId, Progress>();
  for (const voter of otherVoters(state)) progress.set(voter, state.options.createProgress(nextIndex));
  state.role = "leader";
  state.leaderId = state.id;
  state.votes = new Map();
  state.leader = { progress, sequence: 0, termStartIndex: nextIndex, verifications: [], transfer: undefined };
  state.electionElapsedTicks = 0;
  state.heartbeatElapsedTicks = 0;
  reportLeadership(state);
  appendToLog(state, [{ index: nextIndex, term: state.term, kind: "noop", data: new Uint8Array(0) }]);
  broadcastAppend(state);
  maybeCommit(state);
}

/** One tick of the logical clock. */
export function tick(state: CoreState): void {
  if (state.role === "leader") tickLeader(state);
  else tickElection(state);
}

/**
 * How many ticks from now the first one that may do more than advance counters
 * comes (at least 1): an election timeout, a heartbeat round, a transfer timeout or
 * a check-quorum step-down. The ticks before it only count, so a driver may apply
 * them just before the core's next input, all at once, and drive the same core as
 * one ticked at every interval (lazy ticking: no timer event per idle tick).
 */
export function ticksUntilDue(state: CoreState): number {
  const options = state.options;
  if (state.role !== "leader") return Math.max(1, state.randomizedElectionTimeoutTicks - state.electionElapsedTicks);
  const leader = state.leader;
  assert(leader !== undefined, "leader without leader state");
  let due = Math.max(1, options.heartbeatIntervalTicks - state.heartbeatElapsedTicks);
  if (leader.transfer !== undefined)
    due = Math.min(due, Math.max(1, options.electionTimeoutTicks - leader.transfer.elapsedTicks));
  if (options.checkQuorum) due = Math.min(due, ticksUntilQuorumLost(state, leader.progress));
  return due;
}

/**
 * The tick at which check-quorum would find no quorum if nobody answers before:
 * voter p stays active while its ticksSinceContact + k < electionTimeoutTicks.
 */
function ticksUntilQuorumLost(
  state: CoreState,
  progress: ReadonlyMap<ServerId, { readonly ticksSinceContact: number }>,
): number {
  const voters = state.configuration.voters;
  const needed = quorum(state) - (voters.includes(state.id) ? 1 : 0);
  if (needed <= 0) return Number.POSITIVE_INFINITY;
  // The needed-th largest of the other voters' remaining ticks, by insertion into a short sorted prefix.
  const largest = QUORUM_SCRATCH;
  let count = 0;
  for (const voter of voters) {
    const contact = voter === state.id ? undefined : progress.get(voter);
    if (contact === undefined) continue;
    const remaining = state.options.electionTimeoutTicks - contact.ticksSinceContact;
    let position = Math.min(count, needed - 1);
    if (count >= needed && remaining <= (largest[needed - 1] as number)) continue;
    while (position > 0 && (largest[position - 1] as number) < remaining) {
      largest[position] = largest[position - 1] as number;
      position--;
    }
    largest[position] = remaining;
    count = Math.min(count + 1, needed);
  }
  return count < needed ? 1 : Math.max(1, largest[needed - 1] as number);
}

/** Scratch space of ticksUntilQuorumLost (no allocation per call; the core is synchronous). */
const QUORUM_SCRATCH: number[] = [];

function tickElection(state: CoreState): void {
  state.electionElapsedTicks++;
  if (state.electionElapsedTicks >= state.randomizedElectionTimeoutTicks && promotable(state)) {
    startElection(state, false);
  } else if (state.electionElapsedTicks >= state.randomizedElectionTimeoutTicks) {
    // Not a voter: no election, and no leader heard from for a while.
    resetElectionTimer(state);
  }
}

function tickLeader(state: CoreState): void {
  const leader = state.leader;
  assert(leader !== undefined, "leader without leader state");
  state.heartbeatElapsedTicks++;
  state.electionElapsedTicks++;
  const transfer = leader.transfer;
  if (transfer !== undefined && ++transfer.elapsedTicks >= state.options.electionTimeoutTicks) {
    leader.transfer = undefined;
    for (const progress of leader.progress.values()) progress.timeoutNowSent = false;
    probe(state, "raft.leadership-transfer-timed-out");
    state.ready.transferEnded({ target: transfer.target, outcome: "timed-out" });
  }
  for (const progress of leader.progress.values()) progress.ticksSinceContact++;
  if (state.electionElapsedTicks >= state.options.electionTimeoutTicks) state.electionElapsedTicks = 0;
  if (state.options.checkQuorum && !quorumActive(state)) {
    probe(state, "raft.check-quorum-step-down");
    becomeFollower(state, state.term, undefined);
    return;
  }
  if (state.heartbeatElapsedTicks >= state.options.heartbeatIntervalTicks) {
    state.heartbeatElapsedTicks = 0;
    heartbeatRound(state);
  }
}

/**
 * Check-quorum: a quorum of voters (this one included, if it votes) answered within
 * the last election timeout. Checked every tick, so a leader cut off from a quorum
 * steps down one election timeout after it last heard from one.
 */
function quorumActive(state: CoreState): boolean {
  const leader = state.leader;
  assert(leader !== undefined, "quorumActive: not a leader");
  let active = 0;
  for (const voter of state.configuration.voters) {
    const progress = leader.progress.get(voter);
    if (
      voter === state.id ||
      (progress !== undefined && progress.ticksSinceContact < state.options.electionTimeoutTicks)
    )
      active++;
  }
  return active >= quorum(state);
}
