/**
 * Invariant: under any interleaving of writes, connection failures and reconnects
 * that replay from what the peer actually received, the peer receives exactly the
 * bytes written, in order, with no gap and no duplicate, as long as every gap fits
 * the ring buffer (and otherwise the reconnect refuses with ErrReplayDataUnavailable
 * and the peer holds a clean prefix).
 *
 * Method: a random list of actions (write, plan a fault for a coming write, break
 * the connection, reconnect with or without closing the old connection, with a
 * replay that may fail) runs against a writer and a fake peer; after every action
 * the peer's bytes must be a prefix of the written stream and every error event
 * must carry its connection's generation; at the end, one clean reconnect must
 * complete every write, in call order. The same property must fail on a writer
 * that replays from one byte too far.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BackedWriter } from "../../src/impl/backedpipe/backed-writer.ts";
import { ErrPartialReplay, ErrReplayDataUnavailable, ErrReplayFailed } from "../../src/impl/backedpipe/errors.ts";
import type { ErrorEvent } from "../../src/impl/backedpipe/errors.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { OffByOneReplayWriter, realWriter, writerOf } from "./_fixtures/broken-backed-writers.ts";
import type { WriterFactory } from "./_fixtures/broken-backed-writers.ts";
import { FakeConnectionError, FakePeer } from "./_support/fake-writable-connection.ts";
import type { FakeWritableConnection, WriteBehaviour } from "./_support/fake-writable-connection.ts";
import { drainMicrotasks, observe, streamBytes } from "./_support/microtasks.ts";

type ReplayFault = "none" | "reject" | "short";

type Action =
  | { readonly kind: "write"; readonly length: number }
  | { readonly kind: "plan"; readonly behaviour: WriteBehaviour }
  | { readonly kind: "break" }
  | { readonly kind: "reconnect"; readonly closeOld: boolean; readonly replayFault: ReplayFault };

const behaviours: fc.Arbitrary<WriteBehaviour> = fc.oneof(
  fc.constant({ kind: "reject" as const }),
  fc.constant({ kind: "deliver-then-reject" as const }),
  fc.constant({ kind: "hang" as const }),
  fc.nat(12).map((deliveredBytes) => ({ kind: "short" as const, deliveredBytes })),
);

const actions: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 12 }).map((length) => ({ kind: "write" as const, length })) },
  { weight: 3, arbitrary: behaviours.map((behaviour) => ({ kind: "plan" as const, behaviour })) },
  { weight: 2, arbitrary: fc.constant({ kind: "break" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("reconnect" as const),
      closeOld: fc.boolean(),
      replayFault: fc.constantFrom<ReplayFault>("none", "reject", "short"),
    }),
  },
);

/** One run: the writer, the peer, and what the test expects of them. */
class Run {
  readonly events: ErrorEvent[] = [];
  readonly peer = new FakePeer();
  readonly writer: BackedWriter;
  readonly written: number[] = [];
  readonly lengths: number[] = [];
  readonly completed: number[] = [];
  readonly writes: { readonly index: number; readonly outcome: ReturnType<typeof observe<void>> }[] = [];
  /** Generation under which each connection was installed (by connection id). */
  readonly generations = new Map<number, number>();
  connection: FakeWritableConnection | null = null;
  generation = 0;
  dataLost = false;

  constructor(
    create: WriterFactory,
    readonly capacity: number,
  ) {
    this.writer = create(capacity, (event) => this.events.push(event));
  }

  write(length: number): void {
    const index = this.writes.length;
    this.lengths.push(length);
    const bytes = streamBytes(this.written.length, length);
    this.written.push(...bytes);
    const promise = this.writer.write(bytes).then(() => void this.completed.push(index));
    this.writes.push({ index, outcome: observe(promise) });
  }

