/**
 * go-dqlite's transaction (internal/transaction): one write transaction against one
 * database on one node, as the FSM tracks it.
 *
 * - A leader transaction belongs to this node's own SQLite connection: SQLite writes
 *   its frames to the WAL itself, after Raft committed them, so applying its Frames
 *   command only moves the state. Its non-commit frames are remembered, because a
 *   leader that loses leadership leaves a zombie that may have to be resurrected.
 * - A follower transaction writes the frames of another node's transaction through
 *   this node's `DatabaseFiles`.
 * - A zombie is a leader transaction whose node lost leadership while one of its
 *   commands was in flight: SQLite rolled it back, but the command may still commit.
 *
 * States: Pending -> Writing (non-commit frames) -> Written (commit frames), or
 * Pending/Writing -> Undone. Written and Undone are final. Illegal transitions are
 * programmer errors (assertions): the FSM checks states before it acts.
 */
import { assert } from "../../../sim/assert.ts";
import type { DatabaseFiles, FrameBatch, TxnId } from "../types.ts";

export type TransactionState = "pending" | "writing" | "written" | "undone";

export class Transaction {
  private currentState: TransactionState = "pending";
  private zombie = false;
  /** A leader's non-commit batches, in order (what a resurrection re-applies). */
  private readonly leaderFrames: FrameBatch[] = [];

  private constructor(
    /** The transaction ID (the same on every node). */
    readonly id: TxnId,
    /** The database's name. */
    readonly filename: string,
    /** The follower's files; undefined for a leader transaction. */
    private readonly files: DatabaseFiles | undefined,
  ) {
    assert(Number.isSafeInteger(id) && id > 0, `transaction ID ${id} is not a positive integer`);
    assert(filename.length > 0, "transaction without a database");
  }

  /** A leader transaction on `filename` (this node's SQLite connection writes its frames). */
  static leader(filename: string, id: TxnId): Transaction {
    return new Transaction(id, filename, undefined);
  }

  /** A follower transaction that writes its frames through `files`. */
  static follower(files: DatabaseFiles, id: TxnId): Transaction {
    return new Transaction(id, files.filename, files);
  }

  get isLeader(): boolean {
    return this.files === undefined;
  }

  get isZombie(): boolean {
    return this.zombie;
  }

  get state(): TransactionState {
    return this.currentState;
  }

  /** True while the transaction may still take frames or be undone. */
  get inFlight(): boolean {
    return this.currentState === "pending" || this.currentState === "writing";
  }

  /** Number of non-commit batches remembered as leader. */
  get leaderBatches(): number {
    return this.leaderFrames.length;
  }

  /**
   * Applies a batch of frames. `begin` marks the transaction's first frames on this
   * node's files (a follower drops any stale uncommitted frames first). Requires a
   * live (non-zombie) transaction in Pending or Writing; a follower must be Writing
   * unless `begin`. Moves to Writing, or Written with a commit batch. A DiskError of
   * the follower's files propagates, and the state does not move.
   */
  async frames(begin: boolean, batch: FrameBatch): Promise<void> {
    // Messages built only on failure: this runs for every Frames command.
    if (this.zombie) assert(false, `frames on zombie transaction ${this.describe()}`);
    if (!this.inFlight) assert(false, `frames on transaction ${this.describe()}`);
    if (this.files !== undefined) {
      if (begin !== (this.currentState === "pending"))
        assert(false, `frames (begin=${begin}) on follower transaction ${this.describe()}`);
      await this.files.applyFrames(batch, begin);
    } else if (!batch.isCommit) {
      this.leaderFrames.push(batch);
    }
    this.currentState = batch.isCommit ? "written" : "writing";
  }

  /**
   * Rolls the transaction back. A follower drops its uncommitted frames from the
   * files; a leader's SQLite connection rolls back by itself (and a zombie's already
   * did), so a leader only moves the state. Requires Pending or Writing.
   */
  async undo(): Promise<void> {
    assert(this.inFlight, `undo of transaction ${this.describe()}`);
    // Always undo a follower's files, even when Pending: frames of a batch whose write
    // failed half-way may be left behind.
    if (this.files !== undefined) await this.files.undo();
    this.currentState = "undone";
  }

  /** Marks a leader transaction as a zombie: its node lost leadership while a command was in flight. */
  markZombie(): void {
    assert(this.isLeader, `markZombie on follower transaction ${this.describe()}`);
    assert(this.inFlight, `markZombie on transaction ${this.describe()}`);
    this.zombie = true;
  }

  /**
   * Turns a zombie into a follower transaction with the same ID on `files`, and
   * re-applies the non-commit frames it had applied as leader (SQLite rolled them
   * back when the leader failed): the result is Writing if there were any, else
   * Pending, ready for the commit frames. The zombie itself is left untouched.
   */
  async resurrect(files: DatabaseFiles): Promise<Transaction> {
    assert(this.zombie, `resurrect of live transaction ${this.describe()}`);
    assert(this.inFlight, `resurrect of transaction ${this.describe()}`);
    assert(files.filename === this.filename, `resurrect of ${this.describe()} on ${files.filename}`);
    assert(
      (this.currentState === "writing") === this.leaderFrames.length > 0,
      `zombie ${this.describe()} without its frames`,
    );
    const follower = Transaction.follower(files, this.id);
    for (const [position, batch] of this.leaderFrames.entries()) await follower.frames(position === 0, batch);
    return follower;
  }

  /** For messages: "42 on db (follower, writing)". */
  describe(): string {
    const role = this.isLeader ? (this.zombie ? "zombie leader" : "leader") : "follower";
    return `${this.id} on ${this.filename} (${role}, ${this.currentState})`;
  }
}
