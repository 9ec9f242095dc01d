/**
 * One pooled client connection to an (address, port): dialed on demand, carrying
 * many calls at once, told apart by call id.
 *
 * Faults handled here: a dial that fails (refused, timed out) and a connection that
 * resets or ends fail every call in flight with UNAVAILABLE (they may or may not
 * have run) and take the connection out of the pool, so the next call redials. A
 * malformed frame or a protocol violation from the server resets the connection
 * and fails the calls in flight with MALFORMED. Calls in flight are bounded by
 * `RPC_PENDING_CALLS_MAX`; beyond it a call fails fast with UNAVAILABLE.
 * Notifications waiting for the dial or for window are bounded by
 * `RPC_NOTIFICATIONS_QUEUED_MAX`; beyond it one is dropped, and those queued are
 * lost with a connection that fails (they carry no answer to fail).
 */
import { RpcError } from "../../env.ts";
import { assert } from "../../assert.ts";
import { describeError } from "./errors.ts";
import type { FrameChannel, FrameTransport, OutgoingFrame } from "./frame-channel.ts";
import type { ReadEnd } from "./frame-reader.ts";
import type { Frame, ServerFrame } from "./frame.ts";
import { RPC_NOTIFICATIONS_QUEUED_MAX, RPC_PENDING_CALLS_MAX } from "./limits.ts";

/** A call in flight, as its connection sees it. */
export interface PendingCall {
  readonly id: number;
  /** The request frame, written as soon as the connection is up. */
  readonly requestFrame: OutgoingFrame;
  /** A frame for this call arrived. Returns why it breaks the protocol, or undefined. */
  receive(frame: ServerFrame): string | undefined;
  /** The connection failed under the call (it is already unregistered): settle with `error`. */
  fail(error: RpcError): void;
}

/** Where a client connection goes. */
export interface ClientTarget {
  readonly address: string;
  readonly port: number;
}

type ConnectionState = "dialing" | "open" | "finished";

/**
 * A connection to one target, shared by every call to it. Calls register in
 * increasing id order and are answered by id; frames for calls the caller already
 * gave up on are dropped, frames for ids never used break the protocol.
 */
export class ClientConnection {
  private state: ConnectionState = "dialing";
  private connection: FrameChannel | undefined;
  private readonly calls = new Map<number, PendingCall>();
  private highestCallId = 0;
  private failureError: RpcError | undefined;
  /** Notifications waiting for the dial to finish. */
  private readonly dialQueue: Array<{ readonly id: number; readonly frame: OutgoingFrame }> = [];
  /** Notifications the channel holds back for window. */
  private notificationsWaitingForWindow = 0;

  /**
   * Starts dialing at once. `onFinished` runs exactly once, when the connection
   * stops taking calls (failed, ended or closed), before its calls are failed.
   */
  constructor(
    private readonly transport: FrameTransport,
    readonly target: ClientTarget,
    dialTimeoutMs: number,
    private readonly onFinished: (connection: ClientConnection) => void,
  ) {
    void this.run(dialTimeoutMs);
  }

  /** Calls in flight. */
  get callCount(): number {
    return this.calls.size;
  }

  /** Why the connection failed, once it has. */
  get failure(): RpcError | undefined {
    return this.failureError;
  }

  /** True once the connection takes no more calls. */
  get finished(): boolean {
    return this.state === "finished";
  }

  /**
   * Takes a call (ids increase from call to call) and writes its request once
   * connected. Returns UNAVAILABLE without taking it when the connection is full.
   */
  register(call: PendingCall): RpcError | undefined {
    assert(this.state !== "finished", "register on a finished rpc connection");
    assert(call.id > this.highestCallId, () => `rpc call id ${call.id} not above ${this.highestCallId}`);
    if (this.calls.size >= RPC_PENDING_CALLS_MAX) {
      return new RpcError(
        "UNAVAILABLE",
        `too many pending calls to ${this.describeTarget()} (limit ${RPC_PENDING_CALLS_MAX})`,
      );
    }
    this.highestCallId = call.id;
    this.calls.set(call.id, call);
    if (this.state === "open") this.write(call.requestFrame);
    return undefined;
  }

  /**
   * Sends a one-way notification (its id, from the same sequence as the calls', is
   * `id`). False when it is dropped at once: the connection finished, or too many wait.
   */
  notify(id: number, frame: OutgoingFrame, datagram = false): boolean {
    if (this.state === "finished") return false;
    assert(id > this.highestCallId, () => `rpc notification id ${id} not above ${this.highestCallId}`);
    if (this.dialQueue.length + this.notificationsWaitingForWindow >= RPC_NOTIFICATIONS_QUEUED_MAX) return false;
    this.highestCallId = id;
    if (this.state === "dialing") {
      this.dialQueue.push({ id, frame });
      return true;
    }
    if (datagram && (this.connection as FrameChannel).sendDatagram(frame)) return true;
    this.writeNotification(frame);
    return true;
  }

