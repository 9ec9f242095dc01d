/**
 * A cache of decoded msgpack map keys for every Decoder of the process, the simulator's
 * and the systems'. @msgpack's default key cache (CachedKeyDecoder, one shared
 * instance) picks the record a full bucket loses with `Math.random()`: harmless to the
 * values decoded, but an ambient call inside host code, which the determinism guard
 * refuses. This one has the same buckets (keys of 1 to 16 bytes, 16 records each) and
 * replaces a full bucket's records in turn.
 *
 * Shared with src/impl (like the assert): it is pure and reads nothing ambient.
 */

/** The longest key cached, in bytes, and the records kept per key length: @msgpack's defaults. */
export const KEY_BYTES_MAX = 16;
export const RECORDS_PER_LENGTH_MAX = 16;

interface KeyRecord {
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** @msgpack's KeyDecoder interface (`new Decoder({ keyDecoder })`). */
export class DeterministicKeyDecoder {
  private readonly buckets: KeyRecord[][] = Array.from({ length: KEY_BYTES_MAX }, () => []);
  /** Per key length: the record a full bucket replaces next. */
  private readonly nextVictim: number[] = new Array<number>(KEY_BYTES_MAX).fill(0);
  private readonly utf8 = new TextDecoder();

  canBeCached(byteLength: number): boolean {
    return byteLength > 0 && byteLength <= KEY_BYTES_MAX;
  }

  decode(bytes: Uint8Array, inputOffset: number, byteLength: number): string {
    const bucket = this.buckets[byteLength - 1] as KeyRecord[];
    search: for (const record of bucket) {
      const cached = record.bytes;
      for (let index = 0; index < byteLength; index++) {
        if (cached[index] !== bytes[inputOffset + index]) continue search;
      }
      return record.text;
    }
    const copy = bytes.slice(inputOffset, inputOffset + byteLength);
    const record = { bytes: copy, text: this.utf8.decode(copy) };
    if (bucket.length < RECORDS_PER_LENGTH_MAX) bucket.push(record);
    else {
      const victim = this.nextVictim[byteLength - 1] as number;
      bucket[victim] = record;
      this.nextVictim[byteLength - 1] = (victim + 1) % RECORDS_PER_LENGTH_MAX;
    }
    return record.text;
  }
}

/** The one cache every Decoder of the project is given. */
export const keyDecoder = new DeterministicKeyDecoder();
