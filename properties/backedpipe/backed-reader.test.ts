/**
 * Examples of the BackedReader contract: reads wait while disconnected, the
 * sequence number counts delivered bytes only, reconnect hands it out exactly
 * (bytes a replaced connection still yields are discarded), failures are reported
 * with the failing connection's generation, and close releases readers with null.
 * (The reader's exactly-once delivery under faults is a property of the pipe:
 * backed-pipe.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { BackedReader } from "../../src/impl/backedpipe/backed-reader.ts";
import { ErrConnectionEnded } from "../../src/impl/backedpipe/errors.ts";
import type { ErrorEvent } from "../../src/impl/backedpipe/errors.ts";
import { FakeReadableConnection } from "./_support/fake-readable-connection.ts";
import { drainMicrotasks, observe } from "./_support/microtasks.ts";

function reader(): { reader: BackedReader; events: ErrorEvent[] } {
  const events: ErrorEvent[] = [];
  return { reader: new BackedReader((event) => events.push(event)), events };
}

describe("BackedReader", () => {
  it("waits while disconnected, then delivers in order and counts the bytes", async () => {
    const { reader: backed } = reader();
    const first = observe(backed.read());
    const second = observe(backed.read());
    await drainMicrotasks();
    expect(first.current.state).toBe("pending");
    const connection = new FakeReadableConnection();
    const handedOut: number[] = [];
    expect(await backed.reconnect(async (sequenceNumber) => (handedOut.push(sequenceNumber), connection))).toBe(true);
    connection.push(new Uint8Array([1, 2]));
    connection.push(new Uint8Array([3]));
    await drainMicrotasks();
    expect(first.current).toEqual({ state: "resolved", value: new Uint8Array([1, 2]) });
    expect(second.current).toEqual({ state: "resolved", value: new Uint8Array([3]) });
    expect(handedOut).toEqual([0]);
    expect(backed.sequenceNum()).toBe(3);
  });

  it("reports a failure with the connection's generation and resumes on the next connection", async () => {
    const { reader: backed, events } = reader();
    const broken = new FakeReadableConnection();
    backed.setGeneration(4);
    await backed.reconnect(async () => broken);
    backed.setGeneration(5);
    const read = observe(backed.read());
    broken.fail(new Error("reset"));
    await drainMicrotasks();
    expect(events).toEqual([{ error: new Error("reset"), component: "reader", generation: 4 }]);
    expect(backed.connected()).toBe(false);
    expect(read.current.state).toBe("pending");
    const next = new FakeReadableConnection();
    await backed.reconnect(async () => next);
    next.push(new Uint8Array([9]));
    await drainMicrotasks();
    expect(read.current).toEqual({ state: "resolved", value: new Uint8Array([9]) });
  });

  it("treats the end of the underlying stream as a failure", async () => {
    const { reader: backed, events } = reader();
    const ending = new FakeReadableConnection();
    await backed.reconnect(async () => ending);
    const read = observe(backed.read());
    ending.end();
    await drainMicrotasks();
    expect(events[0]?.error).toBeInstanceOf(ErrConnectionEnded);
    expect(read.current.state).toBe("pending");
  });

  it("discards what a replaced connection yields after reconnect began", async () => {
    const { reader: backed, events } = reader();
    const old = new FakeReadableConnection();
    await backed.reconnect(async () => old);
    old.push(new Uint8Array([1, 2, 3]));
    expect(await backed.read()).toEqual(new Uint8Array([1, 2, 3]));
    const read = observe(backed.read());
    await drainMicrotasks();
    expect(old.pendingCount).toBe(1);
    const next = new FakeReadableConnection();
    const reconnected = backed.reconnect(async (sequenceNumber) => {
      expect(sequenceNumber).toBe(3);
      old.push(new Uint8Array([4, 5])); // Arrives after the sequence number was handed out: the peer replays it.
      await drainMicrotasks();
      return next;
    });
    expect(await reconnected).toBe(true);
    next.push(new Uint8Array([4, 5]));
    await drainMicrotasks();
    expect(read.current).toEqual({ state: "resolved", value: new Uint8Array([4, 5]) });
    expect(backed.sequenceNum()).toBe(5);
    expect(events).toEqual([]);
  });

  it("reports a replaced connection's late failure with that connection's generation", async () => {
    const { reader: backed, events } = reader();
    const old = new FakeReadableConnection();
    backed.setGeneration(1);
    await backed.reconnect(async () => old);
    const read = observe(backed.read());
    await drainMicrotasks();
    backed.setGeneration(2);
    const next = new FakeReadableConnection();
    await backed.reconnect(async () => next);
    old.fail(new Error("late"));
    await drainMicrotasks();
    expect(events).toEqual([{ error: new Error("late"), component: "reader", generation: 1 }]);
    expect(backed.connected()).toBe(true);
    expect(read.current.state).toBe("pending");
    expect(next.pendingCount).toBe(1);
  });

  it("releases blocked reads with null on close, and refuses to reconnect after", async () => {
    const { reader: backed } = reader();
    const connection = new FakeReadableConnection();
    await backed.reconnect(async () => connection);
    const reads = [observe(backed.read()), observe(backed.read())];
    await drainMicrotasks();
    backed.close();
    await drainMicrotasks();
    for (const read of reads) expect(read.current).toEqual({ state: "resolved", value: null });
    expect(await backed.read()).toBeNull();
    expect(await backed.reconnect(async () => new FakeReadableConnection())).toBe(false);
  });
});
