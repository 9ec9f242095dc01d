/**
 * Deliberately broken BackedPipes for the pipe scenarios, one bug each, built from
 * real components through the pipe's createReader/createWriter seams (they mirror
 * properties/backedpipe/_fixtures). Only a run that names a variant uses them; the
 * shipping code in src/impl never does.
 */
import { BackedPipe, BackedReader, BackedWriter } from "../../src/impl/backedpipe/index.ts";
import type {
  BackedPipeOptions,
  BackedWriterOptions,
  ErrorEventHandler,
  PipeConnection,
  ReaderConnectionProvider,
  WritableConnection,
} from "../../src/impl/backedpipe/index.ts";

/** Builds a pipe (the real one or a broken one). */
export type PipeFactory = (options: BackedPipeOptions) => BackedPipe;

/**
 * Bug: the writer replays from one byte past what the peer asked for (the peer misses a byte). Shared with the unit
 * properties' fixtures.
 */
export class OffByOneReplayWriter extends BackedWriter {
  override reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
    const from = replayFromSequence < this.sequenceNum() ? replayFromSequence + 1 : replayFromSequence;
    return super.reconnect(from, connection);
  }
}

/**
 * Bug: failures and short writes of the new connection are ignored, so a replay that failed "succeeds". Shared with the
 * unit properties' fixtures.
 */
export class ForgivingReplayWriter extends BackedWriter {
  override reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
    const forgiving: WritableConnection = {
      write: (data) =>
        connection.write(data).then(
          () => undefined,
          () => undefined,
        ),
    };
    return super.reconnect(replayFromSequence, forgiving);
  }
}

/** Bug: when the replay was evicted, the writer replays whatever is still buffered (a silent gap). */
function replayWhatRemainsWriter(
  capacity: number,
  onError: ErrorEventHandler,
  options: BackedWriterOptions,
): BackedWriter {
  class ReplayWhatRemainsWriter extends BackedWriter {
    override reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
      return super.reconnect(Math.max(replayFromSequence, this.sequenceNum() - capacity), connection);
    }
  }
  return new ReplayWhatRemainsWriter(capacity, onError, options);
}

/**
 * Bug: every error is tagged with the latest generation instead of the generation of
 * the connection that failed, so a late error of a replaced connection looks current
 * and the pipe drops a healthy connection for it.
 */
export const pipeThatReconnectsOnStaleErrors: PipeFactory = (options) => {
  let latestGeneration = 0;
  const retag =
    (onError: ErrorEventHandler): ErrorEventHandler =>
    (event) =>
      onError({ ...event, generation: latestGeneration });
  class RecordingReader extends BackedReader {
    override setGeneration(generation: number): void {
      latestGeneration = generation;
      super.setGeneration(generation);
    }
  }
  return new BackedPipe({
    ...options,
    createReader: (onError) => new RecordingReader(retag(onError)),
    createWriter: (capacity, onError, writerOptions) => new BackedWriter(capacity, retag(onError), writerOptions),
  });
};

/**
 * Bug (the seed's pipe, and the planted bug): the reader takes the new
 * connection before the writer replays, and a replay the writer refuses or fails
 * leaves the reader on that connection, which the pipe never closes. The
 * reconnection still fails as it should, and every byte the reader goes on
 * delivering is the right one: only the connection's lifecycle shows the bug.
 */
export const pipeThatKeepsReaderOnFailedReplay: PipeFactory = (options) => {
  let refused: WritableConnection | undefined;
  const kept = new WeakSet<object>();
  class ReplayRecordingWriter extends BackedWriter {
    override async reconnect(replayFromSequence: number, connection: WritableConnection): Promise<void> {
      try {
        await super.reconnect(replayFromSequence, connection);
      } catch (error) {
        refused = connection;
        throw error;
      }
    }
  }
  class ConnectionKeepingReader extends BackedReader {
    override async reconnect(provide: ReaderConnectionProvider): Promise<boolean> {
      let keeping = false;
      const installed = await super.reconnect(async (sequenceNumber) => {
        const connection = await provide(sequenceNumber);
        const keep = refused as PipeConnection | undefined;
        refused = undefined;
        if (connection !== null || keep === undefined) return connection;
        keeping = true;
        kept.add(keep);
        return keep;
      });
      return installed && !keeping;
    }
  }
  return new BackedPipe({
    ...options,
    reconnector: async (readerSequenceNumber, signal) => {
      const result = await options.reconnector(readerSequenceNumber, signal);
      const inner = result.connection;
      const connection: PipeConnection = {
        read: () => inner.read(),
        write: (data) => inner.write(data),
        close: () => {
          if (!kept.has(connection)) inner.close();
        },
      };
      return { connection, peerReaderSequenceNumber: result.peerReaderSequenceNumber };
    },
    createReader: (onError) => new ConnectionKeepingReader(onError),
    createWriter: (capacity, onError, writerOptions) => new ReplayRecordingWriter(capacity, onError, writerOptions),
  });
};

const BROKEN_PIPES: Readonly<Record<string, PipeFactory>> = {
  "off-by-one-replay": (options) =>
    new BackedPipe({
      ...options,
      createWriter: (capacity, onError, writerOptions) => new OffByOneReplayWriter(capacity, onError, writerOptions),
    }),
  "replay-what-remains": (options) =>
    new BackedPipe({
      ...options,
      createWriter: (capacity, onError, writerOptions) => replayWhatRemainsWriter(capacity, onError, writerOptions),
    }),
  "stale-generation-reconnect": pipeThatReconnectsOnStaleErrors,
  "forgiving-replay": (options) =>
    new BackedPipe({
      ...options,
      createWriter: (capacity, onError, writerOptions) => new ForgivingReplayWriter(capacity, onError, writerOptions),
    }),
  "reader-kept-on-failed-replay": pipeThatKeepsReaderOnFailedReplay,
};

/** What each broken pipe gets wrong (for the scenarios' `variants`). */
export const PIPE_BROKEN_VARIANTS: Readonly<Record<string, string>> = {
  "off-by-one-replay": "the writer replays from one byte past the peer's sequence number",
  "replay-what-remains":
    "when the replay was evicted from the ring buffer, the writer replays what remains instead of failing",
  "stale-generation-reconnect":
    "errors carry the latest generation, so a late error of a replaced connection drops a healthy one",
  "forgiving-replay":
    "a failed or short write on the new connection is ignored: a replay that failed counts as done, and the peer never gets what it missed",
  "reader-kept-on-failed-replay":
    "as the seed's pipe: the reader takes the new connection before the replay, and a refused replay leaves it there, the connection never closed",
};

/** The real pipe when `variant` is undefined, else the named broken pipe (which must exist). */
export function pipeFactoryFor(variant: string | undefined): PipeFactory {
  if (variant === undefined) return (options) => new BackedPipe(options);
  const factory = BROKEN_PIPES[variant];
  if (factory === undefined) throw new Error(`no broken pipe named "${variant}"`);
  return factory;
}

/** The variants a scenario offers: a subset of the broken pipes, with their descriptions. */
export function pipeVariants(...names: string[]): Readonly<Record<string, string>> {
  const variants: Record<string, string> = {};
  for (const name of names) {
    const description = PIPE_BROKEN_VARIANTS[name];
    if (description === undefined) throw new Error(`no broken pipe named "${name}"`);
    variants[name] = description;
  }
  return variants;
}
