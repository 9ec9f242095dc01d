/**
 * LeaderMethods: go-dqlite's replication Methods (the hooks SQLite calls on the
 * leader), driven by WalCapture: Begin, Frames, Undo, End.
 *
 * - Begin (the first WAL write of a transaction): only on a leader whose term is
 *   ready (its barrier applied every earlier entry). A transaction left on this
 *   database by an earlier leader is resolved first, as the seed's comments say:
 *   a dangling follower (or surrogate) transaction in Writing is rolled back
 *   everywhere with an Undo command; a zombie that never got past Pending is
 *   purged; a zombie in Writing (its earlier frames reached the followers) is
 *   undone everywhere. Then a new leader transaction is registered.
 * - Frames: one Frames command through Raft, awaited. On ErrLeadershipLost (the
 *   command may still commit) or any failure after earlier frames were applied,
 *   the transaction becomes a zombie: the FSM resurrects it if its commit is
 *   applied later, or a later Begin undoes it. On ErrNotLeader / ErrEnqueueTimeout
 *   of its first command nothing reached the log: the transaction is dropped.
 * - End: after a commit, the transaction leaves the registry. After a rollback
 *   (SQLite's autocommit is back on with the transaction not committed) its
 *   replicated frames are undone with an Undo command.
 *
 * Every failure is remembered per database as a `ReplicationFailure` so the server
 * can tell the client what happened: certainly not committed, or outcome unknown.
 *
 * Seams for testing: the protected decisions a subclass may override (newCapture,
 * becomesZombie, undoDangling); the node builds its methods through
 * DqliteNodeParts.createMethods, and the broken leaders of
 * scenarios/dqlite/variants.ts are such subclasses.
 */
import type { Env } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { RaftError, type RaftNode } from "../../raft/index.ts";
import { encodeCommand } from "../fsm/commands.ts";
import type { Registry } from "../fsm/registry.ts";
import type { Transaction } from "../fsm/transaction.ts";
import { PAGE_SIZE, type Command, type DatabaseStore, type TxnId } from "../types.ts";
import { SQLITE_IOERR, SQLITE_OK, WalCapture, type CapturedFrame, type CaptureHooks } from "./wal-capture.ts";

/** Why the last replication hook failed, for the client. */
export type ReplicationFailure =
  | { readonly kind: "not-leader"; readonly reason: string }
  | { readonly kind: "aborted"; readonly reason: string }
  | { readonly kind: "outcome-unknown"; readonly reason: string; readonly txid: TxnId }
  | { readonly kind: "fatal"; readonly reason: string; readonly txid: TxnId | undefined };

/** Transaction IDs: the term in the high bits, a counter in the low 32. */
const TXID_TERM_FACTOR = 2 ** 32;

/** The leader's state of one database. */
export interface DatabaseLeader {
  readonly filename: string;
  readonly capture: WalCapture;
  txn: Transaction | undefined;
  /** A Frames or Undo command of this database is being applied through Raft. */
  replicating: boolean;
  failure: ReplicationFailure | undefined;
}

/** What the methods need from their node. */
export interface MethodsHost {
  /** True when this node leads a term whose barrier has been applied. */
  leaderReady(): boolean;
  /** The term this node leads (meaningful when leaderReady). */
  leaderTerm(): number;
  /** This node's copy could not keep up with what Raft committed: stop serving. */
  fatal(reason: string): void;
  /**
   * Frames a transaction's capture holds at most before it replicates them as a non-commit Frames command (WalCapture).
   */
  readonly heldFramesMax?: number;
}

/** SQLite's default page cache (`PRAGMA cache_size = -2000`: 2000 KiB). */
const SQLITE_DEFAULT_CACHE_KIB = 2_000;

/**
 * The frames a transaction's capture holds at most: what SQLite's page cache of
 * `cacheSize` (PRAGMA cache_size: pages when positive, KiB when negative, SQLite's
 * default when undefined) holds, so that the leader replicates a big transaction's
 * frames about when SQLite would spill them (go-dqlite's Frames hook runs at each spill).
 */
export function heldFramesMaxOf(cacheSize: number | undefined): number {
  const pages =
    cacheSize === undefined
      ? (SQLITE_DEFAULT_CACHE_KIB * 1024) / PAGE_SIZE
      : cacheSize >= 0
        ? cacheSize
        : (-cacheSize * 1024) / PAGE_SIZE;
  return Math.max(1, Math.floor(pages));
}

