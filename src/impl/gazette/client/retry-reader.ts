/**
 * RetryReader (retry_reader.go): a Reader that restarts its Read RPC as needed.
 *
 * `read` surfaces only:
 * - cancellation (`cancel()`, or the parent signal): ErrCancelled;
 * - ErrOffsetNotYetAvailable of a non-blocking request;
 * - ErrOffsetJump (inspect `offset()`; reading again continues);
 * - end of stream (null) once `endOffset` is read through;
 * - ErrJournalNotFound when the request carries a Header, or after 4 attempts
 *   (Etcd propagation delays of a just-created journal are allowed for);
 * and retries every other error after Gazette's backoff (backoff.ts) on the
 * host's clock, continuing from the current offset with the previous response's
 * route. A clean end of stream resets the attempt count (it is normal when
 * brokers change assignments). One bound is added to Gazette's loop:
 * `attemptsMax` consecutive attempts without progress end in
 * ErrRetriesExhausted (default 100, about eight minutes of backoff).
 *
 * Seams for test fixtures: `RetryReaderOptions.createReader` builds each Reader,
 * and a subclass may override `restartRequest`.
 */
import type { Clock } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { ErrCancelled, type RoutedJournalClient } from "../protocol/journal-client.ts";
import { validateReadRequest, type ReadRequest } from "../protocol/messages.ts";
import { withContext } from "../protocol/validation.ts";
import { backoff, sleepOrAbort } from "./backoff.ts";
import type { BufferedReader } from "./buffered-reader.ts";
import {
  ErrJournalNotFound,
  ErrOffsetJump,
  ErrOffsetNotYetAvailable,
  ErrRetriesExhausted,
  ErrSeekEndUnsupported,
} from "./errors.ts";
import type { FragmentTransports } from "./fragment-transport.ts";
import { READ_BYTES_DEFAULT, Reader, type ReaderOptions, type Whence } from "./reader.ts";
import { anySignal } from "../../common/any-signal.ts";

export const RETRY_READER_ATTEMPTS_MAX_DEFAULT = 100;

/** Builds a Reader (the real one, or a test fixture's). */
export type ReaderFactory = (client: RoutedJournalClient, request: ReadRequest, options: ReaderOptions) => Reader;

/** The real Reader. */
export const DEFAULT_READER_FACTORY: ReaderFactory = (client, request, options) => new Reader(client, request, options);

export interface RetryReaderOptions {
  /** Parent signal: aborting it cancels the reader for good. */
  signal?: AbortSignal;
  transports?: FragmentTransports;
  attemptsMax?: number;
  /** Observes each retry (for logs and tests): the error and the backoff about to be slept. */
  onRetry?: (error: unknown, attempt: number, backoffMs: number) => void;
  /** Builds each Reader (a seam for test fixtures); default DEFAULT_READER_FACTORY. */
  createReader?: ReaderFactory;
}

export class RetryReader {
  /** The current underlying Reader (replaced as RPCs finish or fail and restart). */
  reader!: Reader;
  private controller!: AbortController;
  /** Aborts when the parent signal or `cancel` does. */
  private signal!: AbortSignal;
  private readonly attemptsMax: number;

  constructor(
    private readonly clock: Clock,
    readonly client: RoutedJournalClient,
    request: ReadRequest,
    private readonly options: RetryReaderOptions = {},
  ) {
    this.attemptsMax = options.attemptsMax ?? RETRY_READER_ATTEMPTS_MAX_DEFAULT;
    assert(this.attemptsMax > 0, "RetryReader attemptsMax must be positive");
    this.restart(request);
  }

  /** Journal being read. */
  journal(): string {
    return this.reader.request.journal;
  }

  /** Offset of the next journal byte `read` returns. */
  offset(): number {
    return this.reader.request.offset;
  }

