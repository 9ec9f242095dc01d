/**
 * BackedPipe: a reliable, bidirectional byte stream over connections that break
 * (Coder's backedpipe BackedPipe, in TypeScript idiom). It pairs a BackedReader and
 * a BackedWriter and, when either reports a failure of the current connection,
 * obtains a new one from the caller's reconnector and resumes both directions:
 * the writer replays what the peer has not read, the peer does the same for us.
 * Both ends of a stream are BackedPipes (one dials, the other accepts).
 *
 * Generations: every reconnection attempt increments the pipe's generation, and the
 * reader and writer tag each error with the generation of the connection that
 * failed. Errors of older generations are stale (their connection was already
 * replaced): they are counted, probed and ignored, never a cause to reconnect. Of
 * the current generation, only the first error triggers a reconnection.
 *
 * Limits: a reconnection runs at most `maximumReconnectAttempts` attempts, waiting
 * `reconnectBackoffMs(failedAttempts)` between them through the caller's `sleep`
 * (the pipe never reads time). If every attempt fails, the pipe stays disconnected
 * until `forceReconnect()` (or `connect()`); `onReconnectFailed` says so. A failure
 * that no retry can fix (the peer asks for bytes evicted from the buffer, or for a
 * future sequence number) ends the reconnection at once.
 *
 * Buggify point "backedpipe.reconnect-racing-write": a write on a connected pipe
 * starts a reconnection right behind it, as `forceReconnect()` called after
 * `write()` does (a reconnection of the pipe's own, reported like one after a failure).
 */
import { assert, assertCount } from "../../sim/assert.ts";
import { BackedReader } from "./backed-reader.ts";
import { BackedWriter } from "./backed-writer.ts";
import type { BackedWriterOptions } from "./backed-writer.ts";
import type { PipeConnection } from "./connection.ts";
import {
  BackedPipeError,
  ErrFutureSequence,
  ErrPipeAlreadyConnected,
  ErrPipeClosed,
  ErrReconnectFailed,
  ErrReconnectionInProgress,
  ErrReconnectWriterFailed,
  ErrReplayDataUnavailable,
  ErrWriterClosed,
} from "./errors.ts";
import type { Buggify, ErrorEvent, ErrorEventHandler, Probe } from "./errors.ts";

/** Coder's DefaultBufferSize: the writer's ring buffer capacity unless told otherwise (64 MiB). */
export const defaultBufferCapacityBytes = 64 * 1024 * 1024;

/** Attempts per reconnection unless told otherwise. */
export const defaultMaximumReconnectAttempts = 10;

/** What a reconnector returns: the new connection, and where our writer resumes. */
export interface ReconnectResult {
  readonly connection: PipeConnection;
  /** The peer reader's sequence number: how many of our bytes it has read. Our writer replays from there. */
  readonly peerReaderSequenceNumber: number;
}

/**
 * Establishes a new connection to the peer: dial (or accept), send
 * `readerSequenceNumber` (how many of the peer's bytes we have read, so the peer
 * replays from there), receive the peer's reader sequence number, and return both.
 * Should give up when `signal` aborts (the pipe was closed). A throw fails the attempt.
 */
export type Reconnector = (readerSequenceNumber: number, signal: AbortSignal) => Promise<ReconnectResult>;

export interface BackedPipeOptions {
  readonly reconnector: Reconnector;
  /** The writer's ring buffer capacity: the most unread bytes a reconnection can replay. Default 64 MiB. */
  readonly bufferCapacityBytes?: number;
  /** Attempts per reconnection (>= 1). Default 10. */
  readonly maximumReconnectAttempts?: number;
  /** Milliseconds to wait after `failedAttempts` failed attempts, before the next. Needs `sleep`. Default: no wait. */
  readonly reconnectBackoffMs?: (failedAttempts: number) => number;
  /** Waits `durationMs` (in the simulator, `env.clock.sleep`). Required when `reconnectBackoffMs` is given. */
  readonly sleep?: (durationMs: number) => Promise<void>;
  /** Marks rare paths (`env.probe`). */
  readonly probe?: Probe;
  /** Buggify points (`env.buggify`), the writer's too; none by default. */
  readonly buggify?: Buggify;
  /** Called when the pipe goes from connected to disconnected, before it reconnects. Must not throw. */
  readonly onDisconnected?: () => void;
  /** Called for each stale-generation error the pipe ignored. Must not throw. */
  readonly onStaleGenerationError?: (event: ErrorEvent) => void;
  /** Called when an automatic reconnection gave up; the pipe stays disconnected. Must not throw. */
  readonly onReconnectFailed?: (error: BackedPipeError) => void;
  /** Builds the reader (a seam for instrumentation); default `new BackedReader(onError)`. */
  readonly createReader?: (onError: ErrorEventHandler) => BackedReader;
  /** Builds the writer (a seam for instrumentation); default `new BackedWriter(...)`. */
  readonly createWriter?: (capacity: number, onError: ErrorEventHandler, options: BackedWriterOptions) => BackedWriter;
}

