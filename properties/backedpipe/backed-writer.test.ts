/**
 * Invariant: a BackedWriter's reconnect replays exactly the bytes from the
 * requested sequence number or refuses with the seed's typed error (future
 * sequence, evicted data, failed or partial replay) and stays disconnected; writes
 * blocked while disconnected complete in call order after a reconnect; and close
 * releases every blocked write with ErrWriterClosed.
 *
 * Method: one property per contract, over in-memory fake connections that settle
 * through promises only; each property must also fail on a writer with the one bug
 * it is about (properties/backedpipe/_fixtures/broken-backed-writers.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BackedWriter } from "../../src/impl/backedpipe/backed-writer.ts";
import {
  ErrFutureSequence,
  ErrPartialReplay,
  ErrReplayDataUnavailable,
  ErrReplayFailed,
  ErrWriterClosed,
} from "../../src/impl/backedpipe/errors.ts";
import type { ErrorEvent } from "../../src/impl/backedpipe/errors.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import {
  ClampingFutureSequenceWriter,
  ForgivingReplayWriter,
  LazyCloseWriter,
  ReplayWhatRemainsWriter,
  YieldingWriter,
  realWriter,
  writerOf,
} from "./_fixtures/broken-backed-writers.ts";
import type { WriterFactory } from "./_fixtures/broken-backed-writers.ts";
import { FakePeer } from "./_support/fake-writable-connection.ts";
import { drainMicrotasks, observe, streamBytes } from "./_support/microtasks.ts";

/** A connected writer that has written `lengths` (all accepted by `peer`). */
async function writerThatWrote(
  create: WriterFactory,
  capacity: number,
  lengths: readonly number[],
  probes: string[] = [],
) {
  const events: ErrorEvent[] = [];
  const writer = create(capacity, (event) => events.push(event), { probe: (name) => probes.push(name) });
  const peer = new FakePeer();
  await writer.reconnect(0, peer.connect());
  for (const length of lengths) await writer.write(streamBytes(writer.sequenceNum(), length));
  return { writer, peer, events };
}

const lengthLists = fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 8 });

function futureSequenceRefused(create: WriterFactory) {
  return fc.asyncProperty(
    lengthLists,
    fc.integer({ min: 1, max: 64 }),
    fc.integer({ min: 1, max: 50 }),
    async (lengths, capacity, excess) => {
      const { writer, peer } = await writerThatWrote(create, capacity, lengths);
      const next = peer.connect();
      await expect(writer.reconnect(writer.sequenceNum() + excess, next)).rejects.toBeInstanceOf(ErrFutureSequence);
      expect(writer.connected()).toBe(false);
      expect(next.writeCount).toBe(0);
    },
  );
}

function replayExactOrUnavailable(create: WriterFactory) {
  const cases = fc.record({
    lengths: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }),
    capacity: fc.integer({ min: 1, max: 24 }),
    replayPoint: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  return fc.asyncProperty(cases, async ({ lengths, capacity, replayPoint }) => {
    const probes: string[] = [];
    const { writer } = await writerThatWrote(create, capacity, lengths, probes);
    const total = writer.sequenceNum();
    const replayFrom = Math.min(total, Math.floor(replayPoint * (total + 1)));
    const peer = new FakePeer();
    const attempt = writer.reconnect(replayFrom, peer.connect());
    if (total - replayFrom > capacity) {
      await expect(attempt).rejects.toBeInstanceOf(ErrReplayDataUnavailable);
      expect(writer.connected()).toBe(false);
      expect(peer.received).toEqual([]);
      expect(probes).toContain("backedpipe.replay-data-unavailable");
      return;
    }
    await attempt;
    expect(writer.connected()).toBe(true);
    expect(peer.received).toEqual(Array.from(streamBytes(replayFrom, total - replayFrom)));
    if (total > replayFrom) expect(probes).toContain("backedpipe.replay-from-ring-buffer");
  });
}

function failedReplayRefused(create: WriterFactory) {
  const cases = fc.record({
    lengths: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
    failure: fc.oneof(
      fc.constant({ kind: "reject" as const }),
      fc.nat(40).map((deliveredBytes) => ({ kind: "short" as const, deliveredBytes })),
    ),
    replayPoint: fc.double({ min: 0, max: 0.99, noNaN: true }),
  });
  return fc.asyncProperty(cases, async ({ lengths, failure, replayPoint }) => {
    const probes: string[] = [];
    const { writer } = await writerThatWrote(create, 1024, lengths, probes);
    const total = writer.sequenceNum();
    const replayFrom = Math.floor(replayPoint * total);
    const failingPeer = new FakePeer();
    const failing = failingPeer.connect();
    failing.plan(failure);
    const expected = failure.kind === "reject" ? ErrReplayFailed : ErrPartialReplay;
    await expect(writer.reconnect(replayFrom, failing)).rejects.toBeInstanceOf(expected);
    expect(writer.connected()).toBe(false);
    if (failure.kind === "short") expect(probes).toContain("backedpipe.partial-replay");
    // A blocked write waits for the next good reconnection, which replays everything.
    const blocked = observe(writer.write(streamBytes(total, 3)));
    await drainMicrotasks();
    expect(blocked.current.state).toBe("pending");
    const peer = new FakePeer();
    await writer.reconnect(replayFrom, peer.connect());
    await drainMicrotasks();
    expect(blocked.current.state).toBe("resolved");
    expect(peer.received).toEqual(Array.from(streamBytes(replayFrom, total + 3 - replayFrom)));
  });
}

