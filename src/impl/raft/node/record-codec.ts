/**
 * Checksummed, length-prefixed records: the framing of every file the node writes.
 *
 *   offset 0   u32 LE  payload length
 *   offset 4   u32 LE  CRC-32 of bytes 0..3 (the length), so a damaged length is caught
 *   offset 8   u32 LE  CRC-32 of the payload
 *   offset 12  payload
 *
 * Reading back tells three cases apart, following the disk's durability model (a
 * crash keeps a prefix of the writes not yet synced, cut at a sector boundary, and
 * never changes synced bytes):
 * - clean: every byte belongs to a valid record;
 * - torn tail: the last record is incomplete (fewer than 12 header bytes, or a
 *   valid header whose payload runs past the end): a write cut by a crash, never
 *   acknowledged, safe to truncate;
 * - corrupt: a complete record whose checksum fails: not something a crash does.
 */
import type { Crc32 } from "../../../sim/env.ts";

/** Bytes before each payload: length, length checksum, payload checksum. */
export const RECORD_HEADER_BYTES = 12;
/** The largest payload a record may carry (a limit on memory and on a damaged length). */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

/** One framed record holding `payload`; `crc32` is the Env's (env.hash.crc32). */
export function encodeRecord(payload: Uint8Array, crc32: Crc32): Uint8Array {
  if (payload.length > RECORD_PAYLOAD_BYTES_MAX)
    throw new RangeError(`record payload of ${payload.length} bytes exceeds ${RECORD_PAYLOAD_BYTES_MAX}`);
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const view = new DataView(record.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(record.subarray(0, 4)), true);
  view.setUint32(8, crc32(payload), true);
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

/** What reading back a file of records found (see the file's comment). */
export type RecordScan =
  | {
      readonly outcome: "clean";
      readonly payloads: Uint8Array[];
      readonly offsets: number[];
      readonly validBytes: number;
    }
  | {
      readonly outcome: "torn-tail";
      readonly payloads: Uint8Array[];
      readonly offsets: number[];
      readonly validBytes: number;
    }
  | {
      readonly outcome: "corrupt";
      readonly payloads: Uint8Array[];
      readonly offsets: number[];
      readonly validBytes: number;
      readonly detail: string;
    };

/** Splits `bytes` into records; `offsets[i]` is where record i starts, `validBytes` where the valid ones end. */
export function scanRecords(bytes: Uint8Array, crc32: Crc32): RecordScan {
  const payloads: Uint8Array[] = [];
  const offsets: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 0;
  while (position < bytes.length) {
    if (bytes.length - position < RECORD_HEADER_BYTES)
      return { outcome: "torn-tail", payloads, offsets, validBytes: position };
    const length = view.getUint32(position, true);
    if (
      view.getUint32(position + 4, true) !== crc32(bytes.subarray(position, position + 4)) ||
      length > RECORD_PAYLOAD_BYTES_MAX
    ) {
      return {
        outcome: "corrupt",
        payloads,
        offsets,
        validBytes: position,
        detail: `bad record header at byte ${position}`,
      };
    }
    const end = position + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) return { outcome: "torn-tail", payloads, offsets, validBytes: position };
    const payload = bytes.subarray(position + RECORD_HEADER_BYTES, end);
    if (view.getUint32(position + 8, true) !== crc32(payload)) {
      return {
        outcome: "corrupt",
        payloads,
        offsets,
        validBytes: position,
        detail: `payload checksum mismatch in the record at byte ${position}`,
      };
    }
    payloads.push(payload);
    offsets.push(position);
    position = end;
  }
  return { outcome: "clean", payloads, offsets, validBytes: position };
}
