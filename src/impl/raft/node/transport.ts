/**
 * Raft messages over the Env's RPC: each message is one unary call to the peer's
 * raft service, answered at once with an empty acknowledgement; the answers of
 * Raft (votes, append responses) travel as calls the other way. The core copes
 * with loss, duplication, delay and reordering, so a failed call is simply dropped.
 *
 * InstallSnapshot carries the snapshot's bytes, read from the snapshot store; the
 * receiver stores them durably before it steps its core.
 *
 * Limits: at most PEER_INFLIGHT_MESSAGES_MAX calls in flight to one peer (beyond
 * it a message is dropped) and one snapshot transfer per peer at a time.
 * Buggify point "raft.drop-outbound-message" drops an outgoing message.
 */
import { RpcError, type Env, type RpcServer, type WireValue } from "../../../sim/env.ts";
import type { InstallSnapshot, Message, SnapshotMetadata } from "../core/index.ts";
import { PEER_INFLIGHT_MESSAGES_MAX } from "./node-options.ts";
import { decodeMessage, encodeMessage, MalformedValueError } from "./wire-codec.ts";

/** The RPC method that carries one raft message (answered with null at once). */
export const RAFT_MESSAGE_METHOD = "raft.message";
/** The RPC method that carries InstallSnapshot with the snapshot's bytes (answered once they are stored). */
export const RAFT_INSTALL_SNAPSHOT_METHOD = "raft.install-snapshot";
/** A snapshot transfer may take this many message deadlines. */
const SNAPSHOT_DEADLINE_FACTOR = 20;

/** What the transport needs from its node. */
export interface TransportHandlers {
  /** A message for this server arrived: step the core with it (synchronously). */
  receive(message: Message): void;
  /** A snapshot arrived: store it durably, then step the core with its message. */
  receiveSnapshot(message: InstallSnapshot, data: Uint8Array): Promise<void>;
  /** The bytes of a stored snapshot, if it is still stored. */
  readSnapshot(metadata: SnapshotMetadata): Promise<Uint8Array | undefined>;
  /** False once the node is shut down: incoming calls are refused. */
  running(): boolean;
}

/** Sends the core's messages to peers and hands incoming ones to the node; `start` serves, `close` stops serving. */
export class Transport {
  private server: RpcServer | undefined;
  private readonly inflight = new Map<string, number>();
  private readonly snapshotTransfers = new Set<string>();
  droppedMessages = 0;

  constructor(
    private readonly env: Env,
    private readonly port: number,
    private readonly deadlineMs: number,
    private readonly handlers: TransportHandlers,
  ) {}

  start(): void {
    const server = this.env.rpc.serve(this.port);
    server.unary(RAFT_MESSAGE_METHOD, async (request) => {
      this.handlers.receive(this.checked(request));
      return null;
    });
    server.unary(RAFT_INSTALL_SNAPSHOT_METHOD, async (request) => {
      const fields = request as { message?: WireValue; data?: WireValue } | null;
      const message = this.checked(fields?.message ?? null);
      if (message.type !== "install-snapshot" || !(fields?.data instanceof Uint8Array)) throw new RpcError("APPLICATION", "malformed snapshot transfer", "malformed");
      await this.handlers.receiveSnapshot(message, fields.data);
      return null;
    });
    this.server = server;
  }

  close(): void {
    this.server?.close();
    this.server = undefined;
  }

  /** Sends a message (fire and forget): dropped if the peer has too many in flight. */
  send(message: Message): void {
    if (this.env.buggify("raft.drop-outbound-message")) return;
    if (message.type === "install-snapshot") {
      void this.sendSnapshot(message);
      return;
    }
    this.call(message.to, RAFT_MESSAGE_METHOD, encodeMessage(message), this.deadlineMs);
  }

  private async sendSnapshot(message: InstallSnapshot): Promise<void> {
    if (this.snapshotTransfers.has(message.to)) return;
    this.snapshotTransfers.add(message.to);
    try {
      const data = await this.handlers.readSnapshot(message.snapshot);
      if (data === undefined || !this.handlers.running()) return;
      await this.call(message.to, RAFT_INSTALL_SNAPSHOT_METHOD, { message: encodeMessage(message), data }, this.deadlineMs * SNAPSHOT_DEADLINE_FACTOR);
    } finally {
      this.snapshotTransfers.delete(message.to);
    }
  }

  private call(peer: string, method: string, request: WireValue, deadlineMs: number): Promise<void> {
    const inflight = this.inflight.get(peer) ?? 0;
    if (inflight >= PEER_INFLIGHT_MESSAGES_MAX) {
      this.droppedMessages++;
      this.env.probe("raft.message-dropped-backpressure");
      return Promise.resolve();
    }
    this.inflight.set(peer, inflight + 1);
    return this.env.rpc.call(peer, this.port, method, request, { deadlineMs }).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof RpcError)) throw error;
      },
    ).finally(() => {
      this.inflight.set(peer, (this.inflight.get(peer) ?? 1) - 1);
    });
  }

  private checked(request: WireValue): Message {
    if (!this.handlers.running()) throw new RpcError("APPLICATION", "raft is shut down", "shutdown");
    try {
      const message = decodeMessage(request);
      if (message.to !== this.env.host) throw new MalformedValueError(`message for ${message.to} reached ${this.env.host}`);
      return message;
    } catch (error) {
      if (error instanceof MalformedValueError) throw new RpcError("APPLICATION", error.message, "malformed");
      throw error;
    }
  }
}