/** Buggify "backedpipe.short-ring-buffer-read": the replay goes out in two writes, a short one first. */
function replayInPiecesExactOrRefused(create: WriterFactory) {
  const cases = fc.record({
    lengths: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
    replayPoint: fc.double({ min: 0, max: 0.99, noNaN: true }),
    failAt: fc.constantFrom("none" as const, "first" as const, "second" as const),
  });
  return fc.asyncProperty(cases, async ({ lengths, replayPoint, failAt }) => {
    const probes: string[] = [];
    const writer = create(1024, () => {}, {
      probe: (name) => probes.push(name),
      buggify: (point) => point === "backedpipe.short-ring-buffer-read",
    });
    await writer.reconnect(0, new FakePeer().connect());
    for (const length of lengths) await writer.write(streamBytes(writer.sequenceNum(), length));
    const total = writer.sequenceNum();
    const replayFrom = Math.floor(replayPoint * total);
    const length = total - replayFrom;
    const firstPiece = length >= 2 ? Math.ceil(length / 4) : length;
    const peer = new FakePeer();
    const connection = peer.connect();
    if (failAt === "first") connection.plan({ kind: "reject" });
    if (failAt === "second") {
      connection.plan({ kind: "accept" });
      connection.plan({ kind: "reject" });
    }
    const attempt = writer.reconnect(replayFrom, connection);
    if (failAt === "none" || (failAt === "second" && length < 2)) {
      await attempt;
      expect(peer.received, "replayed bytes").toEqual(Array.from(streamBytes(replayFrom, length)));
      expect(connection.writeCount, "writes of the replay").toBe(length >= 2 ? 2 : 1);
      return;
    }
    if (failAt === "first") {
      await expect(attempt, "a replay failing at once instead of rejecting").rejects.toBeInstanceOf(ErrReplayFailed);
      expect(peer.received).toEqual([]);
    } else {
      await expect(attempt, "a replay cut after its first piece instead of rejecting").rejects.toMatchObject({
        name: "ErrPartialReplay",
        writtenBytes: firstPiece,
        replayLengthBytes: length,
      });
      expect(peer.received).toEqual(Array.from(streamBytes(replayFrom, firstPiece)));
      expect(probes).toContain("backedpipe.partial-replay");
    }
    expect(writer.connected()).toBe(false);
    // The peer asks for what it lacks: the next replay completes the stream exactly.
    const next = new FakePeer();
    await writer.reconnect(replayFrom + peer.received.length, next.connect());
    expect([...peer.received, ...next.received], "bytes over both connections").toEqual(
      Array.from(streamBytes(replayFrom, length)),
    );
  });
}

function blockedWritesCompleteInOrder(create: WriterFactory) {
  const cases = fc.record({
    lengths: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 10 }),
    startConnected: fc.boolean(),
  });
  return fc.asyncProperty(cases, async ({ lengths, startConnected }) => {
    const writer = create(1024, () => {});
    const peer = new FakePeer();
    if (startConnected) {
      const first = peer.connect();
      first.plan({ kind: "reject" }); // The first write fails: the writer disconnects and everything waits.
      await writer.reconnect(0, first);
    }
    const completed: number[] = [];
    let position = 0;
    const writes = lengths.map((length, index) => {
      const bytes = streamBytes(position, length);
      position += length;
      return observe(writer.write(bytes).then(() => void completed.push(index)));
    });
    await drainMicrotasks();
    writes.forEach((write, index) => expect(write.current.state).toBe(lengths[index] === 0 ? "resolved" : "pending"));
    await writer.reconnect(peer.received.length, peer.connect());
    await drainMicrotasks();
    for (const write of writes) expect(write.current.state).toBe("resolved");
    expect(
      completed.filter((index) => lengths[index] !== 0),
      "completion order",
    ).toEqual(lengths.flatMap((length, index) => (length === 0 ? [] : [index])));
    expect(peer.received, "peer bytes").toEqual(Array.from(streamBytes(0, position)));
  });
}

type BlockedBy = "never-connected" | "failed-write" | "hung-connection";

