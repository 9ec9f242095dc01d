/**
 * Deliberately broken BackedPipes, one bug each, for showing that each pipe
 * property catches the bug it is about. They are real pipes built with broken
 * components through the pipe's createReader/createWriter seams; src/impl never
 * uses them.
 */
import { BackedPipe } from "../../../src/impl/backedpipe/backed-pipe.ts";
import type { BackedPipeOptions } from "../../../src/impl/backedpipe/backed-pipe.ts";
import { OffByOneReplayWriter } from "./broken-backed-writers.ts";

/** Builds a pipe (the real one or a broken one). */
export type PipeFactory = (options: BackedPipeOptions) => BackedPipe;

export const realPipe: PipeFactory = (options) => new BackedPipe(options);

/**
 * Bug: errors tagged with the latest generation, so stale errors look current (one home: the pipe scenarios' variants).
 */
export { pipeThatReconnectsOnStaleErrors } from "../../../scenarios/backedpipe/variants.ts";

/** Bug: the pipe's writer replays from one byte past what the peer asked for. */
export const pipeWithOffByOneReplay: PipeFactory = (options) =>
  new BackedPipe({
    ...options,
    createWriter: (capacity, onError, writerOptions) => new OffByOneReplayWriter(capacity, onError, writerOptions),
  });
