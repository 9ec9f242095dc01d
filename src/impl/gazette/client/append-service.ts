/**
 * AppendService and AsyncAppend (append_service.go): batched, ordered,
 * dependency-aware asynchronous appends with retries.
 *
 * Per journal the service keeps a FIFO chain of AsyncAppends, served by one
 * loop. `startAppend(request, dependencies)` takes the journal's lock and
 * returns the chain's last AsyncAppend if it is compatible (identical request,
 * dependencies a subset of its own, content under the batch cutoff), else chains
 * a new one: so small appends batch, order within a journal is kept, and an
 * append never joins a batch that would start before its dependencies. The
 * caller writes to `writer()`, may `require(error)`, and must `release()`: with
 * an error, its writes are rolled back and release rejects; otherwise the
 * content up to this point is committed to the batch.
 *
 * The loop waits for each AsyncAppend's dependencies; a failed dependency fails
 * it and, permanently, every later append of its journal (the error is kept, so
 * `pendingExcept` hands it to new dependants too). Then it appends the batch,
 * retrying failures after Gazette's backoff (backoff.ts), except statuses that
 * cannot succeed by retrying: FRAGMENT_STORE_UNHEALTHY, INDEX_HAS_GREATER_OFFSET,
 * NOT_ALLOWED, JOURNAL_NOT_FOUND, WRONG_APPEND_OFFSET (and a request the
 * binding cannot carry or that is malformed). Such a failure, cancellation of the
 * service's signal, or exhausting `attemptsMax` (a bound Gazette does not have)
 * is terminal for the journal, as a failed dependency is.
 *
 * Buffers: see append-buffer.ts (memory, spilled to env.disk past a threshold).
 * The batch cutoff defaults to 1 MiB (Gazette: 64 MiB) to stay well within what
 * the env.rpc binding carries in one call.
 *
 * Seams for test fixtures: a subclass of AppendService overrides its protected
 * decisions (`compatible`, `serve`, `awaitDependencies`, `carriedError`,
 * `retriable`, `retryDelayMs`, `createAsyncAppend`), one of AsyncAppend its
 * `releaseError`; `AppendServiceOptions.createAppender` builds the Appenders.
 */
import type { Env } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { AsyncLock } from "../../common/async-lock.ts";
import { ErrAppendTooLarge } from "../protocol/rpc-binding.ts";
import { ErrCancelled, type RoutedJournalClient } from "../protocol/journal-client.ts";
import { labelSetsEqual, type LabelSelector, type LabelSet } from "../protocol/labels.ts";
import type { AppendRequest, AppendResponse } from "../protocol/messages.ts";
import type { Status } from "../protocol/status.ts";
import { ValidationError } from "../protocol/validation.ts";
import { AppendBuffer } from "./append-buffer.ts";
import { DEFAULT_APPENDER_FACTORY, type AppenderFactory } from "./appender.ts";
import { backoff, sleepOrAbort } from "./backoff.ts";
import { ErrDependencyFailed, ErrQueueFull, ErrRetriesExhausted, StatusError } from "./errors.ts";
import { AsyncOperation, OpFutures, finishedOperation, type OpFuture } from "./op-future.ts";

/** Statuses the AppendService does not retry. */
export const APPEND_SERVICE_NON_RETRIED_STATUSES: ReadonlySet<Status> = new Set<Status>([
  "FRAGMENT_STORE_UNHEALTHY",
  "INDEX_HAS_GREATER_OFFSET",
  "NOT_ALLOWED",
  "JOURNAL_NOT_FOUND",
  "WRONG_APPEND_OFFSET",
]);