/** The leader's replication hooks for every database of the node (see the file's comment). */
export class LeaderMethods {
  private readonly databases = new Map<string, DatabaseLeader>();
  private txidTerm = 0;
  private txidCounter = 0;

  constructor(
    private readonly env: Env,
    private readonly raft: RaftNode,
    protected readonly registry: Registry,
    private readonly store: DatabaseStore,
    private readonly host: MethodsHost,
  ) {}

  /** The WAL interceptor of a database (one per database, created on first use). */
  capture(filename: string): WalCapture {
    return this.database(filename).capture;
  }

  /** Takes the reason of the last failed hook on this database, if any. */
  takeFailure(filename: string): ReplicationFailure | undefined {
    const database = this.database(filename);
    const failure = database.failure;
    database.failure = undefined;
    return failure;
  }

  /**
   * Leadership is gone: every leader transaction of this node still in flight becomes a zombie now,
   * before any later entry is applied (called synchronously from Raft's leadership
   * observer). One with a command in flight may still commit (the FSM resurrects
   * it); one still Pending is purged when the next leader's first frames arrive.
   * One whose last command (its commit frames, or an Undo) the FSM already applied
   * is done, not in flight: it stays a leader transaction until SQLite's End hook;
   * meanwhile the FSM holds back the next leader's commands on that database
   * (go-dqlite's HookSyncWait, DqliteFsm's awaitLeaderHooks).
   */
  leadershipLost(): void {
    for (const database of this.databases.values()) {
      const txn = database.txn;
      if (txn === undefined || txn.isZombie) continue;
      if (!this.becomesZombie(txn)) {
        // Its commit (committed cluster-wide) or Undo is applied; SQLite's End hook, still to run, unregisters it.
        this.env.probe("dqlite.leader.leadership-lost-after-apply");
        continue;
      }
      txn.markZombie();
      if (database.replicating) this.env.probe("dqlite.leader.zombie-with-command-in-flight");
      else this.env.probe("dqlite.leader.zombie-before-replication");
    }
  }

  /**
   * Seam for testing: whether a leader transaction of this node, not a zombie yet,
   * becomes one as leadership is lost: one in flight (a command of it may still
   * commit). One whose last command the FSM applied is done (see leadershipLost).
   */
  protected becomesZombie(txn: Transaction): boolean {
    return txn.inFlight;
  }

  /**
   * After a statement: if SQLite is back in autocommit with a transaction of ours
   * not committed, it rolled back (a ROLLBACK, an error, an I/O error from a hook):
   * go-dqlite's Undo and End hooks.
   */
  async statementEnded(filename: string, autocommit: boolean): Promise<void> {
    const database = this.database(filename);
    if (!autocommit || !database.capture.inTransaction()) return;
    database.capture.reset();
    this.store.get(filename)?.noteLeaderRollback();
    const txn = database.txn;
    database.txn = undefined;
    if (txn === undefined || txn.isZombie) return;
    if (txn.state === "writing") {
      const outcome = await this.propose(database, { kind: "undo", txid: txn.id });
      if (outcome !== undefined) {
        txn.markZombie();
        return;
      }
    }
    if (this.registry.txnById(txn.id) === txn) this.registry.txnDel(txn.id);
  }

  /**
   * Resolves what earlier leaders left on every database (the Begin rules, eagerly):
   * called once the term's barrier is applied, so nothing of an earlier term can
   * still arrive.
   */
  async resolveLeftovers(): Promise<void> {
    for (const filename of this.store.names()) {
      const code = await this.resolveLeftover(this.database(filename));
      if (code !== SQLITE_OK) return;
    }
  }

  private database(filename: string): DatabaseLeader {
    let database = this.databases.get(filename);
    if (database === undefined) {
      const created: DatabaseLeader = {
        filename,
        txn: undefined,
        replicating: false,
        failure: undefined,
        capture: undefined as unknown as WalCapture,
      };
      (created as { capture: WalCapture }).capture = this.newCapture(
        this.host.heldFramesMax ?? heldFramesMaxOf(undefined),
        {
          begin: () => this.begin(created),
          replicate: (frames, commitSize) => this.frames(created, frames, commitSize),
          committed: (frameCount) => this.committed(created, frameCount),
          committedFrames: () => this.store.get(filename)?.committedFrames() ?? 0,
          diskFailed: (error, committed) => this.diskFailed(created, error, committed),
        },
      );
      database = created;
      this.databases.set(filename, database);
    }
    return database;
  }

