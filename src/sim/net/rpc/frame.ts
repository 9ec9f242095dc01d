/**
 * The RPC wire format. A frame is a 4-byte big-endian body length, then a msgpack
 * body: an array whose first element is the frame type's tag.
 *
 *   request  [1, id, method, streaming, deadlineMs, window, payload]   client → server
 *   cancel   [2, id]                                                   client → server
 *   credit   [3, id, count]                                            client → server
 *   response [4, id, payload]                                          server → client
 *   message  [5, id, payload]                                          server → client
 *   end      [6, id]                                                   server → client
 *   error    [7, id, code, message, details?]                          server → client
 *   notification [8, id, method, payload, datagram?]                   client → server
 *
 * Faults handled here: a peer's body that does not decode, carries values that are
 * not WireValues, or has the wrong shape is reported as malformed (a value, never a
 * throw), so that the connection owner can reset the connection.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { keyDecoder } from "../../msgpack-keys.ts";
import type { RpcErrorCode, WireValue } from "../../env.ts";
import { assert } from "../../assert.ts";
import {
  RPC_FRAME_BYTES_MAX,
  RPC_FRAME_HEADER_BYTES,
  RPC_METHOD_NAME_LENGTH_MAX,
  RPC_STREAM_WINDOW_MESSAGES,
  RPC_VALUE_DEPTH_MAX,
} from "./limits.ts";
import { wireValueProblem } from "./wire-value.ts";

/** Opens a call. `deadlineMs` is the caller's remaining time; `window` the stream's first credit (0 for unary). */
export interface RequestFrame {
  type: "request";
  id: number;
  method: string;
  streaming: boolean;
  deadlineMs: number;
  window: number;
  payload: WireValue;
  /**
   * What the caller named the request (CallOptions.kind), for the trace: kept by the objects mode's copy, never
   * encoded.
   */
  kind?: string;
}
/** The caller gave up on the call (deadline, or the consumer stopped reading the stream). */
export interface CancelFrame {
  type: "cancel";
  id: number;
}
/** The consumer took `count` more stream messages: the server may send that many more. */
export interface CreditFrame {
  type: "credit";
  id: number;
  count: number;
}
/** The unary call's answer. */
export interface ResponseFrame {
  type: "response";
  id: number;
  payload: WireValue;
}
/** One message of a server stream. */
export interface MessageFrame {
  type: "message";
  id: number;
  payload: WireValue;
}
/** The server stream ended normally. */
export interface EndFrame {
  type: "end";
  id: number;
}
/** The call failed at the server. */
export interface ErrorFrame {
  type: "error";
  id: number;
  code: RpcErrorCode;
  message: string;
  details: WireValue | undefined;
}

/**
 * A one-way message: no answer. Its id is taken from the same sequence as the
 * calls'. `datagram`: the sender takes it as a datagram (it may be lost, arrive
 * twice or out of order), so the server does not hold its id to the order.
 */
export interface NotificationFrame {
  type: "notification";
  id: number;
  method: string;
  payload: WireValue;
  datagram?: true;
  /**
   * What the sender named the message (NotifyOptions.kind), for the trace: kept by the objects mode's copy, never
   * encoded.
   */
  kind?: string;
}

/** Frames a client sends. */
export type ClientFrame = RequestFrame | CancelFrame | CreditFrame | NotificationFrame;
/** Frames a server sends. */
export type ServerFrame = ResponseFrame | MessageFrame | EndFrame | ErrorFrame;
/** Any frame. */
export type Frame = ClientFrame | ServerFrame;

/** The outcome of decoding one frame body: the frame, or why it is malformed. */
export type DecodedFrame = { frame: Frame; malformed?: undefined } | { frame?: undefined; malformed: string };

const TAGS = { request: 1, cancel: 2, credit: 3, response: 4, message: 5, end: 6, error: 7, notification: 8 } as const;

const ERROR_CODES: ReadonlySet<string> = new Set<RpcErrorCode>([
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "UNIMPLEMENTED",
  "MALFORMED",
  "CANCELLED",
  "INTERNAL",
  "APPLICATION",
]);

// The frame array adds a level above the payload; payloads are checked against RPC_VALUE_DEPTH_MAX first.
const encoder = new Encoder({ ignoreUndefined: true, maxDepth: RPC_VALUE_DEPTH_MAX + 2 });
const decoder = new Decoder({ keyDecoder });

