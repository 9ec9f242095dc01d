/**
 * Pairs each message send with its delivery, so the diagram can draw an arrow.
 *
 * Streams (`net.stream.send` / `net.stream.deliver`) and message channels (the RPC
 * layer's object wire mode: `net.message.send` / `net.message.deliver`) are
 * ordered: the k-th delivery from A to B on connection c is the k-th send from A
 * to B on c. A reset drops only the segments still in flight (a suffix), so the
 * order holds to the end; the sends left unmatched are "lost". Message-channel
 * records that carry the sender's number (`seq`) are paired by it instead: a
 * message sent as a datagram on a channel may be lost, duplicated or overtaken
 * (src/sim/net/message-channel.ts); a duplicate's second delivery ends nothing,
 * and a loss (`net.message.drop` at the sender) makes its send "dropped".
 *
 * Datagrams (`net.datagram.send` / `.deliver` / `.drop`) are paired by their
 * arrival times (see datagram-matcher.ts). A drop at the sender (the record
 * names `to`) is a message that never left.
 *
 * An RPC frame's message (a message of a channel, or the byte segment that carries
 * it in the frames wire mode) is labelled with its call's method or the kind its
 * sender named (message-labels.ts).
 */
import { DatagramMatcher } from "./datagram-matcher.ts";
import type { DiagramEvent, DiagramMessage } from "./diagram-types.ts";
import { RpcCallLabels } from "./message-labels.ts";

/** Numbered sends awaiting their delivery at most (the oldest are given up as lost first). */
export const NUMBERED_PENDING_MAX = 100_000;

interface StreamQueue {
  /** Sends not yet delivered, from `head` on (matched entries are cleared). */
  messages: Array<DiagramMessage | undefined>;
  head: number;
}

/**
 * Matches the messages of a trace. `laneOf` gives the lane of a host named in a
 * record's fields; `hostOf` the host name of a lane. Messages come out in the
 * order of their sends.
 */
export function matchMessages(
  events: readonly DiagramEvent[],
  laneOf: (host: string) => number,
  hostOf: (lane: number) => string,
): DiagramMessage[] {
  const messages: DiagramMessage[] = [];
  const streams = new Map<string, StreamQueue>();
  const datagrams = new DatagramMatcher();
  const labels = new RpcCallLabels();
  const numbered = new Map<string, DiagramMessage>();
  for (let position = 0; position < events.length; position++) {
    const event = events[position] as DiagramEvent;
    if (event.kind.startsWith("process.")) datagrams.process(event, hostOf(event.lane));
    if (!event.kind.startsWith("net.")) continue;
    const fields = event.fields ?? {};
    const host = hostOf(event.lane);
    switch (event.kind) {
      case "net.stream.send":
      case "net.message.send": {
        if (typeof fields.to !== "string") break;
        const message = newStreamMessage(position, event, fields.connection, laneOf(fields.to));
        if (typeof fields.seq === "number")
          sendNumbered(numbered, message, numberedKey(fields.connection, host, fields.to, fields.seq));
        else enqueueStream(streams, message, fields.connection, fields.to, host);
        const label = labels.label(host, fields);
        if (label !== undefined) message.label = label;
        messages.push(message);
        break;
      }
      case "net.stream.deliver":
      case "net.message.deliver":
        if (typeof fields.from !== "string") break;
        if (typeof fields.seq === "number")
          deliverNumbered(numbered, position, numberedKey(fields.connection, fields.from, host, fields.seq));
        else deliverStream(streams, position, fields.connection, fields.from, host);
        break;
      case "net.message.drop":
        // The link lost a message sent as a datagram: its send was traced just before.
        if (typeof fields.to === "string" && typeof fields.seq === "number")
          dropNumbered(numbered, numberedKey(fields.connection, host, fields.to, fields.seq));
        break;
      case "net.datagram.send":
        if (typeof fields.to !== "string") break;
        messages.push(datagrams.send(position, event, host, fields.to, laneOf(fields.to)));
        break;
      case "net.datagram.deliver":
      case "net.datagram.drop":
        if (typeof fields.from === "string") datagrams.end(position, event, fields.from, host);
        // A datagram the sender's side dropped (no delivery side): a message of its own, dropped at once.
        else if (event.kind === "net.datagram.drop" && typeof fields.to === "string")
          messages.push(droppedDatagram(position, event, laneOf(fields.to)));
        break;
    }
  }
  return messages;
}

/** The key of a message numbered on its connection (a stream message sent as a datagram of the object path). */
function numberedKey(connection: unknown, from: string, to: string, seq: number): string {
  return `${String(connection)}\u0000${from}\u0000${to}\u0000${seq}`;
}

function droppedDatagram(position: number, event: DiagramEvent, toLane: number): DiagramMessage {
  return { transport: "datagram", send: position, end: undefined, fromLane: event.lane, toLane, outcome: "dropped" };
}

function newStreamMessage(position: number, event: DiagramEvent, connection: unknown, toLane: number): DiagramMessage {
  const message: DiagramMessage = {
    transport: "stream",
    send: position,
    end: undefined,
    fromLane: event.lane,
    toLane,
    outcome: "lost",
  };
  if (typeof connection === "number") message.connection = connection;
  return message;
}

function sendNumbered(numbered: Map<string, DiagramMessage>, message: DiagramMessage, key: string): void {
  numbered.set(key, message);
  if (numbered.size > NUMBERED_PENDING_MAX) {
    const oldest = numbered.keys().next().value;
    if (oldest !== undefined) numbered.delete(oldest);
  }
}

function deliverNumbered(numbered: Map<string, DiagramMessage>, position: number, key: string): void {
  const message = numbered.get(key);
  if (message === undefined) return;
  numbered.delete(key);
  message.end = position;
  message.outcome = "delivered";
}

function dropNumbered(numbered: Map<string, DiagramMessage>, key: string): void {
  const message = numbered.get(key);
  if (message === undefined) return;
  numbered.delete(key);
  message.outcome = "dropped";
}

function enqueueStream(
  streams: Map<string, StreamQueue>,
  message: DiagramMessage,
  connection: unknown,
  to: string,
  host: string,
): void {
  const key = `${String(connection)}\u0000${host}\u0000${to}`;
  let queue = streams.get(key);
  if (queue === undefined) {
    queue = { messages: [], head: 0 };
    streams.set(key, queue);
  }
  queue.messages.push(message);
}

function deliverStream(
  streams: Map<string, StreamQueue>,
  position: number,
  connection: unknown,
  from: string,
  host: string,
): void {
  const queue = streams.get(`${String(connection)}\u0000${from}\u0000${host}`);
  if (queue === undefined || queue.head >= queue.messages.length) return;
  const message = queue.messages[queue.head];
  queue.messages[queue.head] = undefined;
  queue.head++;
  if (queue.head === queue.messages.length) {
    queue.messages.length = 0;
    queue.head = 0;
  }
  if (message === undefined) return;
  message.end = position;
  message.outcome = "delivered";
}
