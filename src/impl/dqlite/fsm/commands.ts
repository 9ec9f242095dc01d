/**
 * The wire form of a `Command` (go-dqlite's protocol.Command), as stored in the Raft
 * log: dqlite's own binary command format (C dqlite's command.c), not a generic
 * serialisation, because a Frames command carries whole pages and is decoded by
 * every node. Little-endian; an 8-byte header, then the command's fields:
 *
 *   header      u8 format (1), u8 tag, 6 zero bytes
 *   open   1    text name
 *   begin  2    u64 txid, text name
 *   frames 3    text filename, u64 txid, u32 truncate, u8 isCommit (0/1), 3 zero bytes,
 *               u32 page count, u32 pageSize, u64 page number per page, then the pages
 *   undo   4    u64 txid
 *   end    5    u64 txid
 *   checkpoint 6 text name
 *
 * A text is its UTF-8 bytes and a NUL, zero-padded to a multiple of 8 bytes.
 * Decoding checks every byte (reserved and padding bytes zero, no trailing bytes)
 * and every field (a damaged or hostile entry must never reach the FSM as a
 * half-valid command) and throws only `ErrCommandMalformed`. Encoding a command
 * that would not decode is a programmer error (assertion).
 */
import { assert } from "../../../sim/assert.ts";
import type { Command, FramesPayload } from "../types.ts";
import { ErrCommandMalformed } from "./errors.ts";

/** Smallest and largest SQLite page sizes (both powers of two, as is every valid size). */
export const PAGE_SIZE_MIN = 512;
export const PAGE_SIZE_MAX = 65_536;
/** SQLite's largest page number (2^32 - 2: the pager reserves the last one). */
export const PAGE_NUMBER_MAX = 0xfffffffe;
/** Longest database name, in UTF-16 code units (a file name on the host's disk). */
export const DATABASE_NAME_LENGTH_MAX = 255;

/** The format byte of every command this codec writes. */
export const COMMAND_FORMAT = 1;
const HEADER_BYTES = 8;
const TAGS = { open: 1, begin: 2, frames: 3, undo: 4, end: 5, checkpoint: 6 } as const;
const TWO_TO_32 = 2 ** 32;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The bytes of `command`. Asserts that the command is valid (what `decodeCommand` accepts). */
export function encodeCommand(command: Command): Uint8Array {
  const problem = commandProblem(command);
  assert(problem === undefined, `encodeCommand: ${problem ?? ""}`);
  const name = "name" in command ? command.name : "filename" in command ? command.filename : "";
  const nameBytes = encodeUtf8(name);
  const writer = new CommandWriter(encodedSize(command, nameBytes.length));
  writer.header(TAGS[command.kind]);
  switch (command.kind) {
    case "open":
    case "checkpoint":
      writer.text(nameBytes);
      break;
    case "begin":
      writer.u64(command.txid);
      writer.text(nameBytes);
      break;
    case "undo":
    case "end":
      writer.u64(command.txid);
      break;
    case "frames":
      writer.text(nameBytes);
      writer.u64(command.txid);
      writer.u32(command.truncate);
      writer.u32(command.isCommit ? 1 : 0);
      writer.u32(command.pageNumbers.length);
      writer.u32(command.pageSize);
      for (const pageNumber of command.pageNumbers) writer.u64(pageNumber);
      writer.bytes(command.pageData);
      break;
  }
  return writer.finish();
}

/** The command `bytes` encode. Throws `ErrCommandMalformed` on anything else, never another error. */
export function decodeCommand(bytes: Uint8Array): Command {
  const reader = new CommandReader(bytes);
  const command = readCommand(reader);
  reader.end();
  const problem = commandProblem(command);
  if (problem !== undefined) throw new ErrCommandMalformed(problem);
  return command;
}

function readCommand(reader: CommandReader): Command {
  const tag = reader.header();
  switch (tag) {
    case TAGS.open:
      return { kind: "open", name: reader.text("open.name") };
    case TAGS.begin: {
      const txid = reader.u64("begin.txid");
      return { kind: "begin", txid, name: reader.text("begin.name") };
    }
    case TAGS.frames:
      return readFrames(reader);
    case TAGS.undo:
      return { kind: "undo", txid: reader.u64("undo.txid") };
    case TAGS.end:
      return { kind: "end", txid: reader.u64("end.txid") };
    case TAGS.checkpoint:
      return { kind: "checkpoint", name: reader.text("checkpoint.name") };
    default:
      throw new ErrCommandMalformed(`unknown command tag ${tag}`);
  }
}

