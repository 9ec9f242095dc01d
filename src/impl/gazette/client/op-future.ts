/**
 * OpFuture, AsyncOperation, FinishedOperation and OpFutures (append_service.go).
 *
 * An OpFuture is an operation running in the background: `done()` resolves when
 * it finished, `err()` then gives its error (undefined on success). OpFutures is
 * a set of them; `isSubsetOf` is how the AppendService decides whether a new
 * append's dependencies are already covered by a queued append it may batch with.
 */

export interface OpFuture {
  /** Resolves (never rejects) when the operation has finished. */
  done(): Promise<void>;
  /** Waits for `done`, then returns the final error, or undefined on success. */
  err(): Promise<unknown>;
  /** True once finished (Go: a select on Done() that does not block). */
  isDone(): boolean;
}

/** A minimal OpFuture, resolved by whoever started the operation. */
export class AsyncOperation implements OpFuture {
  private resolved = false;
  private error: unknown = undefined;
  private readonly donePromise: Promise<void>;
  private resolveDone!: () => void;

  constructor() {
    this.donePromise = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  done(): Promise<void> {
    return this.donePromise;
  }

  async err(): Promise<unknown> {
    await this.donePromise;
    return this.error;
  }

  isDone(): boolean {
    return this.resolved;
  }

  /** The error of a finished operation (undefined while running, or on success). */
  errNow(): unknown {
    return this.error;
  }

  /** Marks the operation finished with `error` (undefined: success). Resolving twice is a programmer error. */
  resolve(error?: unknown): void {
    if (this.resolved) throw new Error("AsyncOperation resolved twice");
    this.resolved = true;
    this.error = error;
    this.resolveDone();
  }
}

/** An already-resolved AsyncOperation. */
export function finishedOperation(error?: unknown): OpFuture {
  const operation = new AsyncOperation();
  operation.resolve(error);
  return operation;
}

/** A set of OpFutures. */
export class OpFutures extends Set<OpFuture> {
  /** True if every future of this set is in `other`. */
  isSubsetOf(other: ReadonlySet<OpFuture>): boolean {
    for (const future of this) if (!other.has(future)) return false;
    return true;
  }
}
