/**
 * The object wire mode's stand-in for encoding: a private copy of a frame (no
 * object is shared between sender and receiver) and the exact size in bytes its
 * encoding (frame.ts: length prefix and msgpack body) would have, without
 * building it. The copy keeps what a msgpack round trip keeps: `undefined`
 * properties are dropped, -0 becomes 0, byte arrays are fresh, objects are plain.
 * Payloads and details are checked while they are copied, exactly as
 * `wireValueProblem` checks them (the same problems, in the same words).
 */
import type { WireValue } from "../../env.ts";
import type { Frame } from "./frame.ts";
import { RPC_FRAME_BYTES_MAX, RPC_FRAME_HEADER_BYTES, RPC_VALUE_DEPTH_MAX } from "./limits.ts";
import { describeConstructor, NotWireValueError } from "./wire-value.ts";

/** A frame ready for a message channel: its private copy and its encoded size. */
export interface CopiedFrame {
  readonly frame: Frame;
  readonly size: number;
}

let bodyBytes = 0;
/**
 * True while a copy runs with nothing enumerable on Object.prototype: a plain object's `for...in` then yields its own
 * keys only, and the copy skips asking each key whether it is one.
 */
let ownKeysOnly = false;

/**
 * Copies `frame` and measures it. Throws NotWireValueError when a payload or the
 * details are not a WireValue, and RangeError when the body exceeds
 * `RPC_FRAME_BYTES_MAX`, as encoding would.
 */
export function copyFrame(frame: Frame): CopiedFrame {
  bodyBytes = 0;
  ownKeysOnly = prototypeAddsNoKeys();
  const copy = copyFields(frame);
  if (bodyBytes > RPC_FRAME_BYTES_MAX) {
    throw new RangeError(`rpc frame of ${bodyBytes} bytes exceeds the limit of ${RPC_FRAME_BYTES_MAX}`);
  }
  return { frame: copy, size: RPC_FRAME_HEADER_BYTES + bodyBytes };
}

function copyFields(frame: Frame): Frame {
  // Every frame is an array of a tag and an id first (frame.ts).
  switch (frame.type) {
    case "request":
      measureArray(7);
      measureNumber(1);
      measureNumber(frame.id);
      measureString(frame.method);
      bodyBytes += 1;
      measureNumber(frame.deadlineMs);
      measureNumber(frame.window);
      return { ...frame, payload: copyValue(frame.payload, 0) };
    case "cancel":
    case "end":
      measureArray(2);
      measureNumber(1);
      measureNumber(frame.id);
      return { ...frame };
    case "credit":
      measureArray(3);
      measureNumber(1);
      measureNumber(frame.id);
      measureNumber(frame.count);
      return { ...frame };
    case "response":
    case "message":
      measureArray(3);
      measureNumber(1);
      measureNumber(frame.id);
      return { ...frame, payload: copyValue(frame.payload, 0) };
    case "notification":
      measureArray(frame.datagram === true ? 5 : 4);
      measureNumber(1);
      measureNumber(frame.id);
      measureString(frame.method);
      if (frame.datagram === true) bodyBytes += 1;
      return { ...frame, payload: copyValue(frame.payload, 0) };
    case "error": {
      measureArray(frame.details === undefined ? 4 : 5);
      measureNumber(1);
      measureNumber(frame.id);
      measureString(frame.code);
      measureString(frame.message);
      return { ...frame, details: frame.details === undefined ? undefined : copyValue(frame.details, 0) };
    }
  }
}

function copyValue(value: WireValue, depth: number): WireValue {
  if (value === null || typeof value === "boolean") {
    bodyBytes += 1;
    return value;
  }
  if (typeof value === "number") {
    measureNumber(value);
    return value === 0 ? 0 : value;
  }
  if (typeof value === "string") {
    measureString(value);
    return value;
  }
  if (typeof value !== "object") throw new NotWireValueError(`a ${typeof value} is not a wire value`);
  if (value instanceof Uint8Array) {
    const length = value.length;
    bodyBytes += length + (length < 0x100 ? 2 : length < 0x10000 ? 3 : 5);
    return value.slice();
  }
  if (depth >= RPC_VALUE_DEPTH_MAX) throw new NotWireValueError(`nested deeper than ${RPC_VALUE_DEPTH_MAX}`);
  if (Array.isArray(value)) {
    const items = value as readonly WireValue[];
    measureArray(items.length);
    const copy: WireValue[] = new Array<WireValue>(items.length);
    for (let index = 0; index < items.length; index++) copy[index] = copyValue(items[index] as WireValue, depth + 1);
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new NotWireValueError(`an instance of ${describeConstructor(value)} is not a wire value`);
  }
  const record = value as { readonly [key: string]: WireValue | undefined };
  const copy: Record<string, WireValue> = {};
  let entries = 0;
  for (const key in record) {
    const item = record[key];
    if (item === undefined || (!ownKeysOnly && !Object.hasOwn(record, key))) continue;
    entries++;
    measureString(key);
    copy[key] = copyValue(item, depth + 1);
  }
  bodyBytes += entries < 16 ? 1 : entries < 0x10000 ? 3 : 5;
  return copy;
}

/** True when Object.prototype has no enumerable property (nobody added one). */
function prototypeAddsNoKeys(): boolean {
  for (const _key in Object.prototype) return false;
  return true;
}

function measureArray(length: number): void {
  bodyBytes += length < 16 ? 1 : length < 0x10000 ? 3 : 5;
}

function measureNumber(value: number): void {
  if (!Number.isSafeInteger(value)) {
    bodyBytes += 9;
  } else if (value >= 0) {
    bodyBytes += value < 128 ? 1 : value < 0x100 ? 2 : value < 0x10000 ? 3 : value < 0x100000000 ? 5 : 9;
  } else {
    bodyBytes += value >= -32 ? 1 : value >= -128 ? 2 : value >= -32768 ? 3 : value >= -2147483648 ? 5 : 9;
  }
}

/**
 * Encoded sizes of short strings already measured (object keys and names repeat in every frame). Bounded: once full,
 * other strings are measured each time.
 */
const measuredStrings = new Map<string, number>();
const MEASURED_STRINGS_MAX = 4096;
const MEASURED_STRING_LENGTH_MAX = 32;

function measureString(text: string): void {
  if (text.length > MEASURED_STRING_LENGTH_MAX) {
    bodyBytes += stringBytes(text);
    return;
  }
  let bytes = measuredStrings.get(text);
  if (bytes === undefined) {
    bytes = stringBytes(text);
    if (measuredStrings.size < MEASURED_STRINGS_MAX) measuredStrings.set(text, bytes);
  }
  bodyBytes += bytes;
}

/** The size of `text` in msgpack: its UTF-8 bytes and their header. */
function stringBytes(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        index++;
      } else {
        length += 3;
      }
    } else {
      length += 3;
    }
  }
  return length + (length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5);
}
