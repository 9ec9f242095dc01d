/**
 * pipe-buffer-too-small: a ring buffer smaller than the bytes in flight at a
 * disconnect.
 *
 * Goal: show that when a reconnection needs bytes the writer's ring buffer has
 * already evicted, the pipe surfaces ErrReplayDataUnavailable to its user, and never
 * loses or corrupts bytes silently; and that the harness catches a writer that
 * replays what remains instead.
 * Method: as pipe-flaky-link (pipe-session.ts), but each pipe's ring buffer holds
 * only 6 KiB, chunks are 1..2048 bytes written every 0..8 ms, and the client forces
 * a reconnection every 1..1500 ms. A reconnection while a clog or a paused peer has
 * let more than 6 KiB pile up in flight needs evicted bytes. When the typed error
 * surfaces on a writer's side, the user ends the session (both pipes close), at once
 * in half the runs and after 1..100 ms in the others; meanwhile the failed pipe
 * stays as the failure left it, and must deliver nothing from the rejected connection.
 * Invariants:
 * - pipe.received-exact-prefix (continuous): each side has read an exact prefix of
 *   the other side's bytes, before and after any error.
 * - pipe.replay-error-genuine (continuous): a surfaced ErrReplayDataUnavailable asks
 *   for exactly the bytes the peer lacks (it starts at the peer reader's sequence
 *   number and ends at the writer's), and they exceed the buffer's capacity.
 * - pipe.no-future-sequence (continuous): no peer claims bytes never written.
 * - pipe.no-bytes-from-rejected-connection (continuous) and
 *   pipe.rejected-connection-closed (continuous and final): see
 *   pipe-connection-lifecycle.ts.
 * - pipe.no-silent-loss (final): either every byte was delivered in both
 *   directions, or the session ended on the surfaced typed error.
 * - progress: after every fault healed, everything is delivered or the error surfaced.
 * Broken variants: see pipe-variants.ts.
 */
import { ErrReplayDataUnavailable } from "../../src/impl/backedpipe/index.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import type { PermanentPipeFailure } from "./endpoint.ts";
import { PipeSession } from "./session.ts";
import { pipeVariants } from "./variants.ts";
import { PIPE_SIDES, pipeWorkload, type PipeSide } from "./workload.ts";

const WRITE_SHAPE = { steps: 600, chunkBytesMax: 2048, pauseMsMax: 8 };
const BUFFER_CAPACITY_BYTES = 6 * 1024;
/** The most host-local time a user takes to end the session after the typed error surfaced. */
const USER_REACTION_MS_MAX = 100;

export const pipeBufferTooSmall: Scenario = {
  name: "pipe-buffer-too-small",
  description:
    "BackedPipes with a ring buffer smaller than the bytes in flight at a disconnect must surface ErrReplayDataUnavailable, never lose bytes silently",
  safetyMs: 5000,
  livenessMs: 5000,
  swarm: { hosts: ["client", "server"], kinds: ["partition", "isolate", "clog", "pause"] },
  probePrefixes: ["backedpipe.", "pipe."],
  variants: pipeVariants("replay-what-remains", "off-by-one-replay", "reader-kept-on-failed-replay"),
  rareStates: {
    "replay-from-ring-buffer": "backedpipe.replay-from-ring-buffer",
    "replay-data-unavailable": "backedpipe.replay-data-unavailable",
    "replay-error-surfaced-to-user": "pipe.surfaced.replay-data-unavailable",
  },
  setup,
};

/** The typed error a side's user saw, and where the stream stood then. */
interface Surfaced {
  readonly side: PipeSide;
  readonly error: PermanentPipeFailure;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const workload = pipeWorkload(context.params, context.random, {
    shape: WRITE_SHAPE,
    bufferCapacityBytes: () => BUFFER_CAPACITY_BYTES,
    forceReconnectEveryMsMax: 1500,
  });
  let surfaced: Surfaced | undefined;
  const reaction = world.stream("pipe/user-reaction");
  const reactionMs = reaction.bool(0.5) ? 0 : reaction.int(1, USER_REACTION_MS_MAX);
  const violate = (invariant: string, host: PipeSide, details: string): void =>
    world.violate({ invariant, kind: "safety", host, details });
  const session: PipeSession = new PipeSession(context, {
    workload,
    variant: context.variant,
    onPermanentFailure: (side, error) => {
      if (!(error instanceof ErrReplayDataUnavailable)) {
        violate("pipe.no-future-sequence", side, `${error.name}: ${error.message}`);
        return;
      }
      const problem = checkGenuine(error, session, side, workload.bufferCapacityBytes);
      if (problem !== undefined) violate("pipe.replay-error-genuine", side, problem);
      surfaced ??= { side, error };
      world.record(side, "pipe.session-ending", { error: error.message, afterMs: reactionMs });
      session.endAfter(side, reactionMs);
    },
  });
  return {
    progress: () => session.ended || session.delivered(),
    finish: () => {
      session.finishLifecycles();
      for (const side of PIPE_SIDES) {
        const expected = session.peerOf(side).bytes.length;
        const received = session.sides[side].received;
        if (received < expected && surfaced === undefined) {
          violate(
            "pipe.no-silent-loss",
            side,
            `${side} read ${received} of ${expected} bytes and no typed error surfaced`,
          );
        }
      }
    },
    summary: () => ({
      bufferCapacityBytes: workload.bufferCapacityBytes,
      userReactionMs: reactionMs,
      outcome: surfaced === undefined ? "delivered" : `${surfaced.error.name} on ${surfaced.side}`,
      ...session.summary(),
    }),
  };
}

/** Undefined when the error asks for exactly the bytes the peer lacks, and they exceed the buffer. */
function checkGenuine(
  error: ErrReplayDataUnavailable,
  session: PipeSession,
  side: PipeSide,
  capacityBytes: number,
): string | undefined {
  const writerSequence = session.sides[side].endpoint?.pipe.writerSequenceNum();
  const peerReaderSequence = session.peerOf(side).endpoint?.pipe.readerSequenceNum();
  const asked = `replay from ${error.replayFromSequence} of ${error.replayLengthBytes} bytes`;
  if (error.replayFromSequence !== peerReaderSequence)
    return `${asked}, but the peer has read ${peerReaderSequence} bytes`;
  if (error.replayFromSequence + error.replayLengthBytes !== writerSequence)
    return `${asked}, but the writer is at ${writerSequence}`;
  if (error.replayLengthBytes <= capacityBytes) return `${asked} fits the ${capacityBytes}-byte buffer`;
  return undefined;
}
