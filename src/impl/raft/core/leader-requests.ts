/**
 * What a client asks of the leader: append a command or a barrier, change the
 * configuration one server at a time, transfer leadership, verify leadership.
 * Each returns a typed error instead of acting when this server cannot.
 */
import { assert } from "../../../sim/assert.ts";
import {
  ErrConfigurationChangeInProgress,
  ErrLeadershipTransferInProgress,
  ErrNotLeader,
  ErrUnknownPeer,
  type RaftError,
} from "../errors.ts";
import { appendToLog, truncateLog } from "./log-changes.ts";
import { leaderState, type CoreState } from "./core-state.ts";
import {
  broadcastAppend,
  heartbeatRound,
  maybeCommit,
  sendAppendWhileAllowed,
  sendTimeoutNowIfReady,
  settleVerifications,
} from "./replication.ts";
import { configurationOf, isVoter, type Configuration, type EntryKind, type ServerId } from "./types.ts";

/** A change of one server (hashicorp/raft's AddVoter and RemoveServer). */
export type ConfigurationChange =
  | { readonly kind: "add-voter"; readonly id: ServerId }
  | { readonly kind: "remove-server"; readonly id: ServerId };

/** Where an accepted proposal went: it commits there, in that term, or never. */
export interface Placement {
  readonly index: number;
  readonly term: number;
}

/** Why this server cannot take proposals now, or undefined if it can. */
export function proposalRefusal(state: CoreState): RaftError | undefined {
  if (state.role !== "leader") return new ErrNotLeader(state.leaderId);
  if (leaderState(state).transfer !== undefined) return new ErrLeadershipTransferInProgress();
  return undefined;
}

/** Appends an entry of this leader's term and starts replicating it. */
export function appendAsLeader(
  state: CoreState,
  kind: EntryKind,
  data: Uint8Array,
  configuration?: Configuration,
): Placement {
  const placement = placeEntry(state, kind, data, configuration);
  broadcastAppend(state);
  maybeCommit(state);
  return placement;
}

/** Appends commands of this leader's term, in order, and starts replicating them together. */
export function appendCommandsAsLeader(state: CoreState, commands: readonly Uint8Array[]): Placement[] {
  const placements = commands.map((data) => placeEntry(state, "command", data));
  broadcastAppend(state);
  maybeCommit(state);
  return placements;
}

/**
 * Appends one entry of this leader's term to the log (not yet sent), where the
 * rules place it: Raft's place it after the last entry. A place inside the log
 * (only a broken rule's) overwrites the tail from there, and every follower is
 * probed again from it.
 */
function placeEntry(state: CoreState, kind: EntryKind, data: Uint8Array, configuration?: Configuration): Placement {
  const index = state.options.rules.appendIndex(state.log.lastIndex, state.commitIndex);
  assert(index > state.commitIndex, "a leader never places an entry inside its committed log");
  assert(index <= state.log.lastIndex + 1, "a leader places an entry at most one past its last");
  if (index <= state.log.lastIndex) {
    truncateLog(state, index);
    for (const progress of leaderState(state).progress.values()) {
      progress.matchIndex = Math.min(progress.matchIndex, index - 1);
      progress.becomeProbe();
    }
  }
  const entry =
    configuration === undefined
      ? { index, term: state.term, kind, data }
      : { index, term: state.term, kind, data, configuration };
  appendToLog(state, [entry]);
  return { index, term: state.term };
}

/**
 * Checks a configuration change: one at a time (the previous one committed), only
 * after this leader committed an entry of its term, and never to no voters at all.
 */
export function configurationChangeRefusal(state: CoreState, change: ConfigurationChange): RaftError | Configuration {
  const refusal = proposalRefusal(state);
  if (refusal !== undefined) return refusal;
  if (state.configurationIndex > state.commitIndex || state.commitIndex < leaderState(state).termStartIndex) {
    return new ErrConfigurationChangeInProgress();
  }
  const voters = state.configuration.voters;
  if (change.kind === "add-voter") return configurationOf([...voters, change.id]);
  if (!voters.includes(change.id) || voters.length === 1) return new ErrUnknownPeer(change.id);
  return configurationOf(voters.filter((voter) => voter !== change.id));
}

/** Starts a leadership transfer to `target` (default: the most up-to-date other voter). */
export function startTransfer(state: CoreState, target: ServerId | undefined): RaftError | ServerId {
  const refusal = proposalRefusal(state);
  if (refusal !== undefined) return refusal;
  const leader = leaderState(state);
  const chosen = target ?? mostUpToDateFollower(state);
  if (chosen === undefined || chosen === state.id || !isVoter(state.configuration, chosen))
    return new ErrUnknownPeer(chosen);
  const progress = leader.progress.get(chosen);
  assert(progress !== undefined, `no progress for voter ${chosen}`);
  leader.transfer = { target: chosen, elapsedTicks: 0 };
  progress.timeoutNowSent = false;
  sendTimeoutNowIfReady(state, chosen, progress);
  if (!progress.timeoutNowSent) sendAppendWhileAllowed(state, chosen);
  return chosen;
}

function mostUpToDateFollower(state: CoreState): ServerId | undefined {
  let best: { id: ServerId; matchIndex: number } | undefined;
  for (const [id, progress] of leaderState(state).progress) {
    if (best === undefined || progress.matchIndex > best.matchIndex) best = { id, matchIndex: progress.matchIndex };
  }
  return best?.id;
}

/** Starts a verification round: confirmed once a quorum answers a message sent after this call. */
export function startVerification(state: CoreState, id: number): RaftError | undefined {
  if (state.role !== "leader") return new ErrNotLeader(state.leaderId);
  const leader = leaderState(state);
  heartbeatRound(state);
  leader.verifications.push({ id, sequence: leader.sequence });
  settleVerifications(state);
  return undefined;
}
