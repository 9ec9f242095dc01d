/**
 * The minimal, structural view of a connection that the backedpipe components need.
 * The Env's `Connection` (src/sim/env.ts) fits it as is, and so do in-memory fakes.
 *
 * The components never close a connection they are given: ownership stays with the
 * caller (the BackedPipe closes the connections it obtained from its reconnector).
 */

/** What a BackedWriter needs: an ordered byte sink. */
export interface WritableConnection {
  /**
   * Resolves once `data` is accepted. It may resolve with the number of bytes
   * accepted: a number below `data.length` is a short write, which the writer treats
   * as a failure of the connection. Rejects when the connection failed.
   */
  write(data: Uint8Array): Promise<number | void>;
}

/** What a BackedReader needs: an ordered byte source. */
export interface ReadableConnection {
  /** The next bytes in order; `null` at the end of the stream. Rejects when the connection failed. */
  read(): Promise<Uint8Array | null>;
}

/** What a BackedPipe needs: both halves, and a way to let go of the connection. */
export interface PipeConnection extends WritableConnection, ReadableConnection {
  /** Closes the connection. Pending reads and writes on it should settle (any way they like). */
  close(): void;
}

/**
 * Starts an operation on a connection, turning a synchronous throw into a rejection,
 * so that a misbehaving connection fails like a broken one instead of breaking the caller.
 */
export function startOperation<T>(start: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(start());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
