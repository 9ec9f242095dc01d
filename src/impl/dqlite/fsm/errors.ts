/**
 * Typed errors and violations of the dqlite FSM. Expected conditions are classes the
 * callers test with `instanceof`; what go-dqlite's FSM answers with a panic
 * (`tracer.Panic`) is an `FsmInvariantViolation`, recorded and returned as a value,
 * so that a run reports it instead of dying.
 */
import { ErrSnapshotRefused } from "../../raft/node/fsm.ts";
import type { Command, TxnId } from "../types.ts";

/** Bytes that do not encode a valid `Command` (go-dqlite: "corrupted command data"). */
export class ErrCommandMalformed extends Error {
  override readonly name = "ErrCommandMalformed";
}

/** Bytes that do not encode a valid FSM snapshot: restore refuses them before touching any state. */
export class ErrSnapshotMalformed extends Error {
  override readonly name = "ErrSnapshotMalformed";
}

/**
 * `snapshot()` refused because a transaction is registered (go-dqlite: "transaction
 * %s is in progress"). An `ErrSnapshotRefused`: the Raft node tries again later.
 */
export class ErrTransactionInProgress extends ErrSnapshotRefused {
  override readonly name: string = "ErrTransactionInProgress";
  constructor(
    readonly txid: TxnId,
    readonly filename: string,
  ) {
    super(`transaction ${txid} on ${filename} is in progress`);
  }
}

/**
 * A snapshot refused because the leader's SQLite is using a database now (a
 * statement or an interactive transaction): its files may be mid-write (frames
 * rewritten in place whose checksums SQLite rewrites after the commit).
 */
export class ErrDatabaseBusy extends ErrSnapshotRefused {
  override readonly name: string = "ErrDatabaseBusy";
  constructor(readonly filename: string) {
    super(`the leader's SQLite is using ${filename}`);
  }
}

/** The kind of the command being applied, or "malformed" when it did not decode. */
export type AppliedCommandKind = Command["kind"] | "malformed";

/**
 * A state the seed declares impossible (it panics there) or an apply that could not
 * complete (a disk failure: this node's copy has diverged from the others').
 */
export interface FsmInvariantViolation {
  /** Raft index and term of the entry being applied. */
  readonly index: number;
  readonly term: number;
  readonly command: AppliedCommandKind;
  /** The command's transaction, when it has one. */
  readonly txid: TxnId | undefined;
  readonly message: string;
}

/**
 * What `DqliteFsm.apply` resolves to when an entry could not be applied: the
 * violation recorded, and the underlying error (a DiskError, an ErrCommandMalformed)
 * if there was one. The FSM index does not move past a failed entry.
 */
export class FsmApplyError extends Error {
  override readonly name = "FsmApplyError";
  constructor(
    readonly violation: FsmInvariantViolation,
    override readonly cause?: unknown,
  ) {
    super(`${violation.command} at index ${violation.index}: ${violation.message}`);
  }
}