/** Where the pipe is in its life. "closed" is final. */
export type BackedPipeState = "disconnected" | "reconnecting" | "connected" | "closed";

export class BackedPipe {
  readonly #reader: BackedReader;
  readonly #writer: BackedWriter;
  readonly #options: BackedPipeOptions;
  readonly #maximumReconnectAttempts: number;
  readonly #abort = new AbortController();
  #state: BackedPipeState = "disconnected";
  #connection: PipeConnection | null = null;
  #generation = 0;
  #lastErrorGeneration = 0;
  #staleGenerationErrorsIgnored = 0;

  /** Creates a disconnected pipe; `connect()` makes the first connection. */
  constructor(options: BackedPipeOptions) {
    assert(typeof options.reconnector === "function", "a BackedPipe needs a reconnector");
    const capacity = options.bufferCapacityBytes ?? defaultBufferCapacityBytes;
    this.#maximumReconnectAttempts = options.maximumReconnectAttempts ?? defaultMaximumReconnectAttempts;
    assert(Number.isSafeInteger(this.#maximumReconnectAttempts), "maximumReconnectAttempts must be an integer");
    assert(this.#maximumReconnectAttempts >= 1, "maximumReconnectAttempts must be >= 1");
    assert(options.reconnectBackoffMs === undefined || options.sleep !== undefined, "reconnectBackoffMs needs sleep");
    this.#options = options;
    const onError = (event: ErrorEvent): void => this.#handleErrorEvent(event);
    this.#reader = options.createReader?.(onError) ?? new BackedReader(onError);
    const writerOptions: BackedWriterOptions = {
      ...(options.probe === undefined ? {} : { probe: options.probe }),
      ...(options.buggify === undefined ? {} : { buggify: options.buggify }),
    };
    this.#writer =
      options.createWriter?.(capacity, onError, writerOptions) ?? new BackedWriter(capacity, onError, writerOptions);
  }

  /**
   * Makes the first connection (or reconnects a pipe left disconnected). Rejects
   * with ErrPipeClosed, ErrPipeAlreadyConnected, ErrReconnectionInProgress, or the
   * last attempt's error (ErrReconnectFailed, ErrReconnectWriterFailed).
   */
  connect(): Promise<void> {
    if (this.#state === "closed") return Promise.reject(new ErrPipeClosed());
    if (this.#state === "connected") return Promise.reject(new ErrPipeAlreadyConnected());
    if (this.#state === "reconnecting") return Promise.reject(new ErrReconnectionInProgress());
    return this.#reconnect();
  }

  /**
   * Replaces the connection now, even a healthy one. Rejects with ErrPipeClosed,
   * ErrReconnectionInProgress (one is running), or the last attempt's error.
   */
  forceReconnect(): Promise<void> {
    if (this.#state === "closed") return Promise.reject(new ErrPipeClosed());
    if (this.#state === "reconnecting") return Promise.reject(new ErrReconnectionInProgress());
    return this.#reconnect();
  }

  /** The next bytes from the peer, in order; waits while disconnected; `null` once closed. */
  read(): Promise<Uint8Array | null> {
    if (this.#state === "closed") return Promise.resolve(null);
    return this.#reader.read();
  }

  /** Sends `data`; resolves once accepted (see BackedWriter.write); rejects with ErrPipeClosed once closed. */
  write(data: Uint8Array): Promise<void> {
    if (this.#state === "closed") return Promise.reject(new ErrPipeClosed());
    const written = this.#writer.write(data).catch((error: unknown) => {
      throw error instanceof ErrWriterClosed ? new ErrPipeClosed() : error;
    });
    if (
      this.#state === "connected" &&
      this.#options.buggify?.("backedpipe.reconnect-racing-write", { afterHeal: true }) === true
    )
      this.#reconnectInBackground();
    return written;
  }

  /** Closes the connection, the reader and the writer, and aborts a running reconnection. Idempotent. */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#abort.abort(new ErrPipeClosed());
    this.#closeConnection();
    this.#reader.close();
    this.#writer.close();
  }

  /** True while connected and both halves hold the connection. */
  connected(): boolean {
    return this.#state === "connected" && this.#reader.connected() && this.#writer.connected();
  }

  state(): BackedPipeState {
    return this.#state;
  }

  /** The generation: the number of reconnection attempts so far. */
  generation(): number {
    return this.#generation;
  }

  /** The total count of bytes read from the peer (what the peer may stop keeping). */
  readerSequenceNum(): number {
    return this.#reader.sequenceNum();
  }

  /** The total count of bytes written. */
  writerSequenceNum(): number {
    return this.#writer.sequenceNum();
  }

  /** How many stale-generation errors were ignored. */
  staleGenerationErrorsIgnored(): number {
    return this.#staleGenerationErrorsIgnored;
  }

  /** A reconnection nobody awaits (as after a failure): if it gives up, `onReconnectFailed` says so. */
  #reconnectInBackground(): void {
    this.#reconnect().catch((error: unknown) => {
      if (!(error instanceof BackedPipeError)) throw error;
      if (this.#state !== "closed") this.#options.onReconnectFailed?.(error);
    });
  }

  /** The reconnection, with bounded attempts. Sets the state to "reconnecting" synchronously. */
  async #reconnect(): Promise<void> {
    this.#state = "reconnecting";
    let lastError: BackedPipeError = new ErrReconnectFailed("no attempt made");
    for (let attempt = 1; attempt <= this.#maximumReconnectAttempts; attempt++) {
      if (attempt > 1) await this.#backoff(attempt - 1);
      if (this.#isClosed()) throw new ErrPipeClosed();
      try {
        await this.#attempt();
        return;
      } catch (error) {
        if (this.#isClosed()) throw new ErrPipeClosed();
        if (!(error instanceof BackedPipeError)) throw error;
        lastError = error;
        if (isPermanent(error)) break;
      }
    }
    this.#state = "disconnected";
    throw lastError;
  }

  /** One attempt: close the old connection, new generation, ask the reconnector, resume both halves. */
  async #attempt(): Promise<void> {
    this.#closeConnection();
    this.#generation += 1;
    this.#reader.setGeneration(this.#generation);
    this.#writer.setGeneration(this.#generation);
    // Assigned inside the provider below (a closure, so spelled with `as` to keep TypeScript from narrowing).
    let failure = null as BackedPipeError | null;
    let obtained = null as PipeConnection | null;
    const installed = await this.#reader.reconnect(async (readerSequenceNumber) => {
      let result: ReconnectResult;
      try {
        result = await this.#options.reconnector(readerSequenceNumber, this.#abort.signal);
      } catch (error) {
        failure = new ErrReconnectFailed("reconnector failed", error);
        return null;
      }
      obtained = result.connection;
      assertCount(result.peerReaderSequenceNumber, "peerReaderSequenceNumber");
      if (this.#isClosed()) return null;
      try {
        await this.#writer.reconnect(result.peerReaderSequenceNumber, result.connection);
      } catch (error) {
        if (!(error instanceof BackedPipeError)) throw error;
        failure = new ErrReconnectWriterFailed(error);
        return null;
      }
      return result.connection;
    });
    const connection = obtained;
    if (!installed) {
      // The seed's pipe leaked a connection its writer refused; this one closes it.
      connection?.close();
      throw failure ?? new ErrReconnectFailed("reader closed during reconnection");
    }
    this.#connection = connection;
    // An error of this generation that came while reconnecting was ignored; see whether one did.
    if (!this.#reader.connected() || !this.#writer.connected()) {
      throw new ErrReconnectFailed("the new connection failed during reconnection");
    }
    this.#state = "connected";
  }

  async #backoff(failedAttempts: number): Promise<void> {
    const delayMs = this.#options.reconnectBackoffMs?.(failedAttempts) ?? 0;
    assert(Number.isFinite(delayMs) && delayMs >= 0, `reconnect backoff must be a finite delay >= 0, got ${delayMs}`);
    const sleep = this.#options.sleep;
    if (delayMs > 0 && sleep !== undefined) await sleep(delayMs);
  }

  /** A method, not a field test, because the state changes across awaits (TypeScript would narrow a field). */
  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #closeConnection(): void {
    const connection = this.#connection;
    this.#connection = null;
    connection?.close();
  }

  /** Filters errors by generation; the first error of the current generation starts a reconnection. */
  #handleErrorEvent(event: ErrorEvent): void {
    if (this.#state === "closed") return;
    assert(event.generation <= this.#generation, `error of generation ${event.generation} from the future`);
    if (event.generation < this.#generation) {
      this.#staleGenerationErrorsIgnored += 1;
      this.#options.probe?.("backedpipe.stale-generation-error-ignored");
      this.#options.onStaleGenerationError?.(event);
      return;
    }
    // While reconnecting, the attempt checks both halves when it ends; when disconnected, nobody listens.
    if (this.#state !== "connected") return;
    if (this.#lastErrorGeneration >= event.generation) return;
    this.#lastErrorGeneration = event.generation;
    this.#state = "disconnected";
    this.#options.onDisconnected?.();
    this.#reconnectInBackground();
  }
}

/** A writer refusal that no retry can fix: the peer wants bytes we no longer have, or never had. */
function isPermanent(error: BackedPipeError): boolean {
  if (!(error instanceof ErrReconnectWriterFailed)) return false;
  return error.cause instanceof ErrReplayDataUnavailable || error.cause instanceof ErrFutureSequence;
}
