/**
 * The mutable state of one Raft core, shared by the modules that implement its
 * parts (roles, votes, replication, follower, leader requests). Only RaftCore
 * creates it; nothing outside the core sees it.
 */
import { assert } from "../../../sim/assert.ts";
import type { Message } from "./messages.ts";
import type { ResolvedCoreOptions } from "./options.ts";
import type { Progress } from "./progress.ts";
import type { RaftLog } from "./raft-log.ts";
import type { ReadyBuilder } from "./ready.ts";
import {
  isVoter,
  quorumOf,
  type Configuration,
  type HardState,
  type RaftRole,
  type ServerId,
  type SnapshotMetadata,
} from "./types.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A message to send, without the `from` (always this server) and with the term optional (default: the current term).
 */
export type Outgoing = DistributiveOmit<Message, "from" | "term"> & { readonly term?: number };

export interface PendingVerification {
  readonly id: number;
  readonly sequence: number;
}

export interface LeaderState {
  readonly progress: Map<ServerId, Progress>;
  /** Bumped by each heartbeat round and each verification; echoed by followers. */
  sequence: number;
  /** Index of this leader's no-op: nothing of an earlier term commits before it does. */
  readonly termStartIndex: number;
  verifications: PendingVerification[];
  transfer: { readonly target: ServerId; elapsedTicks: number } | undefined;
}

export interface CoreState {
  readonly id: ServerId;
  readonly options: ResolvedCoreOptions;
  readonly log: RaftLog;
  readonly ready: ReadyBuilder;
  term: number;
  votedFor: ServerId | undefined;
  role: RaftRole;
  leaderId: ServerId | undefined;
  commitIndex: number;
  /** Entries through here were handed out to be applied. */
  appliedIndex: number;
  snapshot: SnapshotMetadata | undefined;
  configuration: Configuration;
  configurationIndex: number;
  electionElapsedTicks: number;
  randomizedElectionTimeoutTicks: number;
  heartbeatElapsedTicks: number;
  /** Votes received by a (pre-)candidate: true granted, false rejected. */
  votes: Map<ServerId, boolean>;
  leader: LeaderState | undefined;
  /** The hard state last handed out for persistence. */
  persistedHardState: HardState;
  /** The role and leader last reported. */
  reportedLeadership: { role: RaftRole; leaderId: ServerId | undefined };
}

/** Queues a message from this server at its current term (unless the message says otherwise). */
/**
 * Queues a message. `message` must be a fresh object literal: it is completed in
 * place (its `from`, and its term unless given), which keeps the key order a
 * spread would give without the cost of copying every message.
 */
export function send(state: CoreState, message: Outgoing): void {
  if (message.to === state.id) assert(false, `${state.id} sending ${message.type} to itself`);
  const completed = message as { from?: ServerId; term?: number };
  completed.from = state.id;
  completed.term ??= state.term;
  state.ready.send(completed as Message);
}

export function probe(state: CoreState, name: string): void {
  state.ready.probe(name);
}

/** The leader state; asserts that this server leads. */
export function leaderState(state: CoreState): LeaderState {
  assert(state.role === "leader" && state.leader !== undefined, `${state.id} is not the leader`);
  return state.leader;
}

/** Voters other than this server. */
export function otherVoters(state: CoreState): ServerId[] {
  return state.configuration.voters.filter((voter) => voter !== state.id);
}

export function quorum(state: CoreState): number {
  return quorumOf(state.configuration.voters.length);
}

/** May this server start an election? Only voters of its latest configuration may. */
export function promotable(state: CoreState): boolean {
  return isVoter(state.configuration, state.id);
}

/** True while a leader is known and was heard from within an election timeout (check-quorum's lease). */
export function inLease(state: CoreState): boolean {
  return (
    state.options.checkQuorum &&
    state.leaderId !== undefined &&
    state.electionElapsedTicks < state.options.electionTimeoutTicks
  );
}

export function resetElectionTimer(state: CoreState): void {
  const base = state.options.electionTimeoutTicks;
  state.electionElapsedTicks = 0;
  state.randomizedElectionTimeoutTicks = state.options.random.int(base, 2 * base - 1);
  assert(
    state.randomizedElectionTimeoutTicks >= base && state.randomizedElectionTimeoutTicks < 2 * base,
    `election timeout ${state.randomizedElectionTimeoutTicks} outside [${base}, ${2 * base})`,
  );
}

/** Reports a role or leader change, once per change. */
export function reportLeadership(state: CoreState): void {
  const reported = state.reportedLeadership;
  if (reported.role === state.role && reported.leaderId === state.leaderId) return;
  state.reportedLeadership = { role: state.role, leaderId: state.leaderId };
  state.ready.leadershipChanged({ role: state.role, leaderId: state.leaderId, term: state.term });
}
