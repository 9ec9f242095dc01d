/**
 * go-dqlite's replication FSM (seed 001): applies the committed commands of the Raft
 * log to this node's copy of every database, tracking leader, follower and zombie
 * transactions in the registry, and snapshots and restores the databases.
 *
 * Where the seed panics (tracer.Panic) or returns an error, this FSM records an
 * `FsmInvariantViolation` (the first `violationsMax` in `violations`, all counted),
 * logs and traces it, and `apply` resolves to an `FsmApplyError`: a run reports the
 * violation instead of dying. A DiskError from the database files is not a
 * violation but a failure of this node's disk: this node's copy is no longer known,
 * so `apply` rejects with it (probe dqlite.fsm.disk-failed), and so does every later
 * `apply`; Raft then stops the node, and a restart rebuilds the databases from the
 * snapshot and the log (raft/node/fsm.ts). The FSM index moves only when an entry
 * applied. Other exceptions are programmer errors and propagate.
 *
 * apply, snapshot and restore run one at a time (the seed's registry lock), in the
 * order they were called.
 *
 * Seams for testing: the `restoreLayout` option, and the protected decisions a
 * subclass may override (snapshotRefusal, mayPurge, recoverZombie, unregistersOnceDone,
 * awaitLeaderHooks). The broken FSMs of scenarios/dqlite/variants.ts are such
 * subclasses; the node builds its FSM through DqliteNodeParts.createFsm.
 */
import type { Clock, Env } from "../../../sim/env.ts";
import { DiskError } from "../../../sim/env.ts";
import type { Fsm, FsmSnapshot, LogRecord, SnapshotReader } from "../../raft/node/fsm.ts";
import {
  PAGE_SIZE,
  type Command,
  type DatabaseFiles,
  type DatabaseStore,
  type FrameBatch,
  type FramesPayload,
  type TxnId,
} from "../types.ts";
import { decodeCommand } from "./commands.ts";
import {
  ErrCommandMalformed,
  ErrDatabaseBusy,
  ErrTransactionInProgress,
  FsmApplyError,
  type FsmInvariantViolation,
} from "./errors.ts";
import { DqliteFsmSnapshot } from "./fsm-snapshot.ts";
import type { DqliteFsmProbe } from "./probes.ts";
import { Registry } from "./registry.ts";
import { restoreEachUnderItsName, type RestoreLayout } from "./restore-layout.ts";
import { decodeSnapshot, type DatabaseSnapshot } from "./snapshot-format.ts";
import type { Transaction } from "./transaction.ts";

/** What the FSM uses of the Env. */
export type FsmEnv = Pick<Env, "log" | "trace" | "probe" | "hash"> & { readonly clock: Pick<Clock, "setTimer"> };

/**
 * How long (host-local ms) a command waits for this node's own leader transaction's
 * hooks (awaitLeaderHooks). They depend only on this node's disk writes, so they
 * finish within a disk operation or two; hooks that never finish would stall every
 * later entry, so past this the wait ends in a violation instead. go-dqlite waits
 * without a bound; ours keeps a limit on every wait.
 */
export const LEADER_HOOK_WAIT_MAX_MS = 60_000;

/** How many violations `violations` keeps (the first ones; `violationCount` counts all). */
export const FSM_VIOLATIONS_KEPT_MAX = 100;

export interface DqliteFsmOptions {
  readonly env: FsmEnv;
  /** This node's databases. */
  readonly store: DatabaseStore;
  /** Shared with the leader's replication code; a fresh one by default. */
  readonly registry?: Registry;
  readonly violationsKeptMax?: number;
  /**
   * A database the leader's SQLite is using now, if any (the node's per-database
   * lock is held): `snapshot` refuses meanwhile, as for a registered transaction.
   */
  readonly busyDatabase?: () => string | undefined;
  /** Where restore writes each database of a snapshot. Default restoreEachUnderItsName. */
  readonly restoreLayout?: RestoreLayout;
}

/** Unwinds an apply that hit a violation; caught in `apply`. */
class ApplyFailure {
  constructor(readonly message: string) {}
}

function fail(message: string): never {
  throw new ApplyFailure(message);
}

export class DqliteFsm implements Fsm {
  readonly registry: Registry;
  /** The first violations recorded (at most `violationsKeptMax`). */
  readonly violations: FsmInvariantViolation[] = [];
  /** Every violation recorded. */
  violationCount = 0;
  private readonly env: FsmEnv;
  private readonly store: DatabaseStore;
  private readonly violationsKeptMax: number;
  private readonly busyDatabase: (() => string | undefined) | undefined;
  /** Where restore writes each database. */
  private readonly restoreLayout: RestoreLayout;
  /** The txid of the last Begin applied (kept for old logs whose Undo follows a Begin alone). */
  private noopBeginTxn: TxnId = 0;
  private serial: Promise<unknown> = Promise.resolve();
  /** The disk failure that made this node's copy unknown, once one happened. */
  private diskFailure: DiskError | undefined;

