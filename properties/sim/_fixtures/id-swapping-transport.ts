/**
 * A deliberately broken fixture: an RPC wire (FrameTransport) whose dialed
 * channels swap the call ids of consecutive response frames on their way to the
 * client, so that two multiplexed unary calls each receive the other's answer.
 * It works in both wire modes (it sits above the encoding), and the RPC property
 * must catch it in both (properties/sim/rpc-property.test.ts); nothing ships with it.
 */
import type { FrameChannel, FrameTransport } from "../../../src/sim/net/rpc/frame-channel.ts";
import type { Frame, ResponseFrame } from "../../../src/sim/net/rpc/frame.ts";

/** Wraps `transport`: channels it dials mix up the ids of the responses they carry. */
export function idSwappingTransport(transport: FrameTransport): FrameTransport {
  return {
    mode: transport.mode,
    prepare: (frame) => transport.prepare(frame),
    dial: async (address, port, timeoutMs) => swapping(await transport.dial(address, port, timeoutMs)),
    listen: (port) => transport.listen(port),
  };
}

function swapping(channel: FrameChannel): FrameChannel {
  let held: ResponseFrame | undefined;
  /** Holds a response until the next one arrives, then lets both through with their ids swapped. */
  const transform = (frame: Frame): Frame[] => {
    if (frame.type !== "response") return [frame];
    if (held === undefined) {
      held = frame;
      return [];
    }
    const first = held;
    held = undefined;
    return [
      { ...first, id: frame.id },
      { ...frame, id: first.id },
    ];
  };
  return {
    get remoteAddress() {
      return channel.remoteAddress;
    },
    run: (onFrame) =>
      channel.run((frame) => {
        for (const passed of transform(frame)) {
          const violation = onFrame(passed);
          if (violation !== undefined) return violation;
        }
        return undefined;
      }),
    send: (frame) => channel.send(frame),
    sendDatagram: (frame) => channel.sendDatagram(frame),
    close: () => channel.close(),
    reset: () => channel.reset(),
  };
}