export interface AppendServiceOptions {
  /** Aborting it cancels every pending and later append. */
  signal?: AbortSignal;
  /** Directory of spill files on env.disk. */
  spillDirectory?: string;
  /** Content above this many bytes per AsyncAppend is spilled to disk (default 256 KiB). */
  spillThresholdBytes?: number;
  /** A batch stops taking new appends once its content exceeds this (default 1 MiB). */
  batchCutoffBytes?: number;
  /** Append attempts per batch at most (default 100). */
  attemptsMax?: number;
  /** Unfinished AsyncAppends per journal at most (default 1024); beyond, startAppend rejects with ErrQueueFull. */
  queuedAppendsPerJournalMax?: number;
  /** Callers waiting for a journal's lock at most (default 1024). */
  lockWaitersMax?: number;
  /** Observes append attempts (logs, tests): each start, and each outcome ("ok", or "failed" with its error). */
  onAttempt?: (event: AppendAttemptEvent) => void;
  /** Builds each attempt's Appender (a seam for test fixtures); default DEFAULT_APPENDER_FACTORY. */
  createAppender?: AppenderFactory;
}

export interface AppendAttemptEvent {
  journal: string;
  attempt: number;
  phase: "start" | "ok" | "failed";
  error?: unknown;
}

/** Writes to an AsyncAppend's buffer. Errors are kept, not thrown: Release reports them. */
export interface AppendWriter {
  write(data: Uint8Array | string): Promise<void>;
}

const encoder = new TextEncoder();

/** An asynchronous append started and managed by an AppendService. */
export class AsyncAppend implements OpFuture {
  readonly op = new AsyncOperation();
  dependencies: OpFutures;
  buffer: AppendBuffer | undefined;
  checkpoint = 0;
  next: AsyncAppend | undefined;
  appendResponse: AppendResponse | undefined;
  /** The lock over the journal's chain, held by the caller between startAppend and release. */
  unlock: (() => void) | undefined;
  private requiredError: unknown = undefined;

  constructor(
    readonly appendRequest: AppendRequest,
    dependencies: OpFutures,
    readonly lock: AsyncLock,
  ) {
    this.dependencies = dependencies;
  }

  /** Where content goes; valid until `release`. */
  writer(): AppendWriter {
    const buffer = this.buffer;
    assert(buffer !== undefined && this.unlock !== undefined, "AsyncAppend.writer outside startAppend/release");
    return { write: (data) => buffer.write(typeof data === "string" ? encoder.encode(data) : data) };
  }

  /** Require that `error` is undefined; otherwise release will roll back and reject with it. */
  require(error: unknown): this {
    if (error !== undefined && error !== null && this.requiredError === undefined) this.requiredError = error;
    return this;
  }

  /**
   * Release: lets the content written since startAppend commit with the batch, or,
   * if a require failed or a write failed, rolls it back and rejects with that error.
   */
  async release(): Promise<void> {
    const unlock = this.unlock;
    const buffer = this.buffer;
    assert(unlock !== undefined && buffer !== undefined, "AsyncAppend.release without startAppend");
    await buffer.flush();
    const error = this.releaseError(buffer);
    this.requiredError = undefined;
    this.unlock = undefined;
    if (error !== undefined) {
      buffer.rollback();
      unlock();
      throw error;
    }
    buffer.writerError = undefined;
    buffer.markCheckpoint();
    this.checkpoint = buffer.checkpoint;
    unlock();
  }

  /**
   * Seam: the error release rolls the content back for (a failed require, else a failed write), or undefined to commit
   * it.
   */
  protected releaseError(buffer: AppendBuffer): unknown {
    return this.requiredError ?? buffer.writerError;
  }

  /** The AppendRequest this append makes. */
  request(): AppendRequest {
    return this.appendRequest;
  }

  /** The broker's response (of the whole batch), once done and successful. */
  response(): AppendResponse | undefined {
    return this.appendResponse;
  }

  done(): Promise<void> {
    return this.op.done();
  }

  err(): Promise<unknown> {
    return this.op.err();
  }

  isDone(): boolean {
    return this.op.isDone();
  }
}

