/**
 * msgpack with one Encoder and one Decoder for the whole process: @msgpack's
 * `encode`/`decode` functions build a new Encoder (with a 2 KiB buffer) or Decoder
 * on every call. The bytes are the same as theirs (default options); `encode`
 * returns a buffer of its own, never a view of the shared one. The decoder's key cache is
 * the deterministic one (src/sim/msgpack-keys.ts): @msgpack's evicts with Math.random().
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { keyDecoder } from "../../sim/msgpack-keys.ts";

const encoder = new Encoder();
const encoderIgnoringUndefined = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder({ keyDecoder });

/** `value` in msgpack, in a fresh buffer; with `ignoreUndefined`, object properties that are undefined are left out. */
export function encode(value: unknown, options?: { readonly ignoreUndefined?: boolean }): Uint8Array {
  return (options?.ignoreUndefined === true ? encoderIgnoringUndefined : encoder).encode(value);
}

/** The value `bytes` holds. Throws (RangeError, DecodeError) on bytes that are not one msgpack value. */
export function decode(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
