/**
 * Invariant: the resume handshake of the pipe scenarios hands each side the peer's
 * exact reader sequence number, and loses none of the bytes that follow the frame,
 * however the simulated stream splits them into reads.
 *
 * Method: frames round-trip for any safe sequence number; and on a simulated stream,
 * a dialer sends its frame and then a replay in arbitrary pieces while the listener
 * runs the handshake and reads on through its ResumedConnection: it must see the
 * dialer's number and then exactly the replay bytes.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decodeSequenceNumber,
  encodeSequenceNumber,
  handshake,
  PipeHandshakeError,
} from "../../../scenarios/backedpipe/handshake.ts";
import { World } from "../../../src/sim/world.ts";
import { propertyParameters } from "../../_support/fast-check.ts";

const sequenceNumbers = fc.oneof(fc.nat(1_000_000), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(0));

/** Runs one handshake over a simulated stream; returns what the listener saw. */
async function listenerView(
  dialerNumber: number,
  listenerNumber: number,
  pieces: readonly Uint8Array[],
): Promise<{ peer: number; bytes: number[]; dialerPeer: number }> {
  const world = new World({ seed: 1 });
  const seen = { peer: -1, bytes: [] as number[], dialerPeer: -1 };
  const expectedBytes = pieces.reduce((sum, piece) => sum + piece.length, 0);
  world
    .addHost("server", async (env) => {
      const raw = await env.net.listen(1).accept();
      const result = await handshake(raw, listenerNumber, new AbortController().signal, {
        clock: env.clock,
        timeoutMs: 1000,
        probe: () => {},
      });
      seen.peer = result.peerReaderSequenceNumber;
      while (seen.bytes.length < expectedBytes) {
        const chunk = await result.connection.read();
        if (chunk === null) break;
        seen.bytes.push(...chunk);
      }
    })
    .start();
  world
    .addHost("client", async (env) => {
      const raw = await env.net.dial("server", 1);
      await raw.write(encodeSequenceNumber(dialerNumber));
      for (const piece of pieces) await raw.write(piece);
      const frame = new Uint8Array(8);
      let filled = 0;
      while (filled < 8) {
        const chunk = await raw.read();
        if (chunk === null) break;
        frame.set(chunk.subarray(0, 8 - filled), filled);
        filled += Math.min(chunk.length, 8 - filled);
      }
      seen.dialerPeer = decodeSequenceNumber(frame);
    })
    .start();
  await world.scheduler.run({ untilTime: 5000 });
  return seen;
}

describe("the pipe scenarios' resume handshake", () => {
  it("frames round-trip every safe sequence number", () => {
    const name = "pipe-handshake frames round-trip";
    fc.assert(
      fc.property(sequenceNumbers, (value) => decodeSequenceNumber(encodeSequenceNumber(value)) === value),
      propertyParameters(name, 200),
    );
    expect(() => encodeSequenceNumber(-1)).toThrow(RangeError);
    expect(() => decodeSequenceNumber(new Uint8Array(8).fill(0xff))).toThrow(PipeHandshakeError);
  });

  it("delivers the peer's number and then every byte that followed the frame", async () => {
    const name = "pipe-handshake keeps the bytes after the frame";
    const pieces = fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(sequenceNumbers, sequenceNumbers, pieces, async (dialerNumber, listenerNumber, replay) => {
        const seen = await listenerView(dialerNumber, listenerNumber, replay);
        expect(seen.peer).toBe(dialerNumber);
        expect(seen.dialerPeer).toBe(listenerNumber);
        expect(seen.bytes).toEqual(replay.flatMap((piece) => [...piece]));
      }),
      propertyParameters(name, 40),
    );
  });
});
