/**
 * Raw command bytes in the codec's layout (fsm/commands.ts) with any values at all,
 * valid or not: what a damaged or hostile log entry may hold. Test-only.
 */
import { concatenate } from "../../../_support/bytes.ts";

/** One field as the codec lays it out. `text` is NUL-terminated and zero-padded to 8 bytes unless `raw`. */
export type RawField =
  | { readonly u32: number }
  | { readonly u64: number }
  | { readonly text: string }
  | { readonly bytes: Uint8Array };

/** A command: the 8-byte header (format, tag, reserved bytes) and `fields`, little-endian. */
export function rawCommand(
  tag: number,
  fields: readonly RawField[],
  header: { format?: number; reserved?: number } = {},
): Uint8Array {
  return concatenate([
    new Uint8Array([header.format ?? 1, tag, header.reserved ?? 0, 0, 0, 0, 0, 0]),
    ...fields.map(fieldBytes),
  ]);
}

/** A Frames command's fields in order, each overridable. */
export function rawFrames(fields: {
  filename?: string;
  txid?: number;
  truncate?: number;
  isCommit?: number;
  pageNumbers?: readonly number[];
  pageCount?: number;
  pageSize?: number;
  pageData?: Uint8Array;
}): Uint8Array {
  const pageNumbers = fields.pageNumbers ?? [1];
  const pageSize = fields.pageSize ?? 512;
  return rawCommand(3, [
    { text: fields.filename ?? "a.db" },
    { u64: fields.txid ?? 5 },
    { u32: fields.truncate ?? 0 },
    { u32: fields.isCommit ?? 0 },
    { u32: fields.pageCount ?? pageNumbers.length },
    { u32: pageSize },
    ...pageNumbers.map((pageNumber) => ({ u64: pageNumber })),
    { bytes: fields.pageData ?? new Uint8Array(pageNumbers.length * pageSize) },
  ]);
}

function fieldBytes(field: RawField): Uint8Array {
  if ("u32" in field) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, field.u32 >>> 0, true);
    return bytes;
  }
  if ("u64" in field) {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, field.u64 % 2 ** 32 >>> 0, true);
    view.setUint32(4, Math.floor(field.u64 / 2 ** 32) >>> 0, true);
    return bytes;
  }
  if ("text" in field) {
    const encoded = new TextEncoder().encode(field.text);
    const bytes = new Uint8Array(Math.ceil((encoded.length + 1) / 8) * 8);
    bytes.set(encoded);
    return bytes;
  }
  return field.bytes;
}
