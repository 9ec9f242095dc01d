/**
 * How the RPC layer moves frames between two processes, in one of two wire modes:
 *
 * - "frames": each frame is encoded (frame.ts) and written to an Env byte stream,
 *   and read back by the frame reader, as a real system does; the codec and its
 *   malformed-input handling are under test.
 * - "objects": each frame is copied (frame-copy.ts) and handed to the peer whole,
 *   as one message of a kernel message channel (../message-channel.ts): the same
 *   connection, ordering, window, latency, partitions, clogs, pauses, crashes and
 *   resets, with no encoding, buffering or decoding.
 *
 * A run picks one mode for all its hosts. Everything above this file (calls,
 * deadlines, cancels, credits, limits) is the same code in both modes.
 */
import type { Net, NetError } from "../../env.ts";
import type { MessageEndpoint } from "../message-channel.ts";
import { copyFrame, type CopiedFrame } from "./frame-copy.ts";
import { encodeFrame, type Frame } from "./frame.ts";
import { addFrameLabel, nameSegment, segmentLabel } from "./frame-labels.ts";
import { readFrames, type ReadEnd } from "./frame-reader.ts";
import type { Connection } from "../../env.ts";
import { checkWireValue } from "./wire-value.ts";

/** How frames cross the wire in a run. */
export type WireMode = "objects" | "frames";
export const WIRE_MODES: readonly WireMode[] = ["objects", "frames"];

/** A frame ready to send: its encoding (frames mode), or its private copy and size (objects mode). */
export type OutgoingFrame = Uint8Array | CopiedFrame;

/** One connection, as the RPC layer uses it. */
export interface FrameChannel {
  readonly remoteAddress: string;
  /**
   * Hands each frame that arrives to `onFrame`, in order, until the channel ends;
   * `onFrame` returns why a frame breaks the protocol, or undefined. Resolves with
   * how it ended (never rejects). Call once.
   */
  run(onFrame: (frame: Frame) => string | undefined): Promise<ReadEnd>;
  /**
   * Sends a prepared frame: undefined when taken at once, else a promise that settles when taken or when the channel
   * broke.
   */
  send(frame: OutgoingFrame): Promise<void> | undefined;
  /**
   * Sends a prepared frame as a datagram (lost, duplicated or reordered as the link
   * says), where the wire can: false when it cannot (a byte stream keeps order) or
   * the channel is closed, and the caller then uses `send`.
   */
  sendDatagram(frame: OutgoingFrame): boolean;
  close(): void;
  reset(): void;
}

export interface FrameListener {
  accept(): Promise<FrameChannel>;
  close(): void;
}

/** The wire of one process incarnation's RPC layer. */
export interface FrameTransport {
  readonly mode: WireMode;
  /**
   * Checks a frame's payload (or details) and encodes or copies the frame for
   * sending. Throws NotWireValueError when the payload is not a WireValue, and
   * RangeError when the frame is too large.
   */
  prepare(frame: Frame): OutgoingFrame;
  dial(address: string, port: number, timeoutMs: number): Promise<FrameChannel>;
  /** Listens at once (throws NetError EADDRINUSE if the port is taken). */
  listen(port: number): FrameListener;
}

/** Frames mode: encoded frames on the Env's byte streams. */
export function byteTransport(net: Net): FrameTransport {
  return {
    mode: "frames",
    prepare: (frame) => {
      const encoded = checkedEncodeFrame(frame);
      nameSegment(encoded, frame);
      return encoded;
    },
    dial: async (address, port, timeoutMs) => new ByteChannel(await net.dial(address, port, { timeoutMs })),
    listen: (port) => {
      const listener = net.listen(port);
      return { accept: async () => new ByteChannel(await listener.accept()), close: () => listener.close() };
    },
  };
}

/** The kernel's byte streams name each segment (one written frame) in the trace with this, when given. */
interface LabelledConnection extends Connection {
  label?: (segment: Uint8Array) => Readonly<Record<string, unknown>>;
}

class ByteChannel implements FrameChannel {
  constructor(private readonly connection: LabelledConnection) {
    // A frame is written as one segment: its encoding's label names the segment's arrow.
    if ("label" in connection) connection.label = segmentLabel;
  }
  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }
  run(onFrame: (frame: Frame) => string | undefined): Promise<ReadEnd> {
    return readFrames(this.connection, onFrame);
  }
  send(frame: OutgoingFrame): Promise<void> {
    // An encoded frame is fresh and nobody changes it: the kernel's streams take it without a copy.
    const connection = this.connection as Connection & { writeOwned?: (bytes: Uint8Array) => Promise<void> };
    return connection.writeOwned !== undefined
      ? connection.writeOwned(frame as Uint8Array)
      : connection.write(frame as Uint8Array);
  }
  sendDatagram(): boolean {
    return false;
  }
  close(): void {
    this.connection.close();
  }
  reset(): void {
    this.connection.reset();
  }
}

/** What the objects mode needs of the kernel: message channels dialed and listened for by one incarnation. */
export interface MessageNet {
  dial(address: string, port: number, timeoutMs: number): Promise<MessageEndpoint<unknown>>;
  listen(port: number): { accept(): Promise<MessageEndpoint<unknown>>; close(): void };
}

/** Objects mode: copied frames as messages of kernel message channels. */
export function objectTransport(net: MessageNet): FrameTransport {
  return {
    mode: "objects",
    prepare: copyFrame,
    dial: async (address, port, timeoutMs) => new ObjectChannel(await net.dial(address, port, timeoutMs)),
    listen: (port) => {
      const listener = net.listen(port);
      return { accept: async () => new ObjectChannel(await listener.accept()), close: () => listener.close() };
    },
  };
}

class ObjectChannel implements FrameChannel {
  private readonly endpoint: MessageEndpoint<Frame>;

  constructor(endpoint: MessageEndpoint<unknown>) {
    this.endpoint = endpoint as MessageEndpoint<Frame>;
    this.endpoint.label = addFrameLabel;
  }
  get remoteAddress(): string {
    return this.endpoint.remoteAddress;
  }
  run(onFrame: (frame: Frame) => string | undefined): Promise<ReadEnd> {
    return new Promise((resolve) => {
      let done = false;
      this.endpoint.listen({
        message: (frame) => {
          if (done) return;
          const violation = onFrame(frame);
          if (violation === undefined) return;
          done = true;
          resolve({ kind: "malformed", reason: violation });
        },
        ended: (error: NetError | undefined) => {
          if (done) return;
          done = true;
          resolve(error === undefined ? { kind: "end" } : { kind: "reset", error });
        },
      });
    });
  }
  send(frame: OutgoingFrame): Promise<void> | undefined {
    const copied = frame as CopiedFrame;
    return this.endpoint.send(copied.frame, copied.size);
  }
  sendDatagram(frame: OutgoingFrame): boolean {
    const copied = frame as CopiedFrame;
    return this.endpoint.sendDatagram(copied.frame, copied.size, (original) => copyFrame(original).frame);
  }
  close(): void {
    this.endpoint.close();
  }
  reset(): void {
    this.endpoint.reset();
  }
}

/** Frames mode's prepare: the check that copying does as it goes, then the encoding. */
function checkedEncodeFrame(frame: Frame): Uint8Array {
  if (
    frame.type === "request" ||
    frame.type === "response" ||
    frame.type === "message" ||
    frame.type === "notification"
  )
    checkWireValue(frame.payload);
  else if (frame.type === "error" && frame.details !== undefined) checkWireValue(frame.details);
  return encodeFrame(frame);
}
