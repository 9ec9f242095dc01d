/**
 * What every client call starts from: its arguments checked and its request frame
 * encoded, before anything is dialed or sent. Bad arguments are programmer errors
 * and throw (TypeError, RangeError); they never turn into RpcErrors.
 */
import type { CallOptions, WireValue } from "../../env.ts";
import type { FrameTransport, OutgoingFrame } from "./frame-channel.ts";
import { RPC_DEADLINE_MS_DEFAULT, RPC_METHOD_NAME_LENGTH_MAX, RPC_STREAM_WINDOW_MESSAGES } from "./limits.ts";
import { wireValueProblem } from "./wire-value.ts";

/** A call ready to go. */
export interface CallSetup {
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly method: string;
  /** Host-local milliseconds the caller waits, from now. */
  readonly deadlineMs: number;
  readonly requestFrame: OutgoingFrame;
}

/** The arguments of `Rpc.call` and `Rpc.serverStream`, unchecked. */
export interface CallArguments {
  address: string;
  port: number;
  method: string;
  request: WireValue;
  options: CallOptions | undefined;
  streaming: boolean;
}

/**
 * Checks a call's arguments and prepares its request frame under call id `id`
 * (encoded, or copied in the objects wire mode).
 * The frame carries the whole deadline: the server's copy of it starts when the
 * request arrives, so it ends no earlier than the caller's.
 */
export function prepareCall(id: number, call: CallArguments, transport: FrameTransport): CallSetup {
  const { address, port, method, request, streaming } = call;
  if (typeof address !== "string" || address.length === 0) throw new TypeError(`rpc: invalid address ${String(address)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`rpc: invalid port ${port}`);
  if (typeof method !== "string" || method.length === 0 || method.length > RPC_METHOD_NAME_LENGTH_MAX) {
    throw new RangeError(`rpc: a method name has 1 to ${RPC_METHOD_NAME_LENGTH_MAX} characters`);
  }
  const deadlineMs = call.options?.deadlineMs ?? RPC_DEADLINE_MS_DEFAULT;
  if (typeof deadlineMs !== "number" || !(deadlineMs > 0) || !Number.isFinite(deadlineMs)) {
    throw new RangeError(`rpc: deadlineMs must be a positive finite number, got ${deadlineMs}`);
  }
  const problem = wireValueProblem(request);
  if (problem !== undefined) throw new TypeError(`rpc: the request of ${method} is not a wire value: ${problem}`);
  const window = streaming ? RPC_STREAM_WINDOW_MESSAGES : 0;
  const requestFrame = transport.prepare({ type: "request", id, method, streaming, deadlineMs, window, payload: request });
  return { id, address, port, method, deadlineMs, requestFrame };
}

/** "method at address:port", for error messages. */
export function describeCall(setup: CallSetup): string {
  return `${setup.method} at ${setup.address}:${setup.port}`;
}
