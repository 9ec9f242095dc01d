/**
 * The contracts between the parts of src/impl/dqlite, in one place so that each
 * part can be built and tested on its own:
 *
 * - `Command`: what goes through Raft (go-dqlite's protocol.Command), encoded by
 *   fsm/commands.ts.
 * - `DatabaseFiles` / `DatabaseStore`: one node's copy of each database on its own
 *   disk, as the FSM sees it (wal/database-files.ts implements them on env.disk).
 *   The FSM never calls SQLite: it applies frames, undoes them and checkpoints by
 *   writing the WAL and database files itself, so an apply can never wait on a
 *   SQLite call that is itself waiting on Raft.
 * - `TxnId`: transaction IDs grow across leaders (term in the high bits), which is
 *   what the seed's "zombie transaction too recent" check relies on.
 */

/** Page size of every replicated database (SQLite's default). */
export const PAGE_SIZE = 4096;

/** A transaction ID: `term * 2^32 + counter`, unique and increasing across leaders. */
export type TxnId = number;

/** Frames of one write transaction, in WAL order (go-dqlite's protocol.Frames, v2). */
export interface FramesPayload {
  readonly txid: TxnId;
  /** The database's name (go-dqlite's Filename). */
  readonly filename: string;
  readonly pageSize: number;
  /** Page number of each frame, in order; a page may appear twice (the later frame wins). */
  readonly pageNumbers: readonly number[];
  /** pageNumbers.length * pageSize bytes. */
  readonly pageData: Uint8Array;
  /** Database size in pages after the commit (the commit frame's field); 0 unless isCommit. */
  readonly truncate: number;
  /** The last frames of the transaction: they commit it. */
  readonly isCommit: boolean;
}

/** What goes through Raft. Begin and End are no-ops kept for compatibility with old logs. */
export type Command =
  | { readonly kind: "open"; readonly name: string }
  | { readonly kind: "begin"; readonly txid: TxnId; readonly name: string }
  | ({ readonly kind: "frames" } & FramesPayload)
  | { readonly kind: "undo"; readonly txid: TxnId }
  | { readonly kind: "end"; readonly txid: TxnId }
  | { readonly kind: "checkpoint"; readonly name: string };

/** The frames to append, without the transaction fields. */
export type FrameBatch = Pick<FramesPayload, "pageSize" | "pageNumbers" | "pageData" | "truncate" | "isCommit">;

/**
 * One database's files on one node (`<directory>/<name>` and `<name>-wal`), kept as
 * a valid SQLite WAL database at all times, so a SQLite connection opened on them
 * (when this node becomes leader) recovers exactly the committed frames.
 */
export interface DatabaseFiles {
  readonly filename: string;
  /** Frames of the WAL up to and including the last commit frame. */
  committedFrames(): number;
  /** Frames written after the last commit (a follower transaction in progress). */
  pendingFrames(): number;
  /**
   * Bumped whenever the FSM changes the files (frames, undo, checkpoint, restore):
   * a SQLite connection opened at another generation has a stale WAL index and must
   * be reopened before use.
   */
  generation(): number;
  /**
   * Follower: appends frames after the committed ones (and after this transaction's
   * earlier frames). `begin` marks the first frames of a transaction: uncommitted
   * frames left by an earlier one are dropped first. With `isCommit`, everything
   * pending becomes committed and the database size becomes `truncate` pages.
   */
  applyFrames(batch: FrameBatch, begin: boolean): Promise<void>;
  /** Drops the frames written after the last commit. */
  undo(): Promise<void>;
  /**
   * Copies the committed frames into the database file (sized to the last commit),
   * then truncates the WAL to zero bytes. Refuses (assertion) with pending frames.
   */
  checkpoint(): Promise<void>;
  /**
   * Leader: the node's own SQLite connection wrote and committed frames up to
   * `frameCount` in the WAL (the leader's VFS calls this after a replicated commit).
   */
  noteLeaderCommit(frameCount: number): void;
  /** Leader: the node's own SQLite connection rolled back; frames past the committed ones are garbage. */
  noteLeaderRollback(): void;
  /** The database file and the WAL's committed part, as on disk (for a snapshot). */
  read(): Promise<{ readonly database: Uint8Array; readonly wal: Uint8Array }>;
  /** The logical database: the file with the committed frames applied, sized to the last commit. */
  image(): Promise<Uint8Array>;
}

/** Every database of one node. */
export interface DatabaseStore {
  /** The database, created from the empty-database template if it does not exist. */
  open(filename: string): Promise<DatabaseFiles>;
  /** The database if it was opened or restored in this incarnation. */
  get(filename: string): DatabaseFiles | undefined;
  /** Names of the known databases, sorted. */
  names(): readonly string[];
  /** Replaces (or creates) a database's files with a snapshot's bytes. */
  restore(filename: string, database: Uint8Array, wal: Uint8Array): Promise<DatabaseFiles>;
  /** Deletes every database (a restore replaces all state). */
  clear(): Promise<void>;
}
