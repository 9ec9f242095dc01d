/**
 * What every client call starts from: its arguments checked and its request frame
 * encoded, before anything is dialed or sent. Bad arguments are programmer errors
 * and throw (TypeError, RangeError); they never turn into RpcErrors.
 */
import type { CallOptions, NotifyOptions, WireValue } from "../../env.ts";
import type { FrameTransport, OutgoingFrame } from "./frame-channel.ts";
import {
  RPC_DEADLINE_MS_DEFAULT,
  RPC_METHOD_NAME_LENGTH_MAX,
  RPC_NOTIFY_DIAL_TIMEOUT_MS_DEFAULT,
  RPC_STREAM_WINDOW_MESSAGES,
} from "./limits.ts";
import type { Frame, NotificationFrame } from "./frame.ts";
import { NotWireValueError } from "./wire-value.ts";

/** A call ready to go. */
export interface CallSetup {
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly method: string;
  /** Host-local milliseconds the caller waits, from now. */
  readonly deadlineMs: number;
  /** Host-local milliseconds a dial for the call may take (CallOptions.dialTimeoutMs, at most deadlineMs). */
  readonly dialTimeoutMs: number;
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
  checkTarget(address, port, method);
  const deadlineMs = checkedDuration("deadlineMs", call.options?.deadlineMs ?? RPC_DEADLINE_MS_DEFAULT);
  const dialTimeoutMs = Math.min(
    deadlineMs,
    checkedDuration("dialTimeoutMs", call.options?.dialTimeoutMs ?? deadlineMs),
  );
  const window = streaming ? RPC_STREAM_WINDOW_MESSAGES : 0;
  const kind = checkedKind(method, call.options?.kind);
  const frame: Frame = { type: "request", id, method, streaming, deadlineMs, window, payload: request };
  if (kind !== undefined) frame.kind = kind;
  const requestFrame = prepareChecked(transport, method, frame);
  return { id, address, port, method, deadlineMs, dialTimeoutMs, requestFrame };
}

/** A notification ready to go (see Rpc.notify): checked like a call's arguments. */
export interface NotificationSetup {
  readonly id: number;
  /** Sent as a datagram (NotifyOptions.datagram). */
  readonly datagram: boolean;
  readonly address: string;
  readonly port: number;
  readonly dialTimeoutMs: number;
  readonly frame: OutgoingFrame;
}

/** Checks a notification's arguments and prepares its frame under id `id` (from the calls' sequence). */
export function prepareNotification(
  id: number,
  call: Omit<CallArguments, "options" | "streaming"> & { options: NotifyOptions | undefined },
  transport: FrameTransport,
): NotificationSetup {
  const { address, port, method, request } = call;
  checkTarget(address, port, method);
  const dialTimeoutMs = checkedDuration(
    "dialTimeoutMs",
    call.options?.dialTimeoutMs ?? RPC_NOTIFY_DIAL_TIMEOUT_MS_DEFAULT,
  );
  const datagram = call.options?.datagram === true;
  const kind = checkedKind(method, call.options?.kind);
  const notification: NotificationFrame = datagram
    ? { type: "notification", id, method, payload: request, datagram }
    : { type: "notification", id, method, payload: request };
  if (kind !== undefined) notification.kind = kind;
  const frame = prepareChecked(transport, method, notification);
  return { id, address, port, dialTimeoutMs, datagram, frame };
}

function checkTarget(address: string, port: number, method: string): void {
  if (typeof address !== "string" || address.length === 0)
    throw new TypeError(`rpc: invalid address ${String(address)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`rpc: invalid port ${port}`);
  if (typeof method !== "string" || method.length === 0 || method.length > RPC_METHOD_NAME_LENGTH_MAX) {
    throw new RangeError(`rpc: a method name has 1 to ${RPC_METHOD_NAME_LENGTH_MAX} characters`);
  }
}

function checkedDuration(name: string, durationMs: number): number {
  if (typeof durationMs !== "number" || !(durationMs > 0) || !Number.isFinite(durationMs)) {
    throw new RangeError(`rpc: ${name} must be a positive finite number, got ${durationMs}`);
  }
  return durationMs;
}

/** Prepares a caller's frame; a payload that is not a WireValue is the caller's bug (TypeError). */
function prepareChecked(transport: FrameTransport, method: string, frame: Frame): OutgoingFrame {
  try {
    return transport.prepare(frame);
  } catch (error) {
    if (error instanceof NotWireValueError)
      throw new TypeError(`rpc: the request of ${method} is not a wire value: ${error.problem}`);
    throw error;
  }
}

/** The caller's name for a message (CallOptions.kind): a string of at most the method name's length, or none. */
function checkedKind(method: string, kind: unknown): string | undefined {
  if (kind === undefined) return undefined;
  if (typeof kind !== "string" || kind.length === 0 || kind.length > RPC_METHOD_NAME_LENGTH_MAX) {
    throw new TypeError(
      `rpc: the kind of a ${method} message is a string of 1 to ${RPC_METHOD_NAME_LENGTH_MAX} characters`,
    );
  }
  return kind;
}

/** "method at address:port", for error messages. */
export function describeCall(setup: CallSetup): string {
  return `${setup.method} at ${setup.address}:${setup.port}`;
}