function selectorsEqual(a: LabelSelector | undefined, b: LabelSelector | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return labelSetsEqual(a.include, b.include) && labelSetsEqual(a.exclude, b.exclude);
}

function setsEqual(a: LabelSet | undefined, b: LabelSet | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return labelSetsEqual(a, b);
}

/** AppendRequest.Equal (headers are not compared: clients never set one). */
export function appendRequestsEqual(a: AppendRequest, b: AppendRequest): boolean {
  return (
    a.journal === b.journal &&
    a.doNotProxy === b.doNotProxy &&
    a.offset === b.offset &&
    selectorsEqual(a.checkRegisters, b.checkRegisters) &&
    setsEqual(a.unionRegisters, b.unionRegisters) &&
    setsEqual(a.subtractRegisters, b.subtractRegisters)
  );
}

export class AppendService {
  /** The most recent AsyncAppend of each journal with appends in flight. */
  private readonly appends = new Map<string, AsyncAppend>();
  /** Terminal errors of journals. */
  private readonly errs = new Map<string, unknown>();
  /** Unfinished AsyncAppends per journal. */
  private readonly queued = new Map<string, number>();
  private readonly options: Required<Omit<AppendServiceOptions, "signal" | "createAppender" | "onAttempt">>;
  private buffersCreated = 0;

  constructor(
    private readonly env: Env,
    readonly client: RoutedJournalClient,
    private readonly serviceOptions: AppendServiceOptions = {},
  ) {
    this.options = {
      spillDirectory: serviceOptions.spillDirectory ?? "/gazette-append-buffers",
      spillThresholdBytes: serviceOptions.spillThresholdBytes ?? 256 * 1024,
      batchCutoffBytes: serviceOptions.batchCutoffBytes ?? 1024 * 1024,
      attemptsMax: serviceOptions.attemptsMax ?? 100,
      queuedAppendsPerJournalMax: serviceOptions.queuedAppendsPerJournalMax ?? 1024,
      lockWaitersMax: serviceOptions.lockWaitersMax ?? 1024,
    };
    assert(this.options.attemptsMax > 0, "AppendService attemptsMax must be positive");
  }

  /**
   * StartAppend: the AsyncAppend the caller's content goes into, with the
   * journal's lock held until its `release` (see the file comment).
   */
  async startAppend(request: AppendRequest, dependencies: OpFutures = new OpFutures()): Promise<AsyncAppend> {
    const journal = request.journal;
    for (let restarts = 0; ; restarts++) {
      assert(restarts < 1_000_000, "AppendService.startAppend: chain restarts unbounded");
      let aa = this.appends.get(journal);
      const created = aa === undefined;
      if (aa === undefined) {
        aa = this.newAsyncAppend(request, dependencies, new AsyncLock(this.options.lockWaitersMax));
        this.appends.set(journal, aa);
      }
      const unlock = await aa.lock.acquire();
      // Start the serve loop after we hold the lock: it serves from the chain's first append and waits for our release.
      if (created) void this.serve(aa, this.errs.get(journal));
      let completed = false;
      while (aa.next !== undefined) {
        aa = aa.next;
        if (aa === aa.next) {
          completed = true; // Served while we waited for the lock: start over.
          break;
        }
      }
      if (completed) {
        unlock();
        continue;
      }
      if (!this.compatible(aa, request, dependencies)) {
        if ((this.queued.get(journal) ?? 0) >= this.options.queuedAppendsPerJournalMax) {
          unlock();
          throw new ErrQueueFull(`appends of ${journal}`, this.options.queuedAppendsPerJournalMax);
        }
        aa = this.chainNewAppend(aa, request, dependencies);
      }
      if (aa.buffer === undefined) {
        // First return of this AsyncAppend by startAppend: a client may now wait on its response.
        aa.buffer = new AppendBuffer({
          disk: this.env.disk,
          directory: this.options.spillDirectory,
          name: `append-${this.env.lifetime.incarnation}-${this.buffersCreated++}`,
          spillThresholdBytes: this.options.spillThresholdBytes,
          crc32: this.env.hash.crc32,
        });
      }
      aa.unlock = unlock;
      return aa;
    }
  }

