/**
 * Deliberately broken command codecs, to show the codec properties can fail:
 * - `encodeCommandTxid32` keeps only the low 32 bits of transaction IDs (losing the
 *   term, as a codec with a uint32 field would);
 * - `decodeCommandUnchecked` trusts msgpack and the fields' shapes: no guard around
 *   the decoder, no validation.
 */
import { decode } from "@msgpack/msgpack";
import { encodeCommand } from "../../../../src/impl/dqlite/fsm/commands.ts";
import type { Command } from "../../../../src/impl/dqlite/types.ts";

export function encodeCommandTxid32(command: Command): Uint8Array {
  return "txid" in command ? encodeCommand({ ...command, txid: command.txid >>> 0 || 1 }) : encodeCommand(command);
}

const KINDS = ["", "open", "begin", "frames", "undo", "end", "checkpoint"] as const;

export function decodeCommandUnchecked(bytes: Uint8Array): Command {
  const fields = decode(bytes) as unknown[];
  const kind = KINDS[fields[0] as number];
  switch (kind) {
    case "open":
    case "checkpoint":
      return { kind, name: fields[1] as string };
    case "begin":
      return { kind, txid: fields[1] as number, name: fields[2] as string };
    case "undo":
    case "end":
      return { kind, txid: fields[1] as number };
    case "frames":
      return {
        kind, txid: fields[1] as number, filename: fields[2] as string, pageSize: fields[3] as number,
        pageNumbers: fields[4] as number[], pageData: fields[5] as Uint8Array, truncate: fields[6] as number, isCommit: fields[7] as boolean,
      };
    default:
      return { kind: "end", txid: 1 };
  }
}

