/**
 * One client connection at a server: reads requests, cancels and credits, and
 * runs a ServerCall per request.
 *
 * Faults handled here: a malformed frame or a protocol violation from the client
 * (a reused call id, a frame only servers send, credit beyond the window) resets
 * the connection; a reset or an end of stream from the client aborts every call
 * of the connection (their signals fire). Calls per connection are bounded by
 * `RPC_SERVER_CALLS_PER_CONNECTION_MAX`, counting handlers that still run after
 * their call was aborted; beyond it a request is answered with UNAVAILABLE.
 * Notifications run their handler at once and are not counted (nothing waits on them).
 */
import { RpcError, type Clock } from "../../env.ts";
import { describeError } from "./errors.ts";
import type { FrameChannel, FrameTransport, OutgoingFrame } from "./frame-channel.ts";
import type { ReadEnd } from "./frame-reader.ts";
import type { Frame, NotificationFrame, RequestFrame } from "./frame.ts";
import { RPC_SERVER_CALLS_PER_CONNECTION_MAX } from "./limits.ts";
import { ServerCall, type HandlerEntry } from "./server-call.ts";

/** The server side of one connection: call ids from the client must increase. */
export class ServerConnection {
  private readonly calls = new Map<number, ServerCall>();
  private highestCallId = 0;
  /** What a notification's handler is told of its sender: the same frozen object for every notification here. */
  private notificationContext: { readonly peer: string } | undefined;
  private finished = false;

  /** `onFinished` runs once, when the connection stops reading (its handlers may still run). */
  constructor(
    private readonly connection: FrameChannel,
    private readonly transport: FrameTransport,
    private readonly clock: Clock,
    private readonly lookup: (method: string) => HandlerEntry | undefined,
    private readonly onFinished: (connection: ServerConnection) => void,
  ) {}

  /** Starts reading requests. */
  start(): void {
    void this.run();
  }

  /** Resets the connection and aborts its calls with `reason` (the server is closing). */
  reset(reason: RpcError): void {
    this.connection.reset();
    this.shutdown(reason);
  }

  private async run(): Promise<void> {
    const end = await this.connection.run((frame) => this.receive(frame));
    this.ended(end);
  }

  private ended(end: ReadEnd): void {
    const peer = this.connection.remoteAddress;
    switch (end.kind) {
      case "end":
        this.connection.close();
        this.shutdown(new RpcError("UNAVAILABLE", `${peer} closed the connection`));
        return;
      case "reset":
        this.shutdown(new RpcError("UNAVAILABLE", `connection to ${peer} lost: ${describeError(end.error)}`));
        return;
      case "malformed":
        this.connection.reset();
        this.shutdown(new RpcError("MALFORMED", `malformed frame from ${peer}: ${end.reason}`));
        return;
    }
  }

  private shutdown(reason: RpcError): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinished(this);
    for (const call of [...this.calls.values()]) call.abort(reason);
  }

  private receive(frame: Frame): string | undefined {
    // Frames already buffered when the connection was shut down (say, a handler closed the server) are dropped.
    if (this.finished) return undefined;
    if (frame.type === "request") return this.startCall(frame);
    if (frame.type === "notification") return this.notify(frame);
    if (frame.type !== "cancel" && frame.type !== "credit") return `client sent a ${frame.type} frame`;
    if (frame.id > this.highestCallId)
      return `client sent a ${frame.type} frame for call ${frame.id}, which it never made`;
    // Cancels and credits for calls that already finished are normal: the caller had not heard yet.
    const call = this.calls.get(frame.id);
    if (call === undefined) return undefined;
    if (frame.type === "credit") return call.grant(frame.count);
    call.abort(new RpcError("CANCELLED", `call ${frame.id} cancelled by the caller`));
    return undefined;
  }

  /**
   * Hands a notification to its handler; one for a method not served as a
   * notification is dropped (nothing can be answered). A handler's RpcError is a
   * refusal and is dropped too; anything else it throws is a bug, and surfaces as
   * an unhandled rejection (a violation in a run) instead of vanishing.
   */
  private notify(frame: NotificationFrame): string | undefined {
    // A datagram may come late, twice, or before frames sent earlier: it neither is held to the order of ids nor moves
    // it.
    if (frame.datagram !== true) {
      if (frame.id <= this.highestCallId)
        return `client reused call id ${frame.id} (ids must increase past ${this.highestCallId})`;
      this.highestCallId = frame.id;
    }
    const entry = this.lookup(frame.method);
    if (entry?.kind !== "notification") return undefined;
    try {
      this.notificationContext ??= Object.freeze({ peer: this.connection.remoteAddress });
      const handled = entry.handler(frame.payload, this.notificationContext);
      if (handled instanceof Promise) handled.then(undefined, surfaceUnlessRefusal);
    } catch (error) {
      surfaceUnlessRefusal(error);
    }
    return undefined;
  }

  private startCall(request: RequestFrame): string | undefined {
    if (request.id <= this.highestCallId)
      return `client reused call id ${request.id} (ids must increase past ${this.highestCallId})`;
    this.highestCallId = request.id;
    if (this.calls.size >= RPC_SERVER_CALLS_PER_CONNECTION_MAX) {
      const message = `server busy: ${this.calls.size} calls running on this connection (limit ${RPC_SERVER_CALLS_PER_CONNECTION_MAX})`;
      this.write(
        this.transport.prepare({ type: "error", id: request.id, code: "UNAVAILABLE", message, details: undefined }),
      )?.then(undefined, () => undefined);
      return undefined;
    }
    const call = new ServerCall(request, this.connection.remoteAddress, this.clock, this.transport, (frame) =>
      this.write(frame),
    );
    this.calls.set(request.id, call);
    void call.run(this.lookup(request.method)).then(() => this.calls.delete(request.id));
    return undefined;
  }

  private write(frame: OutgoingFrame): Promise<void> | undefined {
    return this.connection.send(frame);
  }
}

/** A notification handler's RpcError is a refusal (dropped); anything else surfaces as an unhandled rejection. */
function surfaceUnlessRefusal(error: unknown): void {
  if (!(error instanceof RpcError)) void Promise.reject(error);
}