  constructor(options: DqliteFsmOptions) {
    this.env = options.env;
    this.store = options.store;
    this.registry = options.registry ?? new Registry();
    this.violationsKeptMax = options.violationsKeptMax ?? FSM_VIOLATIONS_KEPT_MAX;
    this.busyDatabase = options.busyDatabase;
    this.restoreLayout = options.restoreLayout ?? restoreEachUnderItsName;
  }

  /**
   * Applies one committed entry. Resolves to undefined on success (the FSM index is
   * then `log.index`), or to an FsmApplyError after recording the violation.
   */
  apply(log: LogRecord): Promise<FsmApplyError | undefined> {
    return this.exclusive(() => this.applyNow(log));
  }

  /**
   * Captures every database's files and the index. Rejects with
   * ErrTransactionInProgress while any transaction is registered (as the seed does:
   * a follower restored from it could not continue the transaction), with
   * ErrDatabaseBusy while the leader's SQLite is using a database (`busyDatabase`),
   * and with a DiskError if the files cannot be read.
   */
  snapshot(): Promise<FsmSnapshot> {
    return this.exclusive(async () => {
      const refusal = this.snapshotRefusal();
      if (refusal !== undefined) throw refusal;
      const databases: DatabaseSnapshot[] = [];
      for (const name of this.store.names()) {
        const files = this.store.get(name) ?? (await this.store.open(name));
        const { database, wal } = await files.read();
        // Copies: the files may change while persist runs.
        databases.push({ name, database: database.slice(), wal: wal.slice() });
      }
      return new DqliteFsmSnapshot({ index: this.registry.index(), databases }, this.env.hash.crc32);
    });
  }

  /**
   * Replaces all state with the snapshot's: decodes it completely first (rejecting
   * with ErrSnapshotMalformed before touching anything), then clears the databases
   * and the transactions, restores every database and sets the index.
   */
  async restore(reader: SnapshotReader): Promise<void> {
    const snapshot = decodeSnapshot(await reader.readAll(), this.env.hash.crc32);
    await this.exclusive(async () => {
      await this.store.clear();
      this.registry.txnClear();
      this.noopBeginTxn = 0;
      for (const database of this.restoreLayout(snapshot.databases))
        await this.store.restore(database.name, database.database, database.wal);
      if (snapshot.databases.length > 1) this.probe("dqlite.fsm.restored-several-databases");
      this.registry.indexRestore(snapshot.index);
      this.env.trace("dqlite.fsm-restored", { index: snapshot.index, databases: snapshot.databases.length });
    });
  }

  /**
   * Seam for testing: why a snapshot must not be taken now, if it must not: a
   * registered transaction (ErrTransactionInProgress), or a database the leader's
   * SQLite is using (ErrDatabaseBusy).
   */
  protected snapshotRefusal(): Error | undefined {
    const busy = this.registry.transactions()[0];
    if (busy !== undefined) return new ErrTransactionInProgress(busy.id, busy.filename);
    const database = this.busyDatabase?.();
    if (database !== undefined) return new ErrDatabaseBusy(database);
    return undefined;
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.serial.then(operation);
    this.serial = result.catch(() => undefined);
    return result;
  }

  private async applyNow(log: LogRecord): Promise<FsmApplyError | undefined> {
    if (this.diskFailure !== undefined) throw this.diskFailure;
    let command: Command | undefined;
    try {
      command = decodeCommand(log.data);
      await this.dispatch(command);
    } catch (error) {
      if (error instanceof ApplyFailure) return this.violation(log, command, error.message);
      if (error instanceof DiskError) throw this.diskFailed(log, command, error);
      if (error instanceof ErrCommandMalformed)
        return this.violation(log, command, `corrupted command data: ${error.message}`, error);
      throw error;
    }
    this.registry.indexUpdate(log.index);
    return undefined;
  }

  private async dispatch(command: Command): Promise<void> {
    switch (command.kind) {
      case "open":
        await this.store.open(command.name);
        return;
      case "begin":
        // A no-op kept for old logs; an Undo that follows a Begin alone is then accepted.
        this.noopBeginTxn = command.txid;
        return;
      case "frames":
        await this.applyFrames(command);
        return;
      case "undo":
        await this.applyUndo(command.txid);
        return;
      case "end":
        return; // A no-op kept for old logs.
      case "checkpoint":
        await this.applyCheckpoint(command.name);
        return;
    }
  }