  /** Seam for testing: the WAL interceptor of one database, driving `hooks`. */
  protected newCapture(heldFramesMax: number, hooks: CaptureHooks): WalCapture {
    return new WalCapture(PAGE_SIZE, heldFramesMax, hooks);
  }

  /** go-dqlite's Begin hook: at once unless a leftover transaction must be undone through Raft first. */
  private begin(database: DatabaseLeader): number | Promise<number> {
    if (!this.host.leaderReady())
      return this.fail(database, { kind: "not-leader", reason: "this node is not a ready leader" });
    const leftover = this.resolveLeftover(database);
    if (typeof leftover !== "number")
      return leftover.then((code) => (code === SQLITE_OK ? this.registerTransaction(database) : code));
    return leftover === SQLITE_OK ? this.registerTransaction(database) : leftover;
  }

  /** Registers a new leader transaction on `database` (Begin, once nothing is left over). */
  private registerTransaction(database: DatabaseLeader): number {
    const term = this.host.leaderTerm();
    if (term !== this.txidTerm) {
      this.txidTerm = term;
      this.txidCounter = 0;
    }
    this.txidCounter++;
    assert(this.txidCounter < TXID_TERM_FACTOR, "transaction counter overflow within one term");
    database.txn = this.registry.txnLeaderAdd(database.filename, term * TXID_TERM_FACTOR + this.txidCounter);
    return SQLITE_OK;
  }

  /** What an earlier leader left on `database`, resolved: at once unless an Undo must go through Raft. */
  private resolveLeftover(database: DatabaseLeader): number | Promise<number> {
    const leftover = this.registry.txnByFilename(database.filename);
    if (leftover === undefined) return SQLITE_OK;
    if (leftover.isLeader && !leftover.isZombie) {
      assert(
        leftover !== database.txn || !database.capture.inTransaction(),
        `leader transaction ${leftover.id} still in progress on ${database.filename}`,
      );
      // Our own transaction whose End never ran (its statement failed before): drop it.
      this.registry.txnDel(leftover.id);
      return SQLITE_OK;
    }
    if (leftover.isZombie && leftover.state === "pending") {
      this.env.probe("dqlite.leader.stale-zombie-purged");
      this.registry.txnDel(leftover.id);
      return SQLITE_OK;
    }
    return this.undoDangling(database, leftover);
  }

  /**
   * Seam for testing: a transaction an earlier leader left in Writing on `database`
   * (a dangling follower or surrogate, or a zombie whose frames reached the
   * followers) is undone everywhere with an Undo command, at once or once it applied.
   */
  protected undoDangling(database: DatabaseLeader, leftover: Transaction): number | Promise<number> {
    if (leftover.isZombie) this.env.probe("dqlite.leader.zombie-undone");
    else this.env.probe("dqlite.leader.dangling-follower-undone");
    return this.undoLeftover(database, leftover.id);
  }

  private async undoLeftover(database: DatabaseLeader, txid: TxnId): Promise<number> {
    const failure = await this.propose(database, { kind: "undo", txid });
    if (failure !== undefined)
      return this.fail(database, {
        kind: "not-leader",
        reason: `undo of dangling transaction ${txid}: ${failure.message}`,
      });
    return SQLITE_OK;
  }

