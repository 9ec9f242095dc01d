/**
 * The wire form of a `Command` (go-dqlite's protocol.Command), as stored in the Raft
 * log: a msgpack array whose first element is the command's tag.
 *
 *   open        [1, name]
 *   begin       [2, txid, name]
 *   frames      [3, txid, filename, pageSize, pageNumbers, pageData, truncate, isCommit]
 *   undo        [4, txid]
 *   end         [5, txid]
 *   checkpoint  [6, name]
 *
 * Decoding checks every field (a damaged or hostile entry must never reach the FSM
 * as a half-valid command) and throws only `ErrCommandMalformed`. Encoding a command
 * that would not decode is a programmer error (assertion).
 */
import { decode, encode } from "../../common/msgpack.ts";
import { assert } from "../../common/assert.ts";
import type { Command, FramesPayload } from "../types.ts";
import { ErrCommandMalformed } from "./errors.ts";

/** Smallest and largest SQLite page sizes (both powers of two, as is every valid size). */
export const PAGE_SIZE_MIN = 512;
export const PAGE_SIZE_MAX = 65_536;
/** SQLite's largest page number (2^32 - 2: the pager reserves the last one). */
export const PAGE_NUMBER_MAX = 0xfffffffe;
/** Longest database name, in UTF-16 code units (a file name on the host's disk). */
export const DATABASE_NAME_LENGTH_MAX = 255;

const TAGS = { open: 1, begin: 2, frames: 3, undo: 4, end: 5, checkpoint: 6 } as const;

/** The bytes of `command`. Asserts that the command is valid (what `decodeCommand` accepts). */
export function encodeCommand(command: Command): Uint8Array {
  const problem = commandProblem(command);
  assert(problem === undefined, `encodeCommand: ${problem ?? ""}`);
  return encode(toWire(command));
}

/** The command `bytes` encode. Throws `ErrCommandMalformed` on anything else, never another error. */
export function decodeCommand(bytes: Uint8Array): Command {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (error) {
    throw new ErrCommandMalformed(`not msgpack: ${error instanceof Error ? error.message : String(error)}`);
  }
  const command = fromWire(value);
  const problem = commandProblem(command);
  if (problem !== undefined) throw new ErrCommandMalformed(problem);
  return command;
}

function toWire(command: Command): unknown[] {
  switch (command.kind) {
    case "open":
    case "checkpoint":
      return [TAGS[command.kind], command.name];
    case "begin":
      return [TAGS.begin, command.txid, command.name];
    case "undo":
    case "end":
      return [TAGS[command.kind], command.txid];
    case "frames":
      return [
        TAGS.frames, command.txid, command.filename, command.pageSize, [...command.pageNumbers],
        command.pageData, command.truncate, command.isCommit,
      ];
  }
}

/** Reads the fields by position; types are checked here, values by `commandProblem`. */
function fromWire(value: unknown): Command {
  if (!Array.isArray(value)) throw new ErrCommandMalformed("expected an array");
  const fields: readonly unknown[] = value;
  const field = (position: number, expected: number): unknown => {
    if (fields.length !== expected) throw new ErrCommandMalformed(`expected ${expected} fields, got ${fields.length}`);
    return fields[position];
  };
  switch (fields[0]) {
    case TAGS.open:
      return { kind: "open", name: text(field(1, 2), "open.name") };
    case TAGS.begin:
      return { kind: "begin", txid: integer(field(1, 3), "begin.txid"), name: text(field(2, 3), "begin.name") };
    case TAGS.frames:
      return framesFromWire((position) => field(position, 8));
    case TAGS.undo:
      return { kind: "undo", txid: integer(field(1, 2), "undo.txid") };
    case TAGS.end:
      return { kind: "end", txid: integer(field(1, 2), "end.txid") };
    case TAGS.checkpoint:
      return { kind: "checkpoint", name: text(field(1, 2), "checkpoint.name") };
    default:
      throw new ErrCommandMalformed(`unknown command tag ${String(fields[0])}`);
  }
}

