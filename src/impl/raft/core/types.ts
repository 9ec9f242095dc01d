/**
 * The data of the Raft core: server ids, log entries, hard state, configurations
 * and snapshot metadata. Plain immutable values, so that a test can copy, compare
 * and print them, and the node can put them on the wire and the disk.
 */

/** A server's id; in the node it is also the server's host address. */
export type ServerId = string;

/**
 * What an entry carries (hashicorp/raft's LogType): a command for the FSM, the
 * leader's no-op at the start of its term, a configuration, or a barrier (applied
 * through the FSM pipeline, never given to the FSM).
 */
export type EntryKind = "command" | "noop" | "configuration" | "barrier";

/** The voters of the cluster, sorted and unique. */
export interface Configuration {
  readonly voters: readonly ServerId[];
}

export interface LogEntry {
  /** Position in the log, from 1. */
  readonly index: number;
  /** Term of the leader that created the entry. */
  readonly term: number;
  readonly kind: EntryKind;
  /** The command (kind "command"); empty for the other kinds. Opaque to the core. */
  readonly data: Uint8Array;
  /** The new configuration (kind "configuration" only). */
  readonly configuration?: Configuration;
}

/** What must survive a crash besides the log: the current term and the vote cast in it. */
export interface HardState {
  readonly term: number;
  readonly votedFor: ServerId | undefined;
}

/** Describes a snapshot: the state machine after applying every entry through `index`. */
export interface SnapshotMetadata {
  /** Last entry covered by the snapshot. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** The latest configuration at or before `index`. */
  readonly configuration: Configuration;
  /** Index of the entry that introduced `configuration` (0 for a bootstrap without entry). */
  readonly configurationIndex: number;
}

/** A server's role. A pre-candidate runs the pre-vote and has not incremented its term. */
export type RaftRole = "follower" | "pre-candidate" | "candidate" | "leader";

/** The configuration with no voters: a server that is not part of any cluster yet. */
export const EMPTY_CONFIGURATION: Configuration = Object.freeze({ voters: Object.freeze([]) as readonly ServerId[] });

/** A configuration from any list of ids (sorted, duplicates removed). */
export function configurationOf(voters: Iterable<ServerId>): Configuration {
  return { voters: [...new Set(voters)].sort() };
}

/** Votes needed for a majority of `voterCount` voters. */
export function quorumOf(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

export function isVoter(configuration: Configuration, id: ServerId): boolean {
  return configuration.voters.includes(id);
}