  private writeNotification(frame: OutgoingFrame): void {
    const connection = this.connection;
    assert(connection !== undefined, "rpc notification before the connection is up");
    const sending = connection.send(frame);
    if (sending === undefined) return;
    this.notificationsWaitingForWindow++;
    sending.then(
      () => this.notificationsWaitingForWindow--,
      (error: unknown) => {
        this.notificationsWaitingForWindow--;
        this.fail(new RpcError("UNAVAILABLE", `connection to ${this.describeTarget()} lost: ${describeError(error)}`));
      },
    );
  }

  /** The call settled on its own (answer or error from the server): forget it. */
  unregister(id: number): void {
    this.calls.delete(id);
  }

  /** The caller gives up on a call: forget it, and tell the server if it was sent the request. */
  cancel(id: number): void {
    if (!this.calls.delete(id)) return;
    if (this.state === "open") this.send({ type: "cancel", id });
  }

  /** Lets the server send `count` more messages on stream `id`. */
  grant(id: number, count: number): void {
    if (this.state === "open" && this.calls.has(id)) this.send({ type: "credit", id, count });
  }

  /**
   * Closes an idle connection (no calls in flight) gracefully; notifications still waiting for the dial are dropped.
   */
  close(): void {
    assert(this.calls.size === 0, "closing an rpc connection with calls in flight");
    if (this.state === "finished") return;
    this.state = "finished";
    this.onFinished(this);
    this.connection?.close();
  }

  private async run(dialTimeoutMs: number): Promise<void> {
    let connection: FrameChannel;
    try {
      connection = await this.transport.dial(this.target.address, this.target.port, dialTimeoutMs);
    } catch (error) {
      this.fail(new RpcError("UNAVAILABLE", `dial ${this.describeTarget()} failed: ${describeError(error)}`));
      return;
    }
    if (this.state === "finished") {
      connection.close();
      return;
    }
    this.connection = connection;
    this.state = "open";
    this.sendWaiting();
    this.ended(await connection.run((frame) => this.receive(frame)));
  }

  /** Sends the calls and notifications made while dialing, in the order they were made (by id). */
  private sendWaiting(): void {
    const notifications = this.dialQueue.splice(0);
    let next = 0;
    const sendNotificationsBefore = (id: number) => {
      for (; next < notifications.length; next++) {
        const notification = notifications[next] as { readonly id: number; readonly frame: OutgoingFrame };
        if (notification.id > id) return;
        this.writeNotification(notification.frame);
      }
    };
    for (const call of this.calls.values()) {
      sendNotificationsBefore(call.id);
      this.write(call.requestFrame);
    }
    sendNotificationsBefore(Number.POSITIVE_INFINITY);
  }

  private receive(frame: Frame): string | undefined {
    if (
      frame.type === "request" ||
      frame.type === "cancel" ||
      frame.type === "credit" ||
      frame.type === "notification"
    ) {
      return `server sent a ${frame.type} frame`;
    }
    const call = this.calls.get(frame.id);
    if (call === undefined) {
      // A late answer to a call the caller gave up on is normal; one to a call never made is not.
      return frame.id > this.highestCallId ? `server answered call ${frame.id}, which was never made` : undefined;
    }
    return call.receive(frame);
  }

  private ended(end: ReadEnd): void {
    const target = this.describeTarget();
    switch (end.kind) {
      case "end":
        this.connection?.close();
        this.fail(new RpcError("UNAVAILABLE", `${target} closed the connection`));
        return;
      case "reset":
        this.fail(new RpcError("UNAVAILABLE", `connection to ${target} lost: ${describeError(end.error)}`));
        return;
      case "malformed":
        this.connection?.reset();
        this.fail(new RpcError("MALFORMED", `malformed frame from ${target}: ${end.reason}`));
        return;
    }
  }

  private send(frame: Frame): void {
    this.write(this.transport.prepare(frame));
  }

  private write(frame: OutgoingFrame): void {
    const connection = this.connection;
    assert(connection !== undefined, "rpc write before the connection is up");
    connection.send(frame)?.then(undefined, (error: unknown) => {
      this.fail(new RpcError("UNAVAILABLE", `connection to ${this.describeTarget()} lost: ${describeError(error)}`));
    });
  }

  /** Stops taking calls and fails those in flight with `error`. Idempotent. */
  private fail(error: RpcError): void {
    if (this.state === "finished") return;
    this.state = "finished";
    this.failureError = error;
    this.onFinished(this);
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.fail(error);
  }

  private describeTarget(): string {
    return `${this.target.address}:${this.target.port}`;
  }
}
