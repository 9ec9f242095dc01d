/**
 * A deliberately broken fixture: a `Net` whose dialed connections swap the call
 * ids of consecutive response frames on their way to the RPC client, so that two
 * multiplexed unary calls each receive the other's answer. The RPC property must
 * catch this (see properties/sim/rpc-property.test.ts); nothing ships with it.
 */
import type { Connection, Net } from "../../../src/sim/env.ts";
import { encodeFrame, type Frame, type ResponseFrame } from "../../../src/sim/net/rpc/frame.ts";
import { FrameReader } from "../../../src/sim/net/rpc/frame-reader.ts";
import { concatenate } from "../_support/byte-pattern.ts";

/** Wraps `net`: connections it dials mix up the ids of the responses they carry. */
export function idSwappingNet(net: Net): Net {
  return {
    address: net.address,
    listen: (port) => net.listen(port),
    dial: async (address, port, options) => new IdSwappingConnection(await net.dial(address, port, options)),
    sendDatagram: (address, port, payload) => net.sendDatagram(address, port, payload),
    onDatagram: (port, handler) => net.onDatagram(port, handler),
  };
}

class IdSwappingConnection implements Connection {
  private readonly reader = new FrameReader();
  private held: ResponseFrame | undefined;

  constructor(private readonly inner: Connection) {}

  get localAddress(): string {
    return this.inner.localAddress;
  }
  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }
  get closed(): boolean {
    return this.inner.closed;
  }

  async read(): Promise<Uint8Array | null> {
    while (true) {
      const chunk = await this.inner.read();
      if (chunk === null) return null;
      this.reader.push(chunk);
      const frames: Frame[] = [];
      for (let decoded = this.reader.next(); decoded !== undefined; decoded = this.reader.next()) {
        if (decoded.frame === undefined) throw new Error(`fixture: malformed frame ${decoded.malformed}`);
        frames.push(...this.transform(decoded.frame));
      }
      if (frames.length > 0) return concatenate(frames.map((frame) => encodeFrame(frame)));
    }
  }

  write(data: Uint8Array): Promise<void> {
    return this.inner.write(data);
  }
  close(): void {
    this.inner.close();
  }
  reset(): void {
    this.inner.reset();
  }

  /** Holds a response until the next one arrives, then lets both through with their ids swapped. */
  private transform(frame: Frame): Frame[] {
    if (frame.type !== "response") return [frame];
    const held = this.held;
    if (held === undefined) {
      this.held = frame;
      return [];
    }
    this.held = undefined;
    return [{ ...held, id: frame.id }, { ...frame, id: held.id }];
  }
}