  private async applyFrames(frames: FramesPayload): Promise<void> {
    if (frames.pageSize !== PAGE_SIZE) fail(`frames of ${frames.pageSize}-byte pages; databases use ${PAGE_SIZE}`);
    const files = this.filesOf(frames.filename);
    await this.awaitLeaderHooks(frames.filename, frames.txid);
    let txn = this.registry.txnById(frames.txid);
    let begin = true;
    if (txn === undefined) {
      txn = this.newFollower(frames, files);
    } else if (txn.filename !== frames.filename) {
      fail(`frames on ${frames.filename} for transaction ${txn.describe()}`);
    } else if (!txn.inFlight) {
      fail(`frames for transaction ${txn.describe()}`);
    } else if (txn.isZombie) {
      ({ txn, begin } = await this.recoverZombie(txn, frames, files));
    } else if (txn.isLeader) {
      // Applied while this node's own Frames hook waits on it: SQLite writes the frames.
    } else {
      // A follower transaction took its first frames already: these continue it.
      if (txn.state !== "writing") fail(`unexpected transaction ${txn.describe()}`);
      begin = false;
    }
    await txn.frames(begin, batchOf(frames));
    if (frames.isCommit) {
      this.registry.txnCommittedAdd(txn.id);
      if (this.unregistersOnceDone(txn, "commit")) this.registry.txnDel(txn.id);
    }
    this.noopBeginTxn = 0;
  }

  /**
   * Frames of a transaction this node does not know: a new follower transaction.
   * Only a stale zombie may stand on the database: one left by this node when it
   * lost leadership during the first frames of a transaction that did not reach a
   * quorum (nobody else knows it, and SQLite rolled it back), so it is dropped.
   */
  private newFollower(frames: FramesPayload, files: DatabaseFiles): Transaction {
    const other = this.registry.txnByFilename(frames.filename);
    if (other !== undefined) {
      if (!this.mayPurge(other)) fail(`unexpected transaction ${other.describe()}`);
      if (other.id > frames.txid) fail(`zombie transaction too recent ${other.describe()}`);
      if (other.state !== "pending") fail(`unexpected transaction state ${other.describe()}`);
      this.registry.txnDel(other.id);
      this.probe("dqlite.fsm.stale-zombie-purged");
    }
    return this.registry.txnFollowerAdd(files, frames.txid);
  }

  /**
   * Frames of a zombie: this node lost leadership while they were in flight, and
   * they committed anyway (this node was re-elected and committed its own entry, or
   * another leader did, the entry having reached a quorum). Non-commit frames go to
   * a surrogate follower transaction, which the next leader will undo. Commit frames
   * commit the transaction: the zombie becomes a follower that re-applies the frames
   * it had applied as leader (SQLite rolled them back), then takes the commit. A
   * seam for testing.
   */
  protected async recoverZombie(
    zombie: Transaction,
    frames: FramesPayload,
    files: DatabaseFiles,
  ): Promise<{ txn: Transaction; begin: boolean }> {
    if (!frames.isCommit) {
      this.probe("dqlite.fsm.surrogate-created");
      return { txn: this.registry.txnFollowerSurrogate(zombie, files), begin: true };
    }
    const follower = await zombie.resurrect(files);
    this.registry.txnFollowerResurrected(follower);
    this.probe("dqlite.fsm.zombie-resurrected");
    return { txn: follower, begin: follower.state === "pending" };
  }

  /**
   * Undo. Who unregisters the transaction (the seed's three cases): a live leader
   * transaction is undone within this node's own Undo hook, whose End unregisters it;
   * a follower transaction is done (Undone is final); a zombie was rolled back by
   * SQLite already and nobody else will remove it (unregistersOnceDone).
   */
  private async applyUndo(txid: TxnId): Promise<void> {
    const txn = this.registry.txnById(txid);
    if (txn === undefined) {
      if (this.noopBeginTxn !== txid) fail("txn not found");
      this.noopBeginTxn = 0;
      return;
    }
    if (!txn.inFlight) fail(`undo of transaction ${txn.describe()}`);
    await txn.undo();
    if (txn.isZombie) this.probe("dqlite.fsm.zombie-undone");
    if (this.unregistersOnceDone(txn, "undo")) this.registry.txnDel(txid);
  }

  /**
   * Seam for testing: whether this FSM unregisters `txn` once its `last` command
   * (commit frames, or Undo) is applied. Every transaction but a live leader one:
   * that one is unregistered by the leader's code (its End hook) once SQLite is
   * done. A zombie (a leader transaction) is undone only: SQLite rolled it back,
   * and nobody else will remove it.
   */
  protected unregistersOnceDone(txn: Transaction, last: "commit" | "undo"): boolean {
    return last === "undo" ? txn.isZombie || !txn.isLeader : !txn.isLeader;
  }

