/**
 * Deliberately broken command codecs, to show the codec properties can fail:
 * - `encodeCommandTxid32` keeps only the low 32 bits of transaction IDs (losing the
 *   term, as a codec with a uint32 field would);
 * - `decodeCommandUnchecked` trusts the bytes: no bounds, padding or value checks,
 *   no validation of the command it builds.
 */
import { encodeCommand } from "../../../../src/impl/dqlite/fsm/commands.ts";
import type { Command } from "../../../../src/impl/dqlite/types.ts";

export function encodeCommandTxid32(command: Command): Uint8Array {
  return "txid" in command ? encodeCommand({ ...command, txid: command.txid >>> 0 || 1 }) : encodeCommand(command);
}

const KINDS = ["", "open", "begin", "frames", "undo", "end", "checkpoint"] as const;

export function decodeCommandUnchecked(bytes: Uint8Array): Command {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  const u32 = () => {
    offset += 4;
    return view.getUint32(offset - 4, true);
  };
  const u64 = () => u32() + u32() * 2 ** 32;
  const text = () => {
    const end = bytes.indexOf(0, offset);
    const value = new TextDecoder().decode(bytes.subarray(offset, end));
    offset = offset + Math.ceil((end - offset + 1) / 8) * 8;
    return value;
  };
  const kind = KINDS[bytes[1] ?? 0];
  switch (kind) {
    case "open":
    case "checkpoint":
      return { kind, name: text() };
    case "begin":
      return { kind, txid: u64(), name: text() };
    case "undo":
    case "end":
      return { kind, txid: u64() };
    case "frames": {
      const filename = text();
      const txid = u64();
      const truncate = u32();
      const isCommit = u32() === 1;
      const pageCount = u32();
      const pageSize = u32();
      const pageNumbers = Array.from({ length: Math.min(pageCount, 16) }, u64);
      return { kind, txid, filename, pageSize, pageNumbers, pageData: bytes.slice(offset), truncate, isCommit };
    }
    default:
      return { kind: "end", txid: 1 };
  }
}