  /** The next bytes (see the file comment for what it throws). */
  async read(maxBytes = READ_BYTES_DEFAULT): Promise<Uint8Array | null> {
    let lastError: unknown;
    for (let attempt = 0, tries = 0; tries < this.attemptsMax; attempt++, tries++) {
      let error: unknown;
      try {
        const chunk = await this.reader.read(maxBytes);
        if (chunk !== null) return chunk;
        const request = this.reader.request;
        if (request.endOffset !== 0 && request.offset >= request.endOffset) return null; // Read through EndOffset.
        error = null; // Clean end of stream: restart.
      } catch (caught) {
        if (caught instanceof ErrOffsetJump) throw caught; // The Reader stays valid.
        error = caught;
      }
      lastError = error;
      // Restart the Reader, carrying forward the request (at its current offset) and the last response (its route).
      await this.reader.close();
      this.reader = this.newReader(this.restartRequest(this.reader), this.reader.response);
      if (error instanceof ErrCancelled || this.signal.aborted) throw error ?? new ErrCancelled(this.signal.reason);
      if (error instanceof ErrOffsetNotYetAvailable && !this.reader.request.block) throw error;
      if (error instanceof ErrJournalNotFound && (this.reader.request.header !== undefined || attempt > 3)) throw error;
      // A clean end of stream is normal when assignments change: start the backoff over.
      if (error === null) attempt = 0;
      const delayMs = backoff(attempt);
      this.options.onRetry?.(error, attempt, delayMs);
      await sleepOrAbort(this.clock, delayMs, this.signal);
    }
    throw new ErrRetriesExhausted(
      `read of ${this.journal()} at ${this.offset()}`,
      this.attemptsMax,
      lastError ?? new Error("end of stream"),
    );
  }

  /**
   * Seek sets the offset of the next read. It delegates to the current Reader where
   * it can, and otherwise restarts the RPC at `offset`. Only "end" fails.
   */
  async seek(offset: number, whence: Whence = "start"): Promise<number> {
    if (whence === "end") throw new ErrSeekEndUnsupported();
    const target = whence === "current" ? this.reader.request.offset + offset : offset;
    try {
      await this.reader.seek(target, "start");
    } catch {
      const request = { ...this.reader.request, offset: target };
      this.cancel();
      this.restart(request);
    }
    return this.reader.request.offset;
  }

  /** The current Reader's offset, adjusted for what `buffered` holds. */
  adjustedOffset(buffered: BufferedReader): number {
    return this.reader.adjustedOffset(buffered);
  }

  /**
   * AdjustedSeek: seeks, accounting for `buffered` (which wraps this RetryReader):
   * a short forward seek is done by discarding buffered bytes, else the buffer is
   * reset and the underlying reader seeks.
   */
  async adjustedSeek(offset: number, whence: Whence, buffered: BufferedReader): Promise<number> {
    if (whence === "end") throw new ErrSeekEndUnsupported();
    const target = whence === "current" ? this.adjustedOffset(buffered) + offset : offset;
    const delta = target - this.adjustedOffset(buffered);
    if (delta >= 0 && delta <= buffered.buffered()) {
      buffered.discard(delta);
      return target;
    }
    const result = await this.seek(target, "start");
    buffered.reset(this);
    return result;
  }

  /** Restart with a new request (after `cancel`, or the previous Reader leaks its RPC). */
  restart(request: ReadRequest): void {
    withContext("ReadRequest", () => validateReadRequest(request));
    const parent = this.options.signal;
    this.controller = new AbortController();
    this.signal = parent === undefined ? this.controller.signal : anySignal([parent, this.controller.signal]);
    this.reader = this.newReader(request, undefined);
  }

  /** Cancels the current Reader: an ongoing and every later read throws ErrCancelled until `restart`. */
  cancel(): void {
    this.controller.abort(new ErrCancelled());
    void this.reader.close();
  }

  /**
   * Seam: the request a restarted Reader carries on with, from the Reader it replaces (its request, at its current
   * offset).
   */
  protected restartRequest(previous: Reader): ReadRequest {
    return previous.request;
  }

  private newReader(request: ReadRequest, previousResponse: Reader["response"] | undefined): Reader {
    const createReader = this.options.createReader ?? DEFAULT_READER_FACTORY;
    return createReader(this.client, request, {
      signal: this.signal,
      ...(this.options.transports === undefined ? {} : { transports: this.options.transports }),
      ...(previousResponse === undefined ? {} : { previousResponse }),
    });
  }
}
