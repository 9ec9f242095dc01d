/**
 * backedpipe: reconnecting byte streams (Coder's backedpipe). A BackedPipe pairs a
 * BackedReader and a BackedWriter over connections from a caller's reconnector; the
 * writer keeps a RingBuffer of recent bytes and replays what the peer missed.
 */
export { BackedPipe, defaultBufferCapacityBytes, defaultMaximumReconnectAttempts } from "./backed-pipe.ts";
export type { BackedPipeOptions, BackedPipeState, ReconnectResult, Reconnector } from "./backed-pipe.ts";
export { BackedReader } from "./backed-reader.ts";
export type { ReaderConnectionProvider } from "./backed-reader.ts";
export { BackedWriter } from "./backed-writer.ts";
export type { BackedWriterOptions } from "./backed-writer.ts";
export { RingBuffer } from "./ring-buffer.ts";
export type { PipeConnection, ReadableConnection, WritableConnection } from "./connection.ts";
export { AssertionError } from "../../sim/assert.ts";
export {
  BackedPipeError,
  ErrConnectionEnded,
  ErrFutureSequence,
  ErrInsufficientBufferedData,
  ErrNilWriter,
  ErrPartialReplay,
  ErrPipeAlreadyConnected,
  ErrPipeClosed,
  ErrReconnectFailed,
  ErrReconnectionInProgress,
  ErrReconnectWriterFailed,
  ErrReplayDataUnavailable,
  ErrReplayFailed,
  ErrShortWrite,
  ErrWriterClosed,
} from "./errors.ts";
export type { BackedPipeErrorCode, Buggify, ErrorEvent, ErrorEventHandler, PipeComponent, Probe } from "./errors.ts";
export { BACKEDPIPE_BUGGIFY_POINTS } from "./buggify-points.ts";
export type { BackedPipeBuggifyPoint } from "./buggify-points.ts";
