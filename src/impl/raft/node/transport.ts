/**
 * Raft messages over the Env's RPC: each message is one notification (one-way) to
 * the peer's raft service, on the pooled connection to it, as etcd's rafthttp
 * streams messages; the answers of Raft (votes, append responses) travel as
 * notifications the other way. The core copes with loss, duplication, delay and
 * reordering, so the transport relies on none of the connection's guarantees: it
 * sends every message as a datagram (the link may lose, duplicate or reorder it),
 * and a message lost with its connection, or one that is malformed or reaches a
 * server that shut down, is simply dropped.
 *
 * InstallSnapshot carries the snapshot's bytes, read from the snapshot store, as a
 * unary call: the receiver stores them durably before it steps its core, and the
 * answer frees the transfer.
 *
 * Limits: the RPC layer's queue of notifications per connection (beyond it a
 * message is dropped, counted in `dropped_messages`) and one snapshot transfer per
 * peer at a time. Buggify points "raft.drop-outbound-message" drops an outgoing
 * message, "raft.duplicate-outbound-message" sends one twice.
 */
import { RpcError, type Env, type NotifyOptions, type RpcServer, type WireValue } from "../../../sim/env.ts";
import type { InstallSnapshot, Message, SnapshotMetadata } from "../core/index.ts";
import { decodeMessage, encodeMessage, MalformedValueError } from "./wire-codec.ts";

/** The RPC method that carries one raft message (a notification). */
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
  private readonly snapshotTransfers = new Set<string>();
  /** The options of a raft message's notification, by message type (a handful), made once each. */
  private readonly notifyOptions = new Map<string, NotifyOptions>();
  droppedMessages = 0;

  constructor(
    private readonly env: Env,
    private readonly port: number,
    private readonly deadlineMs: number,
    private readonly handlers: TransportHandlers,
  ) {}

  start(): void {
    const server = this.env.rpc.serve(this.port);
    server.notification(RAFT_MESSAGE_METHOD, (request) => {
      this.handlers.receive(this.checked(request));
    });
    server.unary(RAFT_INSTALL_SNAPSHOT_METHOD, async (request) => {
      const fields = request as { message?: WireValue; data?: WireValue } | null;
      const message = this.checked(fields?.message ?? null);
      if (message.type !== "install-snapshot" || !(fields?.data instanceof Uint8Array))
        throw new RpcError("APPLICATION", "malformed snapshot transfer", "malformed");
      await this.handlers.receiveSnapshot(message, fields.data);
      return null;
    });
    this.server = server;
  }

  close(): void {
    this.server?.close();
    this.server = undefined;
  }

  /** Sends a message (fire and forget): dropped if too many wait on the connection to the peer. */
  send(message: Message): void {
    if (this.env.buggify("raft.drop-outbound-message")) return;
    // A message the network delivers twice, or one a retry sent again: the core must not care.
    if (message.type !== "install-snapshot" && this.env.buggify("raft.duplicate-outbound-message"))
      this.notify(message);
    if (message.type === "install-snapshot") {
      void this.sendSnapshot(message);
      return;
    }
    this.notify(message);
  }

  private notify(message: Message): void {
    // The core copes with lost, duplicated and reordered messages: they go as datagrams.
    if (
      !this.env.rpc.notify(
        message.to,
        this.port,
        RAFT_MESSAGE_METHOD,
        encodeMessage(message),
        this.notifyOptionsOf(message.type),
      )
    ) {
      this.droppedMessages++;
      this.env.probe("raft.message-dropped-backpressure");
    }
  }

  private notifyOptionsOf(type: Message["type"]): NotifyOptions {
    let options = this.notifyOptions.get(type);
    if (options === undefined) {
      options = { dialTimeoutMs: this.deadlineMs, datagram: true, kind: type };
      this.notifyOptions.set(type, options);
    }
    return options;
  }

  private async sendSnapshot(message: InstallSnapshot): Promise<void> {
    if (this.snapshotTransfers.has(message.to)) return;
    this.snapshotTransfers.add(message.to);
    try {
      const data = await this.handlers.readSnapshot(message.snapshot);
      if (data === undefined || !this.handlers.running()) return;
      const request = { message: encodeMessage(message), data };
      await this.env.rpc.call(message.to, this.port, RAFT_INSTALL_SNAPSHOT_METHOD, request, {
        deadlineMs: this.deadlineMs * SNAPSHOT_DEADLINE_FACTOR,
      });
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
    } finally {
      this.snapshotTransfers.delete(message.to);
    }
  }

  private checked(request: WireValue): Message {
    if (!this.handlers.running()) throw new RpcError("APPLICATION", "raft is shut down", "shutdown");
    try {
      const message = decodeMessage(request);
      if (message.to !== this.env.host)
        throw new MalformedValueError(`message for ${message.to} reached ${this.env.host}`);
      return message;
    } catch (error) {
      if (error instanceof MalformedValueError) throw new RpcError("APPLICATION", error.message, "malformed");
      throw error;
    }
  }
}
