/**
 * A unary call on the client: one request, one answer, or an RpcError.
 *
 * Faults handled here: the deadline (a host-local timer) fails the call with
 * DEADLINE_EXCEEDED and sends a cancel frame so the server stops working on it;
 * connection failures arrive through `fail` (see client-connection.ts). The
 * promise settles exactly once, and at the latest when the deadline passes.
 */
import { RpcError, type Clock, type Timer, type WireValue } from "../../env.ts";
import { describeCall, type CallSetup } from "./call-setup.ts";
import type { ClientConnection, PendingCall } from "./client-connection.ts";
import type { ClientPool } from "./client-pool.ts";
import { errorFromFrame } from "./errors.ts";
import type { OutgoingFrame } from "./frame-channel.ts";
import type { ServerFrame } from "./frame.ts";

/** Starts a unary call; the promise settles with the response or an RpcError. */
export function startUnaryCall(pool: ClientPool, clock: Clock, setup: CallSetup): Promise<WireValue> {
  return new Promise<WireValue>((resolve, reject) => {
    new UnaryCall(setup, resolve, reject).start(pool, clock);
  });
}

class UnaryCall implements PendingCall {
  readonly id: number;
  readonly requestFrame: OutgoingFrame;
  private connection: ClientConnection | undefined;
  private timer: Timer | undefined;
  private settled = false;

  constructor(
    private readonly setup: CallSetup,
    private readonly resolve: (response: WireValue) => void,
    private readonly reject: (error: RpcError) => void,
  ) {
    this.id = setup.id;
    this.requestFrame = setup.requestFrame;
  }

  start(pool: ClientPool, clock: Clock): void {
    // The deadline timer goes first, so that it fires before a dial timeout of the same length.
    this.timer = clock.setTimer(this.setup.deadlineMs, () => this.deadlinePassed());
    const acquired = pool.acquire(this.setup.address, this.setup.port, this.setup.dialTimeoutMs);
    if (acquired instanceof RpcError) {
      this.settle(() => this.reject(acquired));
      return;
    }
    this.connection = acquired;
    const refused = acquired.register(this);
    if (refused !== undefined) this.settle(() => this.reject(refused));
  }

  receive(frame: ServerFrame): string | undefined {
    if (frame.type === "response") {
      this.connection?.unregister(this.id);
      this.settle(() => this.resolve(frame.payload));
      return undefined;
    }
    if (frame.type === "error") {
      this.connection?.unregister(this.id);
      this.settle(() => this.reject(errorFromFrame(frame)));
      return undefined;
    }
    return `server sent a ${frame.type} frame for unary call ${this.id}`;
  }

  fail(error: RpcError): void {
    this.settle(() => this.reject(error));
  }

  private deadlinePassed(): void {
    if (this.settled) return;
    this.connection?.cancel(this.id);
    this.settle(() =>
      this.reject(
        new RpcError("DEADLINE_EXCEEDED", `${describeCall(this.setup)}: no answer within ${this.setup.deadlineMs} ms`),
      ),
    );
  }

  private settle(outcome: () => void): void {
    if (this.settled) return;
    this.settled = true;
    this.timer?.cancel();
    outcome();
  }
}
