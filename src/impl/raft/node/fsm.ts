/**
 * The finite state machine a RaftNode replicates, as in hashicorp/raft: `apply` for
 * each committed command, `snapshot` for a point-in-time copy, `restore` to replace
 * the whole state from a snapshot.
 */

/** A committed command handed to the FSM (hashicorp/raft's *raft.Log). */
export interface LogRecord {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** Where a snapshot's bytes go: written in order, then `close` makes them durable, or `cancel` drops them. */
export interface SnapshotSink {
  /** The snapshot's id (its index and term). */
  readonly id: string;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  cancel(): Promise<void>;
}

/** A snapshot's bytes, read in order; `read` resolves null at the end. */
export interface SnapshotReader {
  read(): Promise<Uint8Array | null>;
  /** Everything left, in one array. */
  readAll(): Promise<Uint8Array>;
}

/**
 * A point-in-time copy of the FSM, taken by `Fsm.snapshot` and written out by `persist` (which may run while `apply`
 * goes on).
 */
export interface FsmSnapshot {
  persist(sink: SnapshotSink): Promise<void>;
  release(): void;
}

/** hashicorp/raft's FSM. */
export interface Fsm {
  /**
   * Applies a committed command and returns the response handed to the `apply`
   * caller on the leader. Called in log order, once per entry per incarnation
   * (after a restart, again from the last snapshot on). An FSM whose apply does I/O
   * returns a Promise: the node waits for it before applying the next entry (as
   * hashicorp/raft's FSM goroutine does), and the caller gets what it resolves to.
   * Rejecting (or throwing) a DiskError means this node's copy of the state can no
   * longer be trusted: the node stops with ErrStorageFailed, as for a failed log
   * write, and a restart rebuilds the state from the snapshot and the log.
   */
  apply(log: LogRecord): unknown;
  /**
   * Captures the state as of the last applied entry; no `apply` runs until it
   * resolves. Rejecting with an `ErrSnapshotRefused` means "not now" (a
   * transaction is in flight): the node tries again after later commits.
   */
  snapshot(): Promise<FsmSnapshot>;
  /** Discards all state and replaces it with the snapshot's. A DiskError stops the node, as in `apply`. */
  restore(reader: SnapshotReader): Promise<void>;
}

/**
 * An FSM's answer to `snapshot()` meaning "not now": its state cannot be captured
 * consistently at this point (go-dqlite refuses while a transaction is in flight).
 * The node counts it (probe "raft.snapshot-refused") and retries on a later commit.
 */
export class ErrSnapshotRefused extends Error {
  override readonly name: string = "ErrSnapshotRefused";
}

/** A reader over bytes already in memory, in chunks of at most `chunkBytes`. */
export function readerOf(data: Uint8Array, chunkBytes = 64 * 1024): SnapshotReader {
  let position = 0;
  return {
    read: async () => {
      if (position >= data.length) return null;
      const chunk = data.subarray(position, position + chunkBytes);
      position += chunk.length;
      return chunk;
    },
    readAll: async () => {
      const rest = data.subarray(position);
      position = data.length;
      return rest;
    },
  };
}
