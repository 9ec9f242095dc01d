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
import type { ServerFrame } from "./frame.ts";

/** Starts a unary call; the promise settles with the response or an RpcError. */
export function startUnaryCall(pool: ClientPool, clock: Clock, setup: CallSetup): Promise<WireValue> {
  return new Promise<WireValue>((resolve, reject) => {
    let settled = false;
    let connection: ClientConnection | undefined;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      outcome();
    };
    // The deadline timer goes first, so that it fires before a dial timeout of the same length.
    const timer: Timer = clock.setTimer(setup.deadlineMs, () => {
      if (settled) return;
      connection?.cancel(setup.id);
      settle(() => reject(new RpcError("DEADLINE_EXCEEDED", `${describeCall(setup)}: no answer within ${setup.deadlineMs} ms`)));
    });
    const acquired = pool.acquire(setup.address, setup.port, setup.deadlineMs);
    if (acquired instanceof RpcError) {
      settle(() => reject(acquired));
      return;
    }
    connection = acquired;
    const call: PendingCall = {
      id: setup.id,
      requestFrame: setup.requestFrame,
      receive: (frame: ServerFrame) => {
        if (frame.type === "response") {
          acquired.unregister(setup.id);
          settle(() => resolve(frame.payload));
          return undefined;
        }
        if (frame.type === "error") {
          acquired.unregister(setup.id);
          settle(() => reject(errorFromFrame(frame)));
          return undefined;
        }
        return `server sent a ${frame.type} frame for unary call ${setup.id}`;
      },
      fail: (error) => settle(() => reject(error)),
    };
    const refused = acquired.register(call);
    if (refused !== undefined) settle(() => reject(refused));
  });
}
