/**
 * Deliberately broken BackedPipes, one bug each, for showing that each pipe
 * property catches the bug it is about. They are real pipes built with broken
 * components through the pipe's createReader/createWriter seams; src/impl never
 * uses them.
 */
import { BackedPipe } from "../../../src/impl/backedpipe/backed-pipe.ts";
import type { BackedPipeOptions } from "../../../src/impl/backedpipe/backed-pipe.ts";
import { BackedReader } from "../../../src/impl/backedpipe/backed-reader.ts";
import { BackedWriter } from "../../../src/impl/backedpipe/backed-writer.ts";
import type { ErrorEventHandler } from "../../../src/impl/backedpipe/errors.ts";
import { OffByOneReplayWriter } from "./broken-backed-writers.ts";

/** Builds a pipe (the real one or a broken one). */
export type PipeFactory = (options: BackedPipeOptions) => BackedPipe;

export const realPipe: PipeFactory = (options) => new BackedPipe(options);

/**
 * Bug: every error is tagged with the latest generation instead of the generation
 * of the connection that failed (the seed's "current generation at error time"),
 * so the pipe cannot tell a stale error from a current one and reconnects on it.
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

/** Bug: the pipe's writer replays from one byte past what the peer asked for. */
export const pipeWithOffByOneReplay: PipeFactory = (options) =>
  new BackedPipe({
    ...options,
    createWriter: (capacity, onError, writerOptions) => new OffByOneReplayWriter(capacity, onError, writerOptions),
  });
