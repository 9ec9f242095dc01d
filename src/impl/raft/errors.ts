/**
 * Typed errors of the raft package, named as in hashicorp/raft (`ErrNotLeader`,
 * `ErrLeadershipLost`, `ErrEnqueueTimeout`, `ErrRaftShutdown`, ...).
 *
 * Every class extends RaftError and carries a stable `code`, so a caller may test
 * either `error instanceof ErrLeadershipLost` or `error.code === "leadership-lost"`.
 * These are expected conditions handed back as values or rejections; programmer
 * errors are assertions (src/sim/assert.ts).
 *
 * Outcome of a write that failed, as a Jepsen history would record it:
 * - certainly not applied ("fail"): ErrNotLeader, ErrEnqueueTimeout,
 *   ErrLeadershipTransferInProgress, ErrConfigurationChangeInProgress, ErrUnknownPeer;
 * - unknown ("info"): ErrLeadershipLost and ErrRaftShutdown, when the entry had
 *   been appended to the log: it may still commit and be applied later.
 */
import type { ServerId } from "./core/types.ts";

export type RaftErrorCode =
  | "not-leader"
  | "leadership-lost"
  | "enqueue-timeout"
  | "raft-shutdown"
  | "leadership-transfer-in-progress"
  | "leadership-transfer-timeout"
  | "configuration-change-in-progress"
  | "unknown-peer"
  | "log-corrupted"
  | "snapshot-corrupted"
  | "storage-failed"
  | "nothing-new-to-snapshot";

/** Base class of every expected raft error. */
export abstract class RaftError extends Error {
  abstract readonly code: RaftErrorCode;
  /** True when the operation may still take effect (the history records "info", not "fail"). */
  abstract readonly outcomeUnknown: boolean;
}

/** This server is not the leader; `leaderId` is the leader it knows of, if any. The entry was not appended. */
export class ErrNotLeader extends RaftError {
  override readonly name = "ErrNotLeader";
  readonly code = "not-leader";
  readonly outcomeUnknown = false;
  constructor(readonly leaderId: ServerId | undefined) {
    super(leaderId === undefined ? "node is not the leader" : `node is not the leader (leader is ${leaderId})`);
  }
}

/**
 * Leadership was lost while the entry was in flight. The entry was appended to this
 * server's log and may still be committed by a later leader and applied: the
 * outcome is unknown, as in hashicorp/raft. It must not be retried blindly.
 */
export class ErrLeadershipLost extends RaftError {
  override readonly name = "ErrLeadershipLost";
  readonly code = "leadership-lost";
  readonly outcomeUnknown = true;
  constructor(
    readonly index: number,
    readonly term: number,
  ) {
    super(`leadership lost while committing log (index ${index}, term ${term})`);
  }
}

/** The entry could not be enqueued within the caller's timeout. It was not appended. */
export class ErrEnqueueTimeout extends RaftError {
  override readonly name = "ErrEnqueueTimeout";
  readonly code = "enqueue-timeout";
  readonly outcomeUnknown = false;
  constructor(readonly timeoutMs: number) {
    super(`timed out enqueuing operation after ${timeoutMs} ms`);
  }
}

/**
 * The node is shut down (by `shutdown()` or a fatal storage failure). An entry
 * already appended may still commit elsewhere, so the outcome of an operation in
 * flight is unknown; an operation started after shutdown never ran.
 */
export class ErrRaftShutdown extends RaftError {
  override readonly name = "ErrRaftShutdown";
  readonly code = "raft-shutdown";
  constructor(readonly outcomeUnknown: boolean) {
    super("raft is already shutdown");
  }
}

/** A leadership transfer is in progress: the leader accepts no new entries until it ends. */
export class ErrLeadershipTransferInProgress extends RaftError {
  override readonly name = "ErrLeadershipTransferInProgress";
  readonly code = "leadership-transfer-in-progress";
  readonly outcomeUnknown = false;
  constructor() {
    super("leadership transfer in progress");
  }
}

/** The transfer target did not take over within an election timeout; this server is still the leader. */
export class ErrLeadershipTransferTimeout extends RaftError {
  override readonly name = "ErrLeadershipTransferTimeout";
  readonly code = "leadership-transfer-timeout";
  readonly outcomeUnknown = false;
  constructor(readonly target: ServerId) {
    super(`leadership transfer to ${target} timed out`);
  }
}

/**
 * A configuration change is not committed yet (or this leader has not committed an
 * entry of its own term): changes are made one server at a time.
 */
export class ErrConfigurationChangeInProgress extends RaftError {
  override readonly name = "ErrConfigurationChangeInProgress";
  readonly code = "configuration-change-in-progress";
  readonly outcomeUnknown = false;
  constructor() {
    super("a configuration change is still in progress");
  }
}

/** The server named is not a voter of the configuration (or is this server, where that makes no sense). */
export class ErrUnknownPeer extends RaftError {
  override readonly name = "ErrUnknownPeer";
  readonly code = "unknown-peer";
  readonly outcomeUnknown = false;
  constructor(readonly peer: ServerId | undefined) {
    super(peer === undefined ? "no peer to transfer leadership to" : `unknown peer ${peer}`);
  }
}

/** A record of the log store failed its checksum before the tail: the node refuses to start. */
export class ErrLogCorrupted extends RaftError {
  override readonly name = "ErrLogCorrupted";
  readonly code = "log-corrupted";
  readonly outcomeUnknown = false;
  constructor(
    readonly path: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`log store ${path} corrupted at byte ${offset}: ${detail}`);
  }
}

/** A snapshot or the stable store failed its checksum and no valid copy is left. */
export class ErrSnapshotCorrupted extends RaftError {
  override readonly name = "ErrSnapshotCorrupted";
  readonly code = "snapshot-corrupted";
  readonly outcomeUnknown = false;
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path} corrupted: ${detail}`);
  }
}

/** The disk failed under the node (EIO, ENOSPC on a write or fsync): the node shut itself down. */
export class ErrStorageFailed extends RaftError {
  override readonly name = "ErrStorageFailed";
  readonly code = "storage-failed";
  readonly outcomeUnknown = true;
  constructor(
    readonly operation: string,
    readonly failure: unknown,
  ) {
    super(`storage failed during ${operation}: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
}

/**
 * A user snapshot (RaftNode.snapshot) found nothing applied since the latest
 * snapshot: there is nothing new to capture (hashicorp/raft's ErrNothingNewToSnapshot).
 */
export class ErrNothingNewToSnapshot extends RaftError {
  override readonly name = "ErrNothingNewToSnapshot";
  readonly code = "nothing-new-to-snapshot";
  readonly outcomeUnknown = false;
  constructor() {
    super("nothing new to snapshot");
  }
}