  private async frames(
    database: DatabaseLeader,
    frames: readonly CapturedFrame[],
    commitSize: number | undefined,
  ): Promise<number> {
    const txn = database.txn;
    assert(txn !== undefined, `frames without a transaction on ${database.filename}`);
    if (txn.isZombie || !this.host.leaderReady()) {
      // Leadership is gone (or moved to a later term): frames held from before must never reach the log,
      // whoever leads now (go-dqlite's Frames hook refuses with SQLITE_IOERR_NOT_LEADER). Nothing is proposed.
      this.env.probe("dqlite.leader.frames-refused-not-leader");
      database.txn = undefined;
      if (txn.isZombie)
        return this.fail(database, { kind: "aborted", reason: `transaction ${txn.id} lost its leadership` });
      if (txn.state === "pending") {
        this.registry.txnDel(txn.id);
        return this.fail(database, { kind: "not-leader", reason: "this node is not a ready leader" });
      }
      txn.markZombie();
      return this.fail(database, { kind: "aborted", reason: "this node is not a ready leader" });
    }
    const pageData = new Uint8Array(frames.length * PAGE_SIZE);
    frames.forEach((frame, i) => {
      assert(frame.data.length === PAGE_SIZE, `frame of ${frame.data.length} bytes`);
      pageData.set(frame.data, i * PAGE_SIZE);
    });
    const command: Command = {
      kind: "frames",
      txid: txn.id,
      filename: database.filename,
      pageSize: PAGE_SIZE,
      pageNumbers: frames.map((frame) => frame.pageNumber),
      pageData,
      truncate: commitSize ?? 0,
      isCommit: commitSize !== undefined,
    };
    const wasPending = txn.state === "pending";
    const error = await this.propose(database, command);
    if (error === undefined) return SQLITE_OK;
    if (!(error instanceof RaftError)) {
      // The command committed but the FSM refused it (an invariant violation it recorded).
      database.txn = undefined;
      if (this.registry.txnById(txn.id) === txn) this.registry.txnDel(txn.id);
      return this.fail(database, {
        kind: "fatal",
        reason: `the FSM failed to apply frames: ${error.message}`,
        txid: txn.id,
      });
    }
    const appended = error.outcomeUnknown;
    if (!appended && wasPending && !txn.isZombie) {
      this.registry.txnDel(txn.id);
      database.txn = undefined;
      return this.fail(database, { kind: "not-leader", reason: error.message });
    }
    if (!txn.isZombie) txn.markZombie();
    database.txn = undefined;
    if (commitSize !== undefined && appended)
      return this.fail(database, { kind: "outcome-unknown", reason: error.message, txid: txn.id });
    return this.fail(database, { kind: "aborted", reason: error.message });
  }

  private committed(database: DatabaseLeader, frameCount: number): void {
    const txn = database.txn;
    assert(txn !== undefined, `commit without a transaction on ${database.filename}`);
    this.store.get(database.filename)?.noteLeaderCommit(frameCount);
    // go-dqlite's End hook: a committed leader transaction leaves the registry.
    if (this.registry.txnById(txn.id) === txn) this.registry.txnDel(txn.id);
    database.txn = undefined;
  }

  private diskFailed(database: DatabaseLeader, error: unknown, committed: boolean): void {
    const txn = database.txn;
    database.txn = undefined;
    if (txn !== undefined && this.registry.txnById(txn.id) === txn) this.registry.txnDel(txn.id);
    const reason = `replicated frames could not be written to this node's disk: ${error instanceof Error ? error.message : String(error)}`;
    database.failure = { kind: "fatal", reason, txid: committed ? txn?.id : undefined };
    this.env.probe("dqlite.leader.disk-failed-after-replication");
    this.host.fatal(reason);
  }

  /** Applies a command through Raft; the error (not thrown) if it did not apply cleanly. */
  private async propose(database: DatabaseLeader, command: Command): Promise<Error | undefined> {
    database.replicating = true;
    this.env.trace("dqlite.leader.propose", proposalFields(command));
    try {
      const result = await this.raft.apply(encodeCommand(command));
      if (result.response instanceof Error) return result.response;
      return undefined;
    } catch (error) {
      if (error instanceof RaftError) return error;
      throw error;
    } finally {
      database.replicating = false;
    }
  }

  private fail(database: DatabaseLeader, failure: ReplicationFailure): number {
    database.failure = failure;
    return SQLITE_IOERR;
  }
}

/** What the trace records of a proposed command (scenarios watch it to cut the leader off at a chosen point). */
function proposalFields(command: Command): Record<string, unknown> {
  if (command.kind === "frames") {
    return {
      kind: "frames",
      txid: command.txid,
      filename: command.filename,
      frames: command.pageNumbers.length,
      isCommit: command.isCommit,
    };
  }
  return { kind: command.kind, txid: "txid" in command ? command.txid : null };
}