function framesFromWire(field: (position: number) => unknown): Command {
  const numbers = field(4);
  if (!Array.isArray(numbers)) throw new ErrCommandMalformed("frames.pageNumbers: expected an array");
  const pageNumbers = (numbers as readonly unknown[]).map((number, position) => integer(number, `frames.pageNumbers[${position}]`));
  const pageData = field(5);
  if (!(pageData instanceof Uint8Array)) throw new ErrCommandMalformed("frames.pageData: expected bytes");
  const isCommit = field(7);
  if (typeof isCommit !== "boolean") throw new ErrCommandMalformed("frames.isCommit: expected a boolean");
  return {
    kind: "frames",
    txid: integer(field(1), "frames.txid"),
    filename: text(field(2), "frames.filename"),
    pageSize: integer(field(3), "frames.pageSize"),
    pageNumbers,
    // A copy: the decoder hands out a view of the log entry's bytes.
    pageData: pageData.slice(),
    truncate: integer(field(6), "frames.truncate"),
    isCommit,
  };
}

function integer(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ErrCommandMalformed(`${what}: expected a non-negative safe integer`);
  }
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw new ErrCommandMalformed(`${what}: expected a string`);
  return value;
}

/** Why `command` is not a valid command (values, not types), or undefined. */
export function commandProblem(command: Command): string | undefined {
  switch (command.kind) {
    case "open":
    case "checkpoint":
      return nameProblem(command.name, `${command.kind}.name`);
    case "begin":
      return txidProblem(command.txid, "begin.txid") ?? nameProblem(command.name, "begin.name");
    case "undo":
    case "end":
      return txidProblem(command.txid, `${command.kind}.txid`);
    case "frames":
      return framesProblem(command);
  }
}

function framesProblem(frames: FramesPayload): string | undefined {
  const problem = txidProblem(frames.txid, "frames.txid") ?? nameProblem(frames.filename, "frames.filename");
  if (problem !== undefined) return problem;
  const { pageSize, pageNumbers, pageData, truncate, isCommit } = frames;
  if (!Number.isSafeInteger(pageSize) || pageSize < PAGE_SIZE_MIN || pageSize > PAGE_SIZE_MAX || (pageSize & (pageSize - 1)) !== 0) {
    return `frames.pageSize: ${pageSize} is not a power of two in [${PAGE_SIZE_MIN}, ${PAGE_SIZE_MAX}]`;
  }
  // SQLite never writes an empty batch of frames: every xFrames call carries at least one page.
  if (pageNumbers.length === 0) return "frames.pageNumbers: no frames";
  const badPage = pageNumbers.findIndex((page) => !Number.isSafeInteger(page) || page < 1 || page > PAGE_NUMBER_MAX);
  if (badPage >= 0) return `frames.pageNumbers[${badPage}]: ${pageNumbers[badPage]} is not a page number`;
  if (pageData.length !== pageNumbers.length * pageSize) {
    return `frames.pageData: ${pageData.length} bytes for ${pageNumbers.length} pages of ${pageSize}`;
  }
  if (!Number.isSafeInteger(truncate) || truncate < 0 || truncate > PAGE_NUMBER_MAX) return `frames.truncate: ${truncate} is not a page count`;
  // The database size is a field of the commit frame only; a commit always leaves at least page 1.
  if (isCommit && truncate === 0) return "frames.truncate: a commit must give the database size";
  if (!isCommit && truncate !== 0) return "frames.truncate: only a commit gives the database size";
  return undefined;
}

function txidProblem(txid: number, what: string): string | undefined {
  // 0 is no transaction (the seed's noopBeginTxn uses it so); real IDs carry the term in the high bits.
  return Number.isSafeInteger(txid) && txid >= 1 ? undefined : `${what}: ${txid} is not a transaction ID`;
}

/** Why `name` cannot be a database's name (a file name on the host's disk), or undefined. */
export function databaseNameProblem(name: string): string | undefined {
  return nameProblem(name, "database name");
}

function nameProblem(name: string, what: string): string | undefined {
  if (name.length === 0) return `${what}: empty database name`;
  if (name.length > DATABASE_NAME_LENGTH_MAX) return `${what}: longer than ${DATABASE_NAME_LENGTH_MAX}`;
  // The name becomes a file name next to its "-wal": no directories, no NUL.
  if (/[/\\\0]/.test(name) || name === "." || name === "..") return `${what}: ${JSON.stringify(name)} is not a file name`;
  // A lone surrogate does not survive UTF-8 (msgpack's and the snapshot's encoding).
  if (/\p{Cs}/u.test(name)) return `${what}: ${JSON.stringify(name)} is not well-formed Unicode`;
  if (name.endsWith("-wal")) return `${what}: ${JSON.stringify(name)} would clash with another database's WAL`;
  return undefined;
}