  async reconnect(closeOld: boolean, replayFault: ReplayFault): Promise<void> {
    if (closeOld) this.connection?.close();
    this.generation += 1;
    this.writer.setGeneration(this.generation);
    const connection = this.peer.connect();
    this.generations.set(connection.id, this.generation);
    const replayFrom = this.peer.received.length;
    const gap = this.writer.sequenceNum() - replayFrom;
    // A fault is planned only for a replay: with nothing to replay, it would hit the next regular write.
    if (gap > 0 && replayFault === "reject") connection.plan({ kind: "reject" });
    if (gap > 0 && replayFault === "short") connection.plan({ kind: "short", deliveredBytes: Math.floor(gap / 2) });
    const attempt = observe(this.writer.reconnect(replayFrom, connection));
    await drainMicrotasks();
    expect(attempt.current.state).not.toBe("pending");
    if (gap > this.capacity) {
      expect(attempt.current.state === "rejected" && attempt.current.error).toBeInstanceOf(ErrReplayDataUnavailable);
      this.dataLost = true;
    } else if (gap > 0 && replayFault !== "none") {
      const expected = replayFault === "reject" ? ErrReplayFailed : ErrPartialReplay;
      expect(attempt.current.state === "rejected" && attempt.current.error).toBeInstanceOf(expected);
    } else {
      expect(attempt.current.state).toBe("resolved");
    }
    this.connection = connection;
    expect(this.writer.connected()).toBe(attempt.current.state === "resolved");
  }

  /** What must hold after every action. */
  checkInvariants(): void {
    expect(this.peer.received, "peer holds a prefix of the written bytes").toEqual(
      this.written.slice(0, this.peer.received.length),
    );
    expect(this.writer.sequenceNum()).toBeLessThanOrEqual(this.written.length);
    for (const event of this.events) {
      expect(event.component).toBe("writer");
      if (event.error instanceof FakeConnectionError) {
        expect(event.generation).toBe(this.generations.get(event.error.connectionId));
      }
    }
  }
}

async function perform(run: Run, action: Action): Promise<void> {
  switch (action.kind) {
    case "write":
      run.write(action.length);
      break;
    case "plan":
      run.connection?.plan(action.behaviour);
      break;
    case "break":
      run.connection?.break();
      break;
    case "reconnect":
      await run.reconnect(action.closeOld, action.replayFault);
      break;
  }
  await drainMicrotasks();
}

function peerReceivesExactlyWhatWasWritten(create: WriterFactory) {
  return fc.asyncProperty(
    fc.integer({ min: 1, max: 48 }),
    fc.array(actions, { maxLength: 40 }),
    async (capacity, list) => {
      const run = new Run(create, capacity);
      for (const action of list) {
        await perform(run, action);
        run.checkInvariants();
        if (run.dataLost) return; // The stream cannot resume; the prefix checks above are all that holds.
      }
      await run.reconnect(true, "none");
      run.checkInvariants();
      if (run.dataLost) return;
      for (const { outcome } of run.writes) expect(outcome.current.state).toBe("resolved");
      // Non-empty writes complete in call order (an empty write resolves at once, as in the seed).
      expect(run.completed.filter((index) => run.lengths[index] !== 0)).toEqual(
        run.writes.filter(({ index }) => run.lengths[index] !== 0).map(({ index }) => index),
      );
      expect(run.peer.received, "peer bytes").toEqual(run.written);
      expect(run.writer.sequenceNum()).toBe(run.written.length);
    },
  );
}

const name = "backedpipe writer delivers exactly the written bytes across failures and reconnects";

describe("BackedWriter interleavings", () => {
  it(name, async () => {
    await fc.assert(
      peerReceivesExactlyWhatWasWritten(realWriter),
      propertyParameters(name, 300, { includeErrorInReport: true }),
    );
  });

  it(`${name}: fails on a writer that replays from one byte too far`, async () => {
    const details = await fc.check(
      peerReceivesExactlyWhatWasWritten(writerOf(OffByOneReplayWriter)),
      propertyParameters(name, 300),
    );
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/peer holds a prefix|peer bytes/);
  });

  it("reaches the rare paths it is about", async () => {
    const probes = new Set<string>();
    const probing: WriterFactory = (capacity, onError) =>
      realWriter(capacity, onError, { probe: (probe) => probes.add(probe) });
    await fc.assert(
      peerReceivesExactlyWhatWasWritten(probing),
      propertyParameters(name, 300, { includeErrorInReport: true }),
    );
    expect([...probes].sort()).toEqual([
      "backedpipe.partial-replay",
      "backedpipe.replay-data-unavailable",
      "backedpipe.replay-from-ring-buffer",
    ]);
  });
});
