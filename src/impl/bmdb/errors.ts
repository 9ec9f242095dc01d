/**
 * BMDB's errors (seed 003): the sentinel errors of the Go package as classes, so
 * callers test them with `instanceof` as Go code uses errors.Is.
 */
export class BmdbError extends Error {
  override readonly name: string = "BmdbError";
}

/**
 * The session expired or was canceled. Once a Session returns it, it must be
 * re-created (Connection.startSession): no other call on it will succeed.
 */
export class ErrSessionExpired extends BmdbError {
  override readonly name = "ErrSessionExpired";
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} expired`);
  }
}

/** Another session's work on the same machine and process is in progress (the unique violation of StartWork). */
export class ErrWorkConflict extends BmdbError {
  override readonly name = "ErrWorkConflict";
  constructor(
    readonly machineId: string,
    readonly process: string,
  ) {
    super(`conflicting work on machine ${machineId} (${process})`);
  }
}

/** The retrieval function found no machine eligible for the work. */
export class ErrNothingToDo extends BmdbError {
  override readonly name = "ErrNothingToDo";
  constructor(readonly process: string) {
    super(`nothing to do for ${process}`);
  }
}

/** Finish or Fail called on work already finished, failed or canceled. */
export class ErrWorkAlreadyDone extends BmdbError {
  override readonly name = "ErrWorkAlreadyDone";
  constructor(
    readonly machineId: string,
    readonly process: string,
  ) {
    super(`work ${process} on machine ${machineId} already finished`);
  }
}

/**
 * A transaction failed with an error that is not retryable (its outcome may be
 * unknown, or the database refused it), or it was retried TRANSACT_ATTEMPTS_MAX
 * times. `cause` is the last error.
 */
export class ErrTransactionFailed extends BmdbError {
  override readonly name = "ErrTransactionFailed";
  constructor(
    message: string,
    readonly attempts: number,
    readonly outcomeUnknown: boolean,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}