function readFrames(reader: CommandReader): Command {
  const filename = reader.text("frames.filename");
  const txid = reader.u64("frames.txid");
  const truncate = reader.u32();
  const isCommit = reader.u32();
  if (isCommit > 1) throw new ErrCommandMalformed(`frames.isCommit: ${isCommit} is not 0 or 1`);
  const pageCount = reader.u32();
  const pageSize = reader.u32();
  // Checked before the page numbers are read: a damaged count must not make a huge array.
  if (pageCount * 8 + pageCount * pageSize !== reader.remaining()) {
    throw new ErrCommandMalformed(`frames: ${reader.remaining()} bytes left for ${pageCount} pages of ${pageSize}`);
  }
  const pageNumbers: number[] = [];
  for (let index = 0; index < pageCount; index++) pageNumbers.push(reader.u64("frames.pageNumbers", index));
  // A copy: the command's bytes are the log entry's.
  const pageData = reader.bytes(pageCount * pageSize);
  return { kind: "frames", txid, filename, pageSize, pageNumbers, pageData, truncate, isCommit: isCommit === 1 };
}

/** Bytes the encoding of a valid `command` takes, its name or filename taking `nameBytes` in UTF-8. */
function encodedSize(command: Command, nameBytes: number): number {
  const text = paddedToWord(nameBytes + 1);
  switch (command.kind) {
    case "open":
    case "checkpoint":
      return HEADER_BYTES + text;
    case "begin":
      return HEADER_BYTES + 8 + text;
    case "undo":
    case "end":
      return HEADER_BYTES + 8;
    case "frames":
      return HEADER_BYTES + text + 24 + command.pageNumbers.length * 8 + command.pageData.length;
  }
}

function paddedToWord(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** Longest text decoded without TextDecoder when it is plain ASCII (database names are). */
const ASCII_TEXT_BYTES_MAX = 64;

/** `text` in UTF-8; short ASCII without a native call. */
function encodeUtf8(text: string): Uint8Array {
  if (text.length > ASCII_TEXT_BYTES_MAX) return utf8Encoder.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) return utf8Encoder.encode(text);
    bytes[index] = code;
  }
  return bytes;
}

/** `bytes` as UTF-8, strictly (ErrCommandMalformed otherwise); short ASCII without a native call. */
function decodeUtf8(bytes: Uint8Array, what: string): string {
  if (bytes.length <= ASCII_TEXT_BYTES_MAX) {
    let text = "";
    let index = 0;
    for (; index < bytes.length && (bytes[index] as number) < 0x80; index++)
      text += String.fromCharCode(bytes[index] as number);
    if (index === bytes.length) return text;
  }
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new ErrCommandMalformed(`${what}: not UTF-8`);
  }
}

/** `what`, or its element `index` ("frames.pageNumbers[3]"). */
function elementName(what: string, index: number | undefined): string {
  return index === undefined ? what : `${what}[${index}]`;
}

/** Writes a command into a buffer of exactly its size. */
class CommandWriter {
  private readonly buffer: Uint8Array;
  private readonly view: DataView;
  private offset = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
    this.view = new DataView(this.buffer.buffer);
  }

  header(tag: number): void {
    this.buffer[0] = COMMAND_FORMAT;
    this.buffer[1] = tag;
    this.offset = HEADER_BYTES;
  }

  u32(value: number): void {
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
  }

  u64(value: number): void {
    this.view.setUint32(this.offset, value % TWO_TO_32, true);
    this.view.setUint32(this.offset + 4, Math.floor(value / TWO_TO_32), true);
    this.offset += 8;
  }

  /** A text already in UTF-8 (without its NUL). */
  text(encoded: Uint8Array): void {
    this.buffer.set(encoded, this.offset);
    this.offset += paddedToWord(encoded.length + 1);
  }

  bytes(value: Uint8Array): void {
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  finish(): Uint8Array {
    assert(this.offset === this.buffer.length, `encodeCommand: wrote ${this.offset} of ${this.buffer.length} bytes`);
    return this.buffer;
  }
}

