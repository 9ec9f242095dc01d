/**
 * A server-streaming call on the client, as an async iterator.
 *
 * Faults handled here: the deadline covers the whole stream (DEADLINE_EXCEEDED and
 * a cancel frame); connection failures arrive through `fail`. Messages already
 * received are handed out before the failure is thrown. A consumer that stops
 * early (`break` out of `for await`, which calls `return`) cancels the call at
 * the server. Flow control: the server may send `RPC_STREAM_WINDOW_MESSAGES`
 * messages, plus one for every message the consumer has taken (granted in
 * batches); a server that sends more breaks the protocol (MALFORMED), so the
 * buffer here never holds more than a window.
 */
import { RpcError, type Clock, type Timer, type WireValue } from "../../env.ts";
import { assert } from "../../assert.ts";
import { describeCall, type CallSetup } from "./call-setup.ts";
import type { ClientConnection, PendingCall } from "./client-connection.ts";
import type { ClientPool } from "./client-pool.ts";
import { errorFromFrame } from "./errors.ts";
import type { OutgoingFrame } from "./frame-channel.ts";
import type { ServerFrame } from "./frame.ts";
import { RPC_STREAM_CREDIT_BATCH_MESSAGES, RPC_STREAM_WINDOW_MESSAGES } from "./limits.ts";

type StreamOutcome = "open" | "ended" | RpcError;

interface NextWaiter {
  resolve: (result: IteratorResult<WireValue>) => void;
  reject: (error: unknown) => void;
}

const DONE: IteratorResult<WireValue> = { done: true, value: undefined };

/**
 * One server-streaming call: the iterator its consumer drives, and the pending
 * call its connection feeds. `next()` must not be called again before it settles.
 */
export class StreamCall implements AsyncIterator<WireValue>, PendingCall {
  readonly id: number;
  readonly requestFrame: OutgoingFrame;
  private connection: ClientConnection | undefined;
  private timer: Timer | undefined;
  private readonly buffer: WireValue[] = [];
  private outcome: StreamOutcome = "open";
  /** True once the consumer has seen the end, the error, or stopped: next() says done from then on. */
  private consumerDone = false;
  private waiter: NextWaiter | undefined;
  private received = 0;
  private granted = 0;
  private takenSinceGrant = 0;

  constructor(
    private readonly clock: Clock,
    private readonly setup: CallSetup,
  ) {
    this.id = setup.id;
    this.requestFrame = setup.requestFrame;
  }

  /** Sends the request (dialing if needed) and starts the deadline. */
  start(pool: ClientPool): void {
    // The deadline timer goes first, so that it fires before a dial timeout of the same length.
    this.timer = this.clock.setTimer(this.setup.deadlineMs, () => this.deadlinePassed());
    const acquired = pool.acquire(this.setup.address, this.setup.port, this.setup.dialTimeoutMs);
    if (acquired instanceof RpcError) {
      this.finish(acquired);
      return;
    }
    this.connection = acquired;
    const refused = acquired.register(this);
    if (refused !== undefined) this.finish(refused);
  }

  receive(frame: ServerFrame): string | undefined {
    assert(this.outcome === "open", "frame for a finished rpc stream");
    switch (frame.type) {
      case "message":
        if (this.received >= RPC_STREAM_WINDOW_MESSAGES + this.granted) {
          return `server sent more than its window on stream call ${this.id}`;
        }
        this.received++;
        this.buffer.push(frame.payload);
        this.wake();
        return undefined;
      case "end":
        this.connection?.unregister(this.id);
        this.finish("ended");
        return undefined;
      case "error":
        this.connection?.unregister(this.id);
        this.finish(errorFromFrame(frame));
        return undefined;
      case "response":
        return `server sent a response frame for stream call ${this.id}`;
    }
  }

  fail(error: RpcError): void {
    this.finish(error);
  }

  next(): Promise<IteratorResult<WireValue>> {
    if (this.waiter !== undefined)
      return Promise.reject(new Error("rpc stream: next() called before the previous one settled"));
    if (this.consumerDone) return Promise.resolve(DONE);
    if (this.buffer.length > 0) return Promise.resolve({ done: false, value: this.take() });
    if (this.outcome === "ended") {
      this.consumerDone = true;
      return Promise.resolve(DONE);
    }
    if (this.outcome instanceof RpcError) {
      this.consumerDone = true;
      return Promise.reject(this.outcome);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer stops: cancels the call at the server unless it already finished. */
  return(): Promise<IteratorResult<WireValue>> {
    this.consumerDone = true;
    this.buffer.length = 0;
    if (this.outcome === "open") {
      this.connection?.cancel(this.id);
      this.finish(new RpcError("CANCELLED", `${describeCall(this.setup)}: the consumer stopped reading`));
    }
    this.wake();
    return Promise.resolve(DONE);
  }

  private deadlinePassed(): void {
    if (this.outcome !== "open") return;
    this.connection?.cancel(this.id);
    this.finish(
      new RpcError(
        "DEADLINE_EXCEEDED",
        `${describeCall(this.setup)}: stream not finished within ${this.setup.deadlineMs} ms`,
      ),
    );
  }

  private finish(outcome: Exclude<StreamOutcome, "open">): void {
    if (this.outcome !== "open") return;
    this.outcome = outcome;
    this.timer?.cancel();
    this.wake();
  }

  /** Settles a waiting next() if there is something to hand out. */
  private wake(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    if (this.buffer.length > 0) {
      this.waiter = undefined;
      waiter.resolve({ done: false, value: this.take() });
    } else if (this.consumerDone || this.outcome === "ended") {
      this.waiter = undefined;
      this.consumerDone = true;
      waiter.resolve(DONE);
    } else if (this.outcome instanceof RpcError) {
      this.waiter = undefined;
      this.consumerDone = true;
      waiter.reject(this.outcome);
    }
  }

  /** Hands out the oldest buffered message, granting credit in batches while the call is open. */
  private take(): WireValue {
    assert(this.buffer.length > 0, "take from an empty rpc stream buffer");
    const message = this.buffer.shift() as WireValue;
    this.takenSinceGrant++;
    if (this.takenSinceGrant >= RPC_STREAM_CREDIT_BATCH_MESSAGES && this.outcome === "open") {
      this.granted += this.takenSinceGrant;
      this.connection?.grant(this.id, this.takenSinceGrant);
      this.takenSinceGrant = 0;
    }
    return message;
  }
}
