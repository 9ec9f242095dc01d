/**
 * Deliberately broken BackedWriters, one bug each, for showing that each writer
 * property catches the bug it is about. They subclass the real writer and change
 * one public method; src/impl never uses them.
 */
import { BackedWriter } from "../../../src/impl/backedpipe/backed-writer.ts";
import type { BackedWriterOptions } from "../../../src/impl/backedpipe/backed-writer.ts";
import type { WritableConnection } from "../../../src/impl/backedpipe/connection.ts";
import type { ErrorEventHandler } from "../../../src/impl/backedpipe/errors.ts";

/** Builds a writer (the real one or a broken one). */
export type WriterFactory = (
  capacity: number,
  onError: ErrorEventHandler,
  options?: BackedWriterOptions,
) => BackedWriter;

export const realWriter: WriterFactory = (capacity, onError, options) => new BackedWriter(capacity, onError, options);

/** Bug: the writer replays from one byte past what the peer asked for (one home: the pipe scenarios' variants). */
export { OffByOneReplayWriter } from "../../../scenarios/backedpipe/variants.ts";

/** Bug: a peer ahead of the writer is treated as fully caught up instead of refused. */
export class ClampingFutureSequenceWriter extends BackedWriter {
  override reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
    return super.reconnect(Math.min(replayFromSequence, this.sequenceNum()), connection);
  }
}

/** Bug: when the replay was evicted, replays whatever is still buffered (a silent gap). */
export class ReplayWhatRemainsWriter extends BackedWriter {
  readonly #capacity: number;
  constructor(capacity: number, onError: ErrorEventHandler, options?: BackedWriterOptions) {
    super(capacity, onError, options);
    this.#capacity = capacity;
  }
  override reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
    return super.reconnect(Math.max(replayFromSequence, this.sequenceNum() - this.#capacity), connection);
  }
}

/** Bug: failures and short writes of the new connection are ignored (one home: the pipe scenarios' variants). */
export { ForgivingReplayWriter } from "../../../scenarios/backedpipe/variants.ts";

/** Bug: odd-length writes yield once before taking their turn, so concurrent writes can reorder. */
export class YieldingWriter extends BackedWriter {
  override write(data: Uint8Array): Promise<void> {
    if (data.length % 2 === 1) return Promise.resolve().then(() => super.write(data));
    return super.write(data);
  }
}

/** Bug: closing a disconnected writer does nothing, so writes blocked waiting for a connection stay blocked. */
export class LazyCloseWriter extends BackedWriter {
  override close(): void {
    if (this.connected()) super.close();
  }
}

/** A factory for a subclass with the writer's constructor. */
export function writerOf(
  kind: new (capacity: number, onError: ErrorEventHandler, options?: BackedWriterOptions) => BackedWriter,
): WriterFactory {
  return (capacity, onError, options) => new kind(capacity, onError, options);
}