  /**
   * PendingExcept: the pending AsyncAppends of every journal but `except` ("" for
   * all), plus a finished operation carrying each such journal's terminal error.
   */
  pendingExcept(except: string): OpFutures {
    const out = new OpFutures();
    for (const [journal, error] of this.errs) if (journal !== except) out.add(finishedOperation(error));
    for (const [journal, aa] of this.appends) if (journal !== except) out.add(aa);
    return out;
  }

  /**
   * Seam: whether a request with `dependencies` may join `aa`'s batch (under the cutoff, dependencies covered, same
   * request).
   */
  protected compatible(aa: AsyncAppend, request: AppendRequest, dependencies: OpFutures): boolean {
    if (aa.checkpoint > this.options.batchCutoffBytes) return false;
    if (!dependencies.isSubsetOf(aa.dependencies)) return false;
    return appendRequestsEqual(request, aa.appendRequest);
  }

  /** Seam: builds an AsyncAppend. */
  protected createAsyncAppend(request: AppendRequest, dependencies: OpFutures, lock: AsyncLock): AsyncAppend {
    return new AsyncAppend(request, dependencies, lock);
  }

  private newAsyncAppend(request: AppendRequest, dependencies: OpFutures, lock: AsyncLock): AsyncAppend {
    this.queued.set(request.journal, (this.queued.get(request.journal) ?? 0) + 1);
    return this.createAsyncAppend({ ...request }, dependencies, lock);
  }

  /** Chains and returns a new AsyncAppend after `aa` (whose lock is held). */
  private chainNewAppend(aa: AsyncAppend, request: AppendRequest, dependencies: OpFutures): AsyncAppend {
    assert(aa.next === undefined, "chainNewAppend: aa.next is set");
    const next = this.newAsyncAppend(request, dependencies, aa.lock);
    aa.next = next;
    this.appends.set(request.journal, next);
    return next;
  }

  /**
   * Seam: the journal's serve loop (serveAppends): appends its chain in order
   * until none remain, each batch once its dependencies are settled and the
   * previous batch finished.
   */
  protected async serve(first: AsyncAppend, initialError: unknown): Promise<void> {
    let aa = first;
    let error = initialError;
    let unlock = await aa.lock.acquire();
    for (;;) {
      if (this.chainEnded(aa, error, unlock)) return;
      unlock();
      error = await this.awaitDependencies(aa, error);
      if (error === undefined && aa.buffer !== undefined) error = await this.appendBatch(aa);
      await aa.buffer?.release();
      unlock = await aa.lock.acquire();
      this.finish(aa, error);
      error = this.carriedError(error);
      aa = this.step(aa);
    }
  }

  /**
   * With the chain's lock held: ends the chain at `aa` if nothing is queued after
   * it and it can resolve without blocking (keeping the journal's error, and
   * releasing the lock), else freezes `aa` (new appends go to a new AsyncAppend).
   */
  protected chainEnded(aa: AsyncAppend, error: unknown, unlock: () => void): boolean {
    if (aa.next === undefined && aa.buffer === undefined && aa.dependencies.size === 0) {
      this.appends.delete(aa.appendRequest.journal);
      const terminal = this.carriedError(error);
      if (terminal !== undefined) this.errs.set(aa.appendRequest.journal, terminal);
      aa.next = aa;
      this.finish(aa, error);
      unlock();
      return true;
    }
    if (aa.next === undefined) this.chainNewAppend(aa, aa.appendRequest, new OpFutures());
    return false;
  }

  /** Seam: the error a failed append leaves its journal with, which fails every later append of it (the same error). */
  protected carriedError(error: unknown): unknown {
    return error;
  }