function closeReleasesBlockedWrites(create: WriterFactory) {
  const cases = fc.record({
    blockedBy: fc.constantFrom<BlockedBy>("never-connected", "failed-write", "hung-connection"),
    lengths: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
  });
  return fc.asyncProperty(cases, async ({ blockedBy, lengths }) => {
    const writer: BackedWriter = create(1024, () => {});
    const peer = new FakePeer();
    if (blockedBy !== "never-connected") {
      const connection = peer.connect();
      connection.plan({ kind: blockedBy === "failed-write" ? "reject" : "hang" });
      await writer.reconnect(0, connection);
    }
    const writes = lengths.map((length) => observe(writer.write(streamBytes(0, length))));
    await drainMicrotasks();
    for (const write of writes) expect(write.current.state).toBe("pending");
    writer.close();
    await drainMicrotasks();
    for (const write of writes) {
      expect(write.current.state, "write released by close").toBe("rejected");
      expect(write.current.state === "rejected" && write.current.error).toBeInstanceOf(ErrWriterClosed);
    }
    await expect(writer.write(streamBytes(0, 1))).rejects.toBeInstanceOf(ErrWriterClosed);
    await expect(writer.write(new Uint8Array(0))).rejects.toBeInstanceOf(ErrWriterClosed);
    await expect(writer.reconnect(0, peer.connect())).rejects.toBeInstanceOf(ErrWriterClosed);
  });
}

/** Runs `property` on the real writer (must hold) and on `broken` (must fail, with a message matching `reason`). */
function checkWriterProperty<T>(
  name: string,
  property: (create: WriterFactory) => fc.IAsyncProperty<T>,
  broken: { readonly create: WriterFactory; readonly bug: string; readonly reason: RegExp },
): void {
  it(name, async () => {
    await fc.assert(property(realWriter), propertyParameters(name, 100, { includeErrorInReport: true }));
  });

  it(`${name}: fails on a writer that ${broken.bug}`, async () => {
    const details = await fc.check(property(broken.create), propertyParameters(name, 100));
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(broken.reason);
  });
}

describe("BackedWriter", () => {
  checkWriterProperty(
    "backedpipe writer refuses a replay from a future sequence with ErrFutureSequence",
    futureSequenceRefused,
    { create: writerOf(ClampingFutureSequenceWriter), bug: "clamps a future sequence", reason: /instead of rejecting/ },
  );
  checkWriterProperty(
    "backedpipe writer replays exactly the buffered tail, or refuses with ErrReplayDataUnavailable",
    replayExactOrUnavailable,
    {
      create: writerOf(ReplayWhatRemainsWriter),
      bug: "replays what remains of an evicted tail",
      reason: /instead of rejecting/,
    },
  );
  checkWriterProperty(
    "backedpipe writer refuses a failing or short-writing connection with ErrReplayFailed or ErrPartialReplay",
    failedReplayRefused,
    { create: writerOf(ForgivingReplayWriter), bug: "ignores replay failures", reason: /instead of rejecting/ },
  );
  checkWriterProperty(
    "backedpipe writer replaying in two pieces (buggify) replays exactly the tail, or refuses with ErrReplayFailed or ErrPartialReplay",
    replayInPiecesExactOrRefused,
    { create: writerOf(ForgivingReplayWriter), bug: "ignores replay failures", reason: /instead of rejecting/ },
  );
  checkWriterProperty(
    "backedpipe writer completes writes blocked across a reconnect in call order",
    blockedWritesCompleteInOrder,
    {
      create: writerOf(YieldingWriter),
      bug: "lets odd-length writes yield before queueing",
      reason: /completion order|peer bytes/,
    },
  );
  checkWriterProperty(
    "backedpipe writer close releases blocked writes with ErrWriterClosed",
    closeReleasesBlockedWrites,
    { create: writerOf(LazyCloseWriter), bug: "ignores close while disconnected", reason: /released by close/ },
  );

  it("keeps its own copy of each write: changing the caller's buffer afterwards changes neither delivery nor replay", async () => {
    // The caller may reuse its buffer once write() is called: the replay comes from the ring buffer's own copy.
    const writer = realWriter(64, () => undefined);
    const peer = new FakePeer();
    const first = peer.connect();
    first.plan({ kind: "reject" });
    await writer.reconnect(0, first);
    const buffer = streamBytes(0, 4);
    const write = observe(writer.write(buffer));
    await drainMicrotasks();
    buffer.fill(0xff);
    expect(write.current.state).toBe("pending");
    await writer.reconnect(0, peer.connect());
    await drainMicrotasks();
    expect(write.current.state).toBe("resolved");
    expect(peer.received).toEqual([0, 1, 2, 3]);
  });

  it("tags a failed write's error with the generation its connection was installed under", async () => {
    const events: ErrorEvent[] = [];
    const writer = realWriter(64, (event) => events.push(event));
    const peer = new FakePeer();
    writer.setGeneration(7);
    const first = peer.connect();
    first.plan({ kind: "reject" });
    await writer.reconnect(0, first);
    writer.setGeneration(8);
    const write = observe(writer.write(streamBytes(0, 4)));
    await drainMicrotasks();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ component: "writer", generation: 7 });
    expect(writer.connected()).toBe(false);
    expect(write.current.state).toBe("pending");
    await writer.reconnect(peer.received.length, peer.connect());
    await drainMicrotasks();
    expect(write.current.state).toBe("resolved");
    expect(writer.sequenceNum()).toBe(4);
    expect(peer.received).toEqual([0, 1, 2, 3]);
  });
});