/**
 * Encodes a frame, length prefix included. The caller has checked that payloads
 * and details are WireValues. Throws RangeError when the body exceeds
 * `RPC_FRAME_BYTES_MAX` (the caller turns that into its own error).
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const body = encoder.encodeSharedRef(frameToArray(frame));
  if (body.length > RPC_FRAME_BYTES_MAX) {
    throw new RangeError(`rpc frame of ${body.length} bytes exceeds the limit of ${RPC_FRAME_BYTES_MAX}`);
  }
  const bytes = new Uint8Array(RPC_FRAME_HEADER_BYTES + body.length);
  new DataView(bytes.buffer).setUint32(0, body.length, false);
  bytes.set(body, RPC_FRAME_HEADER_BYTES);
  return bytes;
}

function frameToArray(frame: Frame): unknown[] {
  switch (frame.type) {
    case "request":
      return [TAGS.request, frame.id, frame.method, frame.streaming, frame.deadlineMs, frame.window, frame.payload];
    case "cancel":
      return [TAGS.cancel, frame.id];
    case "credit":
      return [TAGS.credit, frame.id, frame.count];
    case "response":
      return [TAGS.response, frame.id, frame.payload];
    case "message":
      return [TAGS.message, frame.id, frame.payload];
    case "end":
      return [TAGS.end, frame.id];
    case "notification":
      return frame.datagram === true
        ? [TAGS.notification, frame.id, frame.method, frame.payload, true]
        : [TAGS.notification, frame.id, frame.method, frame.payload];
    case "error":
      return frame.details === undefined
        ? [TAGS.error, frame.id, frame.code, frame.message]
        : [TAGS.error, frame.id, frame.code, frame.message, frame.details];
  }
}

/** Decodes one frame body (without its length prefix). Never throws on a peer's bytes. */
export function decodeFrame(body: Uint8Array): DecodedFrame {
  let value: unknown;
  try {
    value = decoder.decode(body);
  } catch (error) {
    return { malformed: `undecodable frame body: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(value) || value.length < 2)
    return { malformed: "frame body is not an array of at least two elements" };
  const fields = value as unknown[];
  const [tag, id] = fields;
  if (!isCallId(id)) return { malformed: `frame has an invalid call id ${describe(id)}` };
  const shaped = shapeFrame(tag, id, fields);
  if (typeof shaped === "string") return { malformed: shaped };
  return { frame: shaped };
}

/** Builds the frame for `tag` from its fields, or says what is wrong with them. */
function shapeFrame(tag: unknown, id: number, fields: unknown[]): Frame | string {
  switch (tag) {
    case TAGS.request:
      return shapeRequest(id, fields);
    case TAGS.cancel:
      return fields.length === 2 ? { type: "cancel", id } : "cancel frame must have 2 fields";
    case TAGS.credit: {
      const count = fields[2];
      if (fields.length !== 3) return "credit frame must have 3 fields";
      if (!isCount(count) || count < 1 || count > RPC_STREAM_WINDOW_MESSAGES)
        return `credit frame has an invalid count ${describe(count)}`;
      return { type: "credit", id, count };
    }
    case TAGS.response:
    case TAGS.message: {
      if (fields.length !== 3) return "response and message frames must have 3 fields";
      const payload = checkedPayload(fields[2]);
      if (typeof payload === "string") return payload;
      return { type: tag === TAGS.response ? "response" : "message", id, payload: payload.value };
    }
    case TAGS.end:
      return fields.length === 2 ? { type: "end", id } : "end frame must have 2 fields";
    case TAGS.error:
      return shapeError(id, fields);
    case TAGS.notification: {
      const [, , method, payload, datagram] = fields;
      if (fields.length !== 4 && !(fields.length === 5 && datagram === true))
        return "notification frame must have 4 fields, or 5 ending in true";
      if (typeof method !== "string" || method.length === 0 || method.length > RPC_METHOD_NAME_LENGTH_MAX) {
        return `notification frame has an invalid method ${describe(method)}`;
      }
      const checked = checkedPayload(payload);
      if (typeof checked === "string") return checked;
      return fields.length === 5
        ? { type: "notification", id, method, payload: checked.value, datagram: true }
        : { type: "notification", id, method, payload: checked.value };
    }
    default:
      return `unknown frame tag ${describe(tag)}`;
  }
}

function shapeRequest(id: number, fields: unknown[]): RequestFrame | string {
  const [, , method, streaming, deadlineMs, window, payload] = fields;
  if (fields.length !== 7) return "request frame must have 7 fields";
  if (typeof method !== "string" || method.length === 0 || method.length > RPC_METHOD_NAME_LENGTH_MAX) {
    return `request frame has an invalid method ${describe(method)}`;
  }
  if (typeof streaming !== "boolean") return "request frame has a non-boolean streaming flag";
  if (typeof deadlineMs !== "number" || !(deadlineMs > 0) || !Number.isFinite(deadlineMs)) {
    return `request frame has an invalid deadline ${describe(deadlineMs)}`;
  }
  const windowValid = streaming ? isCount(window) && window >= 1 && window <= RPC_STREAM_WINDOW_MESSAGES : window === 0;
  if (!windowValid) return `request frame has an invalid window ${describe(window)}`;
  const checked = checkedPayload(payload);
  if (typeof checked === "string") return checked;
  return { type: "request", id, method, streaming, deadlineMs, window: window as number, payload: checked.value };
}

function shapeError(id: number, fields: unknown[]): ErrorFrame | string {
  const [, , code, message, details] = fields;
  if (fields.length !== 4 && fields.length !== 5) return "error frame must have 4 or 5 fields";
  if (typeof code !== "string" || !ERROR_CODES.has(code)) return `error frame has an unknown code ${describe(code)}`;
  if (typeof message !== "string") return "error frame has a non-string message";
  if (fields.length === 4) return { type: "error", id, code: code as RpcErrorCode, message, details: undefined };
  const checked = checkedPayload(details);
  if (typeof checked === "string") return checked;
  return { type: "error", id, code: code as RpcErrorCode, message, details: checked.value };
}

function checkedPayload(value: unknown): { value: WireValue } | string {
  const problem = wireValueProblem(value);
  return problem === undefined ? { value: value as WireValue } : `frame payload is not a wire value: ${problem}`;
}

/** Call ids are positive safe integers. */
function isCallId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** Reads the body length from a frame header (the first 4 bytes of `header`). */
export function frameBodyLength(header: Uint8Array): number {
  assert(header.length >= RPC_FRAME_HEADER_BYTES, "frame header needs 4 bytes");
  return new DataView(header.buffer, header.byteOffset, RPC_FRAME_HEADER_BYTES).getUint32(0, false);
}