/** Reads a command's fields in order; every shortfall or stray byte is ErrCommandMalformed. */
class CommandReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(private readonly source: Uint8Array) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  /** The header's tag, after checking the format and the reserved bytes. */
  header(): number {
    this.need(HEADER_BYTES, "header");
    if (this.source[0] !== COMMAND_FORMAT)
      throw new ErrCommandMalformed(`unknown command format ${String(this.source[0])}`);
    for (let index = 2; index < HEADER_BYTES; index++) {
      if (this.source[index] !== 0) throw new ErrCommandMalformed("non-zero reserved byte in the header");
    }
    this.offset = HEADER_BYTES;
    return this.source[1] as number;
  }

  u32(): number {
    this.need(4, "u32");
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  /** A u64 that must be a safe integer (transaction IDs, page numbers); `index` names an element of a list. */
  u64(what: string, index?: number): number {
    // The field's name is built only for an error: this runs for every page of every Frames command.
    if (this.offset + 8 > this.source.length) this.need(8, elementName(what, index));
    const low = this.view.getUint32(this.offset, true);
    const high = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    const value = high * TWO_TO_32 + low;
    if (!Number.isSafeInteger(value)) throw new ErrCommandMalformed(`${elementName(what, index)}: past 2^53`);
    return value;
  }

  text(what: string): string {
    const end = this.source.indexOf(0, this.offset);
    if (end < 0) throw new ErrCommandMalformed(`${what}: no terminating NUL`);
    const padded = this.offset + paddedToWord(end - this.offset + 1);
    this.need(padded - this.offset, what);
    for (let index = end; index < padded; index++) {
      if (this.source[index] !== 0) throw new ErrCommandMalformed(`${what}: non-zero padding`);
    }
    const value = decodeUtf8(this.source.subarray(this.offset, end), what);
    this.offset = padded;
    return value;
  }

  bytes(length: number): Uint8Array {
    this.need(length, "bytes");
    const value = this.source.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  remaining(): number {
    return this.source.length - this.offset;
  }

  end(): void {
    if (this.offset !== this.source.length)
      throw new ErrCommandMalformed(`${this.source.length - this.offset} trailing bytes`);
  }

  private need(bytes: number, what: string): void {
    if (this.offset + bytes > this.source.length) throw new ErrCommandMalformed(`${what}: truncated`);
  }
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
  if (
    !Number.isSafeInteger(pageSize) ||
    pageSize < PAGE_SIZE_MIN ||
    pageSize > PAGE_SIZE_MAX ||
    (pageSize & (pageSize - 1)) !== 0
  ) {
    return `frames.pageSize: ${pageSize} is not a power of two in [${PAGE_SIZE_MIN}, ${PAGE_SIZE_MAX}]`;
  }
  // SQLite never writes an empty batch of frames: every xFrames call carries at least one page.
  if (pageNumbers.length === 0) return "frames.pageNumbers: no frames";
  const badPage = pageNumbers.findIndex((page) => !Number.isSafeInteger(page) || page < 1 || page > PAGE_NUMBER_MAX);
  if (badPage >= 0) return `frames.pageNumbers[${badPage}]: ${pageNumbers[badPage]} is not a page number`;
  if (pageData.length !== pageNumbers.length * pageSize) {
    return `frames.pageData: ${pageData.length} bytes for ${pageNumbers.length} pages of ${pageSize}`;
  }
  if (!Number.isSafeInteger(truncate) || truncate < 0 || truncate > PAGE_NUMBER_MAX)
    return `frames.truncate: ${truncate} is not a page count`;
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

/** The last name found valid: commands name the same few databases over and over. */
let lastValidName: string | undefined;

function nameProblem(name: string, what: string): string | undefined {
  if (name === lastValidName) return undefined;
  const problem = nameProblemUncached(name, what);
  if (problem === undefined) lastValidName = name;
  return problem;
}

function nameProblemUncached(name: string, what: string): string | undefined {
  if (name.length === 0) return `${what}: empty database name`;
  if (name.length > DATABASE_NAME_LENGTH_MAX) return `${what}: longer than ${DATABASE_NAME_LENGTH_MAX}`;
  // The name becomes a file name next to its "-wal": no directories, no NUL.
  if (/[/\\\0]/.test(name) || name === "." || name === "..")
    return `${what}: ${JSON.stringify(name)} is not a file name`;
  // A lone surrogate does not survive UTF-8 (the command's and the snapshot's encoding).
  if (/\p{Cs}/u.test(name)) return `${what}: ${JSON.stringify(name)} is not well-formed Unicode`;
  if (name.endsWith("-wal")) return `${what}: ${JSON.stringify(name)} would clash with another database's WAL`;
  return undefined;
}
