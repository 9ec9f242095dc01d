/**
 * Typed errors of the backedpipe package, named as in Coder's backedpipe
 * (`ErrFutureSequence`, `ErrReplayDataUnavailable`, ...), and the generation-tagged
 * error event that a reader or writer reports to its pipe.
 *
 * Every class extends BackedPipeError and carries a stable `code`, so callers may
 * test either `error instanceof ErrFutureSequence` or `error.code === "future-sequence"`.
 * These are expected conditions, handed back as rejections; programmer errors are
 * assertions (see assert.ts).
 */
import type { BuggifyOptions } from "../../sim/env.ts";

/** Stable codes of the backedpipe errors, one per class. */
export type BackedPipeErrorCode =
  | "writer-closed"
  | "nil-writer"
  | "future-sequence"
  | "replay-data-unavailable"
  | "replay-failed"
  | "partial-replay"
  | "connection-ended"
  | "short-write"
  | "insufficient-buffered-data"
  | "pipe-closed"
  | "pipe-already-connected"
  | "reconnection-in-progress"
  | "reconnect-failed"
  | "reconnect-writer-failed";

/** Base class of every expected backedpipe error. */
export abstract class BackedPipeError extends Error {
  abstract readonly code: BackedPipeErrorCode;
}

/**
 * The writer is closed. Reconnect rejects with it ("cannot reconnect closed writer"), and so
 * does every write after close, including writes that were blocked when close was called
 * (the seed returns os.ErrClosed there; TypeScript has no such error, so the writer's own is used).
 */
export class ErrWriterClosed extends BackedPipeError {
  override readonly name = "ErrWriterClosed";
  readonly code = "writer-closed";
  constructor(readonly operation: "write" | "reconnect") {
    super(operation === "reconnect" ? "cannot reconnect closed writer" : "cannot write to closed writer");
  }
}

/** Reconnect was given no connection ("new writer cannot be nil"). */
export class ErrNilWriter extends BackedPipeError {
  override readonly name = "ErrNilWriter";
  readonly code = "nil-writer";
  constructor() {
    super("new writer cannot be nil");
  }
}

/** The peer asked for a replay from a sequence number the writer has not reached. */
export class ErrFutureSequence extends BackedPipeError {
  override readonly name = "ErrFutureSequence";
  readonly code = "future-sequence";
  constructor(
    readonly replayFromSequence: number,
    readonly sequenceNumber: number,
  ) {
    super(`cannot replay from future sequence ${replayFromSequence} (writer is at ${sequenceNumber})`);
  }
}

/** The bytes to replay were evicted from the ring buffer: the stream cannot resume without loss. */
export class ErrReplayDataUnavailable extends BackedPipeError {
  override readonly name = "ErrReplayDataUnavailable";
  readonly code = "replay-data-unavailable";
  constructor(
    readonly replayFromSequence: number,
    readonly replayLengthBytes: number,
    readonly bufferedBytes: number,
  ) {
    super(
      `failed to read replay data: replay from ${replayFromSequence} needs ${replayLengthBytes} bytes, ` +
        `${bufferedBytes} are buffered`,
    );
  }
}

/** Writing the replay to the new connection failed; the writer stays disconnected. */
export class ErrReplayFailed extends BackedPipeError {
  override readonly name = "ErrReplayFailed";
  readonly code = "replay-failed";
  constructor(cause: unknown) {
    super("replay failed", { cause });
  }
}

/** The new connection accepted only part of the replay; the writer stays disconnected. */
export class ErrPartialReplay extends BackedPipeError {
  override readonly name = "ErrPartialReplay";
  readonly code = "partial-replay";
  constructor(
    readonly writtenBytes: number,
    readonly replayLengthBytes: number,
  ) {
    super(`partial replay: ${writtenBytes} of ${replayLengthBytes} bytes written`);
  }
}

/** The underlying connection reached its end of stream: for a backed reader that is a connection failure. */
export class ErrConnectionEnded extends BackedPipeError {
  override readonly name = "ErrConnectionEnded";
  readonly code = "connection-ended";
  constructor() {
    super("connection reached end of stream");
  }
}

/** The connection accepted only part of a write (io.ErrShortWrite in Go): a connection failure. */
export class ErrShortWrite extends BackedPipeError {
  override readonly name = "ErrShortWrite";
  readonly code = "short-write";
  constructor(
    readonly writtenBytes: number,
    readonly lengthBytes: number,
  ) {
    super(`short write: ${writtenBytes} of ${lengthBytes} bytes accepted`);
  }
}

/** RingBuffer.readLast asked for more bytes than the buffer holds (evicted, or never written). */
export class ErrInsufficientBufferedData extends BackedPipeError {
  override readonly name = "ErrInsufficientBufferedData";
  readonly code = "insufficient-buffered-data";
  constructor(
    readonly requestedBytes: number,
    readonly availableBytes: number,
  ) {
    super(`requested ${requestedBytes} bytes but only ${availableBytes} available`);
  }
}

/** The pipe is closed. */
export class ErrPipeClosed extends BackedPipeError {
  override readonly name = "ErrPipeClosed";
  readonly code = "pipe-closed";
  constructor() {
    super("pipe is closed");
  }
}

/** connect() was called on a pipe that is already connected. */
export class ErrPipeAlreadyConnected extends BackedPipeError {
  override readonly name = "ErrPipeAlreadyConnected";
  readonly code = "pipe-already-connected";
  constructor() {
    super("pipe is already connected");
  }
}

/** A reconnection was requested while another one is running. */
export class ErrReconnectionInProgress extends BackedPipeError {
  override readonly name = "ErrReconnectionInProgress";
  readonly code = "reconnection-in-progress";
  constructor() {
    super("reconnection already in progress");
  }
}

/** The reconnector failed (or the reader was closed) during a reconnection attempt. */
export class ErrReconnectFailed extends BackedPipeError {
  override readonly name = "ErrReconnectFailed";
  readonly code = "reconnect-failed";
  constructor(detail: string, cause?: unknown) {
    super(`reconnect failed: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

/** The writer refused the new connection (its `cause` is the writer's typed error). */
export class ErrReconnectWriterFailed extends BackedPipeError {
  override readonly name = "ErrReconnectWriterFailed";
  readonly code = "reconnect-writer-failed";
  constructor(override readonly cause: BackedPipeError) {
    super(`reconnect writer failed: ${cause.message}`, { cause });
  }
}

/** Which half of a pipe reported an error. */
export type PipeComponent = "reader" | "writer";

/**
 * A failure of the underlying connection, reported by a reader or writer to its pipe.
 * `generation` is the generation of the connection that failed (the generation set with
 * `setGeneration` when that connection was installed), so the pipe can ignore errors of
 * connections it has already replaced.
 */
export interface ErrorEvent {
  readonly error: unknown;
  readonly component: PipeComponent;
  readonly generation: number;
}

/** Receives the error events of a reader or writer. Called synchronously; must not throw. */
export type ErrorEventHandler = (event: ErrorEvent) => void;

/** Marks a rare path (an Env's `probe`, or a test's counter). */
export type Probe = (name: string) => void;

/** A buggify point (`env.buggify`): true when the rare path is to be taken now. */
export type Buggify = (point: string, options?: BuggifyOptions) => boolean;