  /** Marks `aa` completed (next = itself), drops what it no longer needs, and returns its successor. */
  protected step(aa: AsyncAppend): AsyncAppend {
    const next = aa.next;
    assert(next !== undefined && next !== aa, "serve: stepping past the end of the chain");
    aa.next = aa;
    aa.dependencies = new OpFutures();
    aa.buffer = undefined;
    return next;
  }

  /** Resolves `aa` with `error` (undefined: success). */
  protected finish(aa: AsyncAppend, error: unknown): void {
    this.queued.set(aa.appendRequest.journal, (this.queued.get(aa.appendRequest.journal) ?? 1) - 1);
    aa.op.resolve(error);
  }

  /** Seam: waits for each dependency; the first failure (or an earlier one) is the journal's error from now on. */
  protected async awaitDependencies(aa: AsyncAppend, error: unknown): Promise<unknown> {
    for (const dependency of aa.dependencies) {
      const signal = this.serviceOptions.signal;
      try {
        await raceSignal(dependency.done(), signal);
      } catch {
        return error ?? new ErrCancelled(signal?.reason);
      }
      const failure = await dependency.err();
      if (error === undefined && failure !== undefined && failure !== null) error = new ErrDependencyFailed(failure);
    }
    return error;
  }

  /** Appends the batch's content with bounded retries; returns undefined on success, else the terminal error. */
  protected async appendBatch(aa: AsyncAppend): Promise<unknown> {
    const buffer = aa.buffer as AppendBuffer;
    const journal = aa.appendRequest.journal;
    const signal = this.serviceOptions.signal;
    const createAppender = this.serviceOptions.createAppender ?? DEFAULT_APPENDER_FACTORY;
    let lastError: unknown;
    for (let attempt = 0; attempt < this.options.attemptsMax; attempt++) {
      if (signal?.aborted) return new ErrCancelled(signal.reason);
      const appender = createAppender(this.client, aa.appendRequest, signal === undefined ? {} : { signal });
      this.serviceOptions.onAttempt?.({ journal, attempt, phase: "start" });
      try {
        for await (const chunk of buffer.content(aa.checkpoint)) await appender.write(chunk);
        aa.appendResponse = await appender.close();
        this.serviceOptions.onAttempt?.({ journal, attempt, phase: "ok" });
        return undefined;
      } catch (error) {
        appender.abort();
        this.serviceOptions.onAttempt?.({ journal, attempt, phase: "failed", error });
        if (error instanceof ErrCancelled || signal?.aborted) return error;
        if (!this.retriable(error)) {
          this.env.probe("gazette.append-service.not-retried");
          return error;
        }
        lastError = error;
        this.env.log.warn("failed to append to journal (will retry)", { journal, attempt, error: String(error) });
      }
      const delayMs = this.retryDelayMs(attempt);
      try {
        await sleepOrAbort(this.env.clock, delayMs, signal);
      } catch (cancelled) {
        return cancelled;
      }
    }
    return new ErrRetriesExhausted(`append to ${journal}`, this.options.attemptsMax, lastError);
  }

  /** Seam: the backoff before retry `attempt` + 1 (Gazette's, backoff.ts). */
  protected retryDelayMs(attempt: number): number {
    return backoff(attempt);
  }

  /**
   * Seam: whether a failed attempt is retried (not the statuses, requests and errors that cannot succeed by retrying).
   */
  protected retriable(error: unknown): boolean {
    if (error instanceof StatusError && APPEND_SERVICE_NON_RETRIED_STATUSES.has(error.status)) return false;
    if (error instanceof ErrAppendTooLarge) return false;
    if (error instanceof ValidationError && error.context[0] === "Request") return false;
    return true;
  }
}

async function raceSignal(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  if (signal.aborted) throw new ErrCancelled(signal.reason);
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(new ErrCancelled(signal.reason));
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
