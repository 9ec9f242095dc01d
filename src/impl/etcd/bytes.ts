/**
 * Keys and values as etcd has them: byte strings, ordered bytewise.
 *
 * Inside the store a key is a "binary string": one UTF-16 code unit (0..255) per
 * byte. JavaScript compares such strings code unit by code unit, which is exactly
 * bytewise order, so sorted arrays and `<` work as etcd's byte comparisons do.
 * Strings given by callers are UTF-8 encoded first (`toBytes`).
 */
import { assert } from "../../sim/assert.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A key or value as bytes: strings are UTF-8 encoded, byte arrays copied. */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value.slice();
}

/** Bytes as a UTF-8 string (invalid sequences become U+FFFD): a helper for keys and values written as strings. */
export function bytesToString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Bytes as a binary string (one code unit per byte), the store's key representation. */
export function toBinary(bytes: Uint8Array): string {
  let result = "";
  for (let offset = 0; offset < bytes.length; offset += 4096) {
    result += String.fromCharCode(...bytes.subarray(offset, offset + 4096));
  }
  return result;
}

/** A binary string back to bytes. */
export function fromBinary(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) {
    const code = binary.charCodeAt(index);
    assert(code <= 0xff, "a binary string holds one byte per code unit");
    bytes[index] = code;
  }
  return bytes;
}

/** Bytewise comparison: negative, zero or positive as in Go's bytes.Compare. */
export function compareBytes(first: Uint8Array, second: Uint8Array): number {
  const length = Math.min(first.length, second.length);
  for (let index = 0; index < length; index++) {
    const difference = (first[index] as number) - (second[index] as number);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return first.length === second.length ? 0 : first.length < second.length ? -1 : 1;
}

export function bytesEqual(first: Uint8Array, second: Uint8Array): boolean {
  return compareBytes(first, second) === 0;
}

/** The single zero byte: as a range end it means "every key from `key` on" (etcd's "\x00"). */
export const NO_PREFIX_END = Uint8Array.of(0);

/**
 * clientv3's GetPrefixRangeEnd: the smallest key greater than every key that begins
 * with `prefix` (the last byte below 0xff incremented, the bytes after it dropped);
 * NO_PREFIX_END when there is none (the prefix is empty or all 0xff).
 */
export function prefixEnd(prefix: string | Uint8Array): Uint8Array {
  const bytes = toBytes(prefix);
  for (let index = bytes.length - 1; index >= 0; index--) {
    if ((bytes[index] as number) < 0xff) {
      const end = bytes.slice(0, index + 1);
      end[index] = (end[index] as number) + 1;
      return end;
    }
  }
  return NO_PREFIX_END.slice();
}

/**
 * The keys a [key, rangeEnd) request selects, in binary strings, as etcd reads it:
 * an empty rangeEnd is the single key; rangeEnd "\x00" is every key >= key; key
 * "\x00" with rangeEnd "\x00" is every key. `end` undefined means unbounded.
 */
export interface KeySpan {
  readonly start: string;
  /** Exclusive end; undefined: no end. */
  readonly end: string | undefined;
  readonly single: boolean;
}

export function keySpan(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const start = toBinary(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined, single: false };
  return { start, end: toBinary(rangeEnd), single: false };
}

/** True when binary key `key` falls in `span`. */
export function inSpan(span: KeySpan, key: string): boolean {
  if (span.single) return key === span.start;
  return key >= span.start && (span.end === undefined || key < span.end);
}
