/**
 * One call being served: runs its handler, and writes its answer, its stream
 * messages and its end, or its error.
 *
 * Faults handled here: a cancel from the caller, the call's deadline (counted on
 * this host's clock from the request's arrival) and the loss of the connection
 * abort `context.signal`; from then on nothing more is written for the call, and
 * a pending `send` rejects with the abort reason. A handler that throws an
 * RpcError sends that error; anything else it throws, or a response that is not a
 * WireValue or is too large, becomes INTERNAL. The handler's own failures never
 * escape into the server.
 */
import {
  RpcError,
  type Clock,
  type NotificationHandler,
  type RpcContext,
  type StreamHandler,
  type Timer,
  type UnaryHandler,
  type WireValue,
} from "../../env.ts";
import { assert } from "../../assert.ts";
import { describeError, errorFrameFor } from "./errors.ts";
import type { FrameTransport, OutgoingFrame } from "./frame-channel.ts";
import type { RequestFrame, ServerFrame } from "./frame.ts";
import { RPC_STREAM_WINDOW_MESSAGES } from "./limits.ts";
import { NotWireValueError } from "./wire-value.ts";

/** A registered handler. */
export type HandlerEntry =
  | { kind: "unary"; handler: UnaryHandler }
  | { kind: "stream"; handler: StreamHandler }
  | { kind: "notification"; handler: NotificationHandler };

/**
 * How a call writes to its connection: undefined or a promise that resolves once the connection took the frame, rejects
 * if it broke.
 */
export type FrameWriter = (frame: OutgoingFrame) => Promise<void> | undefined;

interface CreditWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A call from its request to its last frame. Its handler may outlive it (a handler
 * that ignores its signal); the connection counts it until the handler settles.
 */
export class ServerCall {
  /** Made when the handler first reads its signal: most handlers never do, and a controller is costly. */
  private controller: AbortController | undefined;
  /** Why the call was aborted, once it was. */
  private abortReason: RpcError | undefined;
  private readonly context: RpcContext;
  private deadlineTimer: Timer | undefined;
  private credits: number;
  private creditWaiter: CreditWaiter | undefined;
  private sending = false;
  /** True once nothing more may be written for this call: answered, or aborted. */
  private closed = false;

  constructor(
    private readonly request: RequestFrame,
    peer: string,
    private readonly clock: Clock,
    private readonly transport: FrameTransport,
    private readonly write: FrameWriter,
  ) {
    this.credits = request.window;
    const signal = () => this.signal();
    this.context = {
      peer,
      get signal() {
        return signal();
      },
    };
  }

  get id(): number {
    return this.request.id;
  }

  /** Runs the handler of `entry` (undefined: the method is not served) and writes the outcome. Never rejects. */
  async run(entry: HandlerEntry | undefined): Promise<void> {
    const { method, streaming } = this.request;
    const calledAs = streaming ? "stream" : "unary";
    if (entry === undefined || entry.kind !== calledAs) {
      const message =
        entry === undefined
          ? `method ${method} is not served`
          : `method ${method} is ${entry.kind}, called as ${calledAs}`;
      this.finish({ type: "error", id: this.id, code: "UNIMPLEMENTED", message, details: undefined });
      return;
    }
    this.deadlineTimer = this.clock.setTimer(this.request.deadlineMs, () => {
      this.abort(new RpcError("DEADLINE_EXCEEDED", `${method}: deadline of ${this.request.deadlineMs} ms passed`));
    });
    let outcome: ServerFrame;
    try {
      outcome = entry.kind === "unary" ? await this.runUnary(entry.handler) : await this.runStream(entry.handler);
    } catch (error) {
      outcome = errorFrameFor(this.id, error);
    }
    this.finish(outcome);
  }

  /** Stops the call: aborts its signal and writes nothing more for it. Idempotent. */
  abort(reason: RpcError): void {
    if (this.closed) return;
    this.closed = true;
    this.deadlineTimer?.cancel();
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.reject(reason);
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  /** The call's signal, aborted already if the call was. */
  private signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** The caller took `count` more messages. Returns why that breaks the protocol, or undefined. */
  grant(count: number): string | undefined {
    if (!this.request.streaming) return `credit for unary call ${this.id}`;
    this.credits += count;
    if (this.credits > RPC_STREAM_WINDOW_MESSAGES) return `credit for stream call ${this.id} beyond its window`;
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.resolve();
    return undefined;
  }

  private async runUnary(handler: UnaryHandler): Promise<ServerFrame> {
    const response = await handler(this.request.payload, this.context);
    // Checked when the frame is prepared (finish): a handler's response that is not a WireValue becomes INTERNAL.
    return { type: "response", id: this.id, payload: response };
  }

  private async runStream(handler: StreamHandler): Promise<ServerFrame> {
    await handler(this.request.payload, (message) => this.send(message), this.context);
    return { type: "end", id: this.id };
  }

  /** A stream handler's `send`: waits for credit, then for the connection to take the message. */
  private async send(message: WireValue): Promise<void> {
    if (this.sending)
      throw new Error(`rpc: send on stream ${this.request.method} called before the previous send resolved`);
    this.throwIfClosed();
    let frame: OutgoingFrame;
    try {
      frame = this.transport.prepare({ type: "message", id: this.id, payload: message });
    } catch (error) {
      if (!(error instanceof NotWireValueError)) throw error;
      throw new TypeError(`rpc: stream message of ${this.request.method} is not a wire value: ${error.problem}`);
    }
    this.sending = true;
    try {
      while (this.credits === 0) {
        await new Promise<void>((resolve, reject) => {
          this.creditWaiter = { resolve, reject };
        });
        this.throwIfClosed();
      }
      this.credits--;
      await this.write(frame)?.then(undefined, (error: unknown) => {
        if (this.abortReason !== undefined) throw this.abortReason;
        throw new RpcError("UNAVAILABLE", `connection to ${this.context.peer} lost: ${describeError(error)}`);
      });
    } finally {
      this.sending = false;
    }
  }

  private throwIfClosed(): void {
    if (this.abortReason !== undefined) throw this.abortReason;
    if (this.closed) throw new Error(`rpc: send on stream ${this.request.method} after its handler returned`);
  }

  /** Writes the call's last frame, unless the call was aborted. */
  private finish(outcome: ServerFrame): void {
    if (this.closed) return;
    this.closed = true;
    this.deadlineTimer?.cancel();
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.reject(new Error(`rpc: send on stream ${this.request.method} after its handler returned`));
    let frame: OutgoingFrame;
    try {
      frame = this.transport.prepare(outcome);
    } catch (error) {
      assert(outcome.type !== "end", "an end frame always encodes");
      const message =
        error instanceof NotWireValueError
          ? `handler response is not a wire value: ${error.problem}`
          : `handler answer not sent: ${describeError(error)}`;
      frame = this.transport.prepare({ type: "error", id: this.id, code: "INTERNAL", message, details: undefined });
    }
    // A failed write means the connection broke: its reader sees that and aborts every call.
    this.write(frame)?.then(undefined, () => undefined);
  }
}
