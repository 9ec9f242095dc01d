/**
 * pipe-flaky-link: reliable byte streams over a link that keeps breaking.
 *
 * Goal: show that a pair of BackedPipes delivers every byte exactly once and in
 * order in both directions while the link is cut, clogged and reset, and that the
 * harness catches a pipe that replays from the wrong offset or reconnects on stale
 * errors.
 * Method: the client dials and the server listens (pipe-session.ts); each streams a
 * seeded byte sequence in chunks of 1..4096 bytes with pauses of 0..30 ms, spread
 * over the safety phase, and the client forces a reconnection every 1..1000 ms. The
 * swarm plan partitions (symmetric or one-way), isolates, clogs and pauses the two
 * hosts, and varies link latency; it crashes nothing (a crash loses the pipe's
 * memory, which no replay can restore). Each reconnection runs the resume
 * handshake (pipe-handshake.ts). The ring buffer holds the largest gap the simulated
 * stream allows between what a side has written and what its peer has read: the
 * stream window, one read, and a few chunks (see `gapBoundBytes`).
 * Invariants:
 * - pipe.received-exact-prefix (continuous): each side has read an exact prefix of
 *   the other side's bytes: no gap, duplicate, reorder or corruption.
 * - pipe.no-reconnect-on-stale-error (continuous): a pipe drops only a connection
 *   that has failed.
 * - pipe.replay-fits-buffer (continuous): no reconnection fails for want of replay
 *   data (the buffer holds the largest gap).
 * - pipe.all-bytes-delivered (final): each side read exactly every byte written to
 *   it, and its pipe's sequence numbers agree.
 * - progress: after every fault healed, all writes complete and all bytes arrive.
 * Broken variants: see pipe-variants.ts.
 */
import { STREAM_READ_BYTES_MAX, STREAM_WINDOW_BYTES } from "../../src/sim/net/stream.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { PipeSession } from "./session.ts";
import { pipeVariants } from "./variants.ts";
import { PIPE_SIDES, pipeWorkload, type PipeSide, type WriteStep } from "./workload.ts";

const SAFETY_MS = 8000;
const WRITE_SHAPE = { steps: 400, chunkBytesMax: 4096, pauseMsMax: 30 };
/** Chunks beyond the window and one read that a gap may hold (a queued write, and replays that grew by one). */
const GAP_CHUNKS_MAX = 4;

/**
 * The largest gap (bytes written by one side, not yet read by its peer) that the
 * simulated stream allows, with margin: the send window, one read in flight to
 * the reader, and a few of the largest chunks.
 */
export function gapBoundBytes(writes: Readonly<Record<PipeSide, readonly WriteStep[]>>): number {
  const chunkBytesMax = Math.max(1, ...PIPE_SIDES.flatMap((side) => writes[side].map((step) => step.bytes)));
  return STREAM_WINDOW_BYTES + STREAM_READ_BYTES_MAX + GAP_CHUNKS_MAX * chunkBytesMax;
}

export const pipeFlakyLink: Scenario = {
  name: "pipe-flaky-link",
  description:
    "two BackedPipes stream known bytes both ways over a link that is cut, clogged and paused; every byte must arrive exactly once, in order",
  safetyMs: SAFETY_MS,
  livenessMs: 5000,
  swarm: { hosts: ["client", "server"], kinds: ["partition", "isolate", "clog", "link-quality", "pause"] },
  probePrefixes: ["backedpipe.", "pipe."],
  variants: pipeVariants("off-by-one-replay", "stale-generation-reconnect", "forgiving-replay"),
  rareStates: {
    "replay-from-ring-buffer": "backedpipe.replay-from-ring-buffer",
    "stale-generation-error-ignored": "backedpipe.stale-generation-error-ignored",
    "listener-replaces-connection": "pipe.listener-replaces-connection",
    "reconnection-died-mid-replay": "backedpipe.partial-replay",
  },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const workload = pipeWorkload(context.params, context.random, {
    shape: WRITE_SHAPE,
    bufferCapacityBytes: gapBoundBytes,
    forceReconnectEveryMsMax: 1000,
  });
  const session = new PipeSession(context, {
    workload,
    variant: context.variant,
    onPermanentFailure: (side, failure) => {
      world.violate({
        invariant: "pipe.replay-fits-buffer",
        kind: "safety",
        host: side,
        details:
          `${failure.name}: ${failure.message}; the ring buffer holds ${workload.bufferCapacityBytes} bytes, ` +
          `and the stream allows a gap of at most ${gapBoundBytes(workload.writes)}`,
      });
    },
  });
  return {
    progress: () => session.delivered(),
    finish: () => {
      session.finishLifecycles();
      for (const side of PIPE_SIDES) {
        const state = session.sides[side];
        const peer = session.peerOf(side);
        const pipe = state.endpoint?.pipe;
        const counts = `read ${state.received} of ${peer.bytes.length}, reader sequence ${pipe?.readerSequenceNum()}, writer sequence ${pipe?.writerSequenceNum()} of ${state.bytes.length}`;
        if (
          state.received !== peer.bytes.length ||
          pipe?.readerSequenceNum() !== state.received ||
          pipe.writerSequenceNum() !== state.bytes.length
        ) {
          world.violate({
            invariant: "pipe.all-bytes-delivered",
            kind: "safety",
            host: side,
            details: `${side}: ${counts}`,
          });
        }
      }
    },
    summary: () => ({ bufferCapacityBytes: workload.bufferCapacityBytes, ...session.summary() }),
  };
}
