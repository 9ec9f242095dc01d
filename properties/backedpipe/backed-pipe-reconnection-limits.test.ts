/**
 * Examples of the BackedPipe's limits: a reconnection makes at most
 * `maximumReconnectAttempts` attempts, waits between them only through the
 * caller's `sleep` with the caller's backoff, gives up at once on a failure no
 * retry can fix, and refuses a backoff without a sleep.
 */
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../src/sim/assert.ts";
import { BackedPipe } from "../../src/impl/backedpipe/backed-pipe.ts";
import type { Reconnector } from "../../src/impl/backedpipe/backed-pipe.ts";
import {
  ErrFutureSequence,
  ErrReconnectFailed,
  ErrReconnectionInProgress,
  ErrReconnectWriterFailed,
} from "../../src/impl/backedpipe/errors.ts";
import { FakeNetwork } from "./_support/fake-network.ts";
import { drainMicrotasks, observe } from "./_support/microtasks.ts";

/** A reconnector that fails `failures` times, then dials over `network`. */
function failingFirst(failures: number, network: FakeNetwork): { reconnector: Reconnector; calls: number[] } {
  const calls: number[] = [];
  const reconnector: Reconnector = async (readerSequenceNumber, signal) => {
    calls.push(readerSequenceNumber);
    if (calls.length <= failures) throw new Error(`dial ${calls.length} refused`);
    return network.clientReconnector(readerSequenceNumber, signal);
  };
  return { reconnector, calls };
}

describe("BackedPipe reconnection limits", () => {
  it("retries with the caller's backoff and sleep, and connects", async () => {
    const network = new FakeNetwork();
    const { reconnector, calls } = failingFirst(2, network);
    const sleeps: number[] = [];
    const client = new BackedPipe({
      reconnector,
      bufferCapacityBytes: 64,
      maximumReconnectAttempts: 3,
      reconnectBackoffMs: (failedAttempts) => failedAttempts * 10,
      sleep: async (durationMs) => void sleeps.push(durationMs),
    });
    const server = new BackedPipe({ reconnector: network.serverReconnector, bufferCapacityBytes: 64 });
    await Promise.all([client.connect(), server.connect()]);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([10, 20]);
    expect(client.generation()).toBe(3);
    expect(client.connected()).toBe(true);
    client.close();
    server.close();
  });

  it("gives up after the maximum number of attempts and stays disconnected", async () => {
    const network = new FakeNetwork();
    const { reconnector, calls } = failingFirst(10, network);
    const client = new BackedPipe({ reconnector, bufferCapacityBytes: 64, maximumReconnectAttempts: 4 });
    await expect(client.connect()).rejects.toBeInstanceOf(ErrReconnectFailed);
    expect(calls).toHaveLength(4);
    expect(client.state()).toBe("disconnected");
    client.close();
  });

  it("refuses a second reconnection while one runs", async () => {
    const network = new FakeNetwork();
    const client = new BackedPipe({ reconnector: network.clientReconnector, bufferCapacityBytes: 64 });
    const connecting = observe(client.connect());
    await expect(client.forceReconnect()).rejects.toBeInstanceOf(ErrReconnectionInProgress);
    client.close();
    await drainMicrotasks();
    expect(connecting.current.state).toBe("rejected");
  });

  it("stops at once when the peer asks for a future sequence: no retry can fix it", async () => {
    let calls = 0;
    const network = new FakeNetwork();
    const client = new BackedPipe({
      reconnector: async (readerSequenceNumber, signal) => {
        calls += 1;
        const result = await network.clientReconnector(readerSequenceNumber, signal);
        return { ...result, peerReaderSequenceNumber: 5 };
      },
      bufferCapacityBytes: 64,
      maximumReconnectAttempts: 5,
    });
    const server = new BackedPipe({ reconnector: network.serverReconnector, bufferCapacityBytes: 64 });
    void server.connect().catch(() => {});
    const error: unknown = await client.connect().catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ErrReconnectWriterFailed);
    expect((error as ErrReconnectWriterFailed).cause).toBeInstanceOf(ErrFutureSequence);
    expect(calls).toBe(1);
    client.close();
    server.close();
  });

  it("refuses a backoff without a sleep", () => {
    const network = new FakeNetwork();
    expect(() => new BackedPipe({ reconnector: network.clientReconnector, reconnectBackoffMs: () => 5 })).toThrow(
      AssertionError,
    );
  });
});
