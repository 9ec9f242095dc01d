/**
 * A broken copy of the deterministic msgpack key cache (src/sim/msgpack-keys.ts),
 * for its property to catch: it compares only a cached key's first byte, so two keys
 * of one length that start alike decode as whichever was cached first.
 */
import { DeterministicKeyDecoder } from "../../../src/sim/msgpack-keys.ts";

export class FirstByteKeyDecoder extends DeterministicKeyDecoder {
  private readonly seen = new Map<string, string>();

  override decode(bytes: Uint8Array, inputOffset: number, byteLength: number): string {
    const key = `${byteLength}:${bytes[inputOffset]}`;
    const cached = this.seen.get(key);
    if (cached !== undefined) return cached;
    const text = super.decode(bytes, inputOffset, byteLength);
    this.seen.set(key, text);
    return text;
  }
}