  /**
   * Seam for testing: whether `txn`, a transaction that the frames of another one
   * or a checkpoint meet on its database, may be a stale zombie of this node, to
   * be dropped if it is still Pending (and, for frames, older than theirs). Any
   * zombie may: see newFollower and applyCheckpoint.
   */
  protected mayPurge(txn: Transaction): boolean {
    return txn.isZombie;
  }

  /**
   * Checkpoint: the leader issues it between transactions, so a transaction on the
   * database means the logs diverged, but for a stale zombie of this node: a
   * Pending zombie whose first frames never reached a quorum (the checkpoint's
   * leader holds no entry of it, and none can come after the checkpoint). SQLite
   * rolled it back and nobody else knows it, so it is dropped as the next leader's
   * frames drop it (the seed checks only its follower connection here, where such a
   * zombie never stands: it lives on the old leader's connection).
   */
  private async applyCheckpoint(name: string): Promise<void> {
    const files = this.filesOf(name);
    await this.awaitLeaderHooks(name, undefined);
    const txn = this.registry.txnByFilename(name);
    if (txn !== undefined) {
      const stale = this.mayPurge(txn) && txn.state === "pending";
      if (!stale) fail(`can't run checkpoint concurrently with transaction ${txn.describe()}`);
      this.registry.txnDel(txn.id);
      this.probe("dqlite.fsm.stale-zombie-purged");
    }
    const pending = files.pendingFrames();
    if (pending !== 0) fail(`${pending} uncommitted frames are still in the WAL`);
    await files.checkpoint();
    this.probe("dqlite.fsm.checkpoint");
  }

  /**
   * go-dqlite's HookSyncWait: while this node's own (non-zombie) leader transaction
   * on `filename` has its last command (commit frames, or Undo) applied but the
   * leader's hooks are not done yet (SQLite still writes the committed frames to the
   * WAL, then its End hook unregisters it), a command of another transaction on the
   * database waits for them. Otherwise a leadership loss in that window let the next
   * leader's frames (or checkpoint) meet the finished transaction, or land in the
   * WAL before this node's own commit did. The wait depends only on this node's disk
   * writes, never on Raft. A seam for testing.
   */
  protected async awaitLeaderHooks(filename: string, txid: TxnId | undefined): Promise<void> {
    for (;;) {
      const txn = this.registry.txnByFilename(filename);
      if (txn === undefined || !txn.isLeader || txn.isZombie || txn.inFlight || txn.id === txid) return;
      this.probe("dqlite.fsm.waited-for-leader-end");
      if (!(await this.unregisteredWithin(txn, LEADER_HOOK_WAIT_MAX_MS))) {
        fail(
          `leader transaction ${txn.describe()} did not end within ${LEADER_HOOK_WAIT_MAX_MS} ms of its last command`,
        );
      }
    }
  }

  /** Whether `txn` leaves the registry within `limitMs` of host-local time. */
  private unregisteredWithin(txn: Transaction, limitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.env.clock.setTimer(limitMs, () => resolve(false));
      void this.registry.txnUnregistered(txn).then(() => {
        timer.cancel();
        resolve(true);
      });
    });
  }

  private filesOf(name: string): DatabaseFiles {
    const files = this.store.get(name);
    if (files === undefined) fail(`database ${name} was never opened`);
    return files;
  }

  private probe(name: DqliteFsmProbe): void {
    this.env.probe(name);
  }

  private diskFailed(log: LogRecord, command: Command | undefined, error: DiskError): DiskError {
    this.diskFailure = error;
    this.probe("dqlite.fsm.disk-failed");
    const fields = { index: log.index, term: log.term, command: command?.kind ?? "malformed", error: error.message };
    this.env.log.error("dqlite: fsm: disk failure, this node's databases are unknown", fields);
    this.env.trace("dqlite.fsm-disk-failed", fields);
    return error;
  }

  private violation(log: LogRecord, command: Command | undefined, message: string, cause?: unknown): FsmApplyError {
    const violation: FsmInvariantViolation = {
      index: log.index,
      term: log.term,
      command: command?.kind ?? "malformed",
      txid: command !== undefined && "txid" in command ? command.txid : undefined,
      message,
    };
    this.violationCount++;
    if (this.violations.length < this.violationsKeptMax) this.violations.push(violation);
    const fields = { ...violation, txid: violation.txid ?? null };
    this.env.log.error("dqlite: fsm: apply failed", fields);
    this.env.trace("dqlite.fsm-violation", fields);
    return new FsmApplyError(violation, cause);
  }
}

function batchOf(frames: FramesPayload): FrameBatch {
  const { pageSize, pageNumbers, pageData, truncate, isCommit } = frames;
  return { pageSize, pageNumbers, pageData, truncate, isCommit };
}
