/**
 * The bytes of an FSM snapshot: the FSM index and every database's files.
 *
 *   magic "DQFS" | version u32 | index u64 | databases u32
 *   per database: name length u32 | name (UTF-8) | database length u64 | database
 *                 | WAL length u64 | WAL
 *   CRC-32 u32 of everything before it
 *
 * Integers are little-endian. Every field is length-prefixed, so a database's bytes
 * can never be taken for the next one's (go-dqlite's restore wrapped the reader in a
 * fresh bufio.Reader per database, which reads ahead past the name into the next
 * database's bytes). Decoding checks everything and throws only ErrSnapshotMalformed.
 */
import { assert } from "../../../sim/assert.ts";
import type { Crc32 } from "../../../sim/env.ts";
import { databaseNameProblem } from "./commands.ts";
import { ErrSnapshotMalformed } from "./errors.ts";

const MAGIC = [0x44, 0x51, 0x46, 0x53] as const; // "DQFS"
/** The format's version; a decoder refuses any other. */
export const SNAPSHOT_FORMAT_VERSION = 1;
const HEADER_BYTES = 4 + 4 + 8 + 4;
const CHECKSUM_BYTES = 4;
const TWO_TO_32 = 0x1_0000_0000;

/** One database's files, as `DatabaseFiles.read()` gave them. */
export interface DatabaseSnapshot {
  readonly name: string;
  readonly database: Uint8Array;
  readonly wal: Uint8Array;
}

/** What a snapshot holds: the FSM index it was taken at and every database (distinct names). */
export interface FsmSnapshotData {
  readonly index: number;
  readonly databases: readonly DatabaseSnapshot[];
}

/** The bytes of `snapshot`. Asserts valid names (distinct) and a valid index. */
export function encodeSnapshot(snapshot: FsmSnapshotData, crc32: Crc32): Uint8Array {
  assert(Number.isSafeInteger(snapshot.index) && snapshot.index >= 0, `snapshot index ${snapshot.index}`);
  const encoder = new TextEncoder();
  const names = snapshot.databases.map((database) => encoder.encode(database.name));
  let size = HEADER_BYTES + CHECKSUM_BYTES;
  for (const [position, database] of snapshot.databases.entries()) {
    const problem = databaseNameProblem(database.name);
    assert(problem === undefined, `encodeSnapshot: ${problem ?? ""}`);
    size += 4 + (names[position]?.length ?? 0) + 8 + database.database.length + 8 + database.wal.length;
  }
  assert(
    new Set(snapshot.databases.map((database) => database.name)).size === snapshot.databases.length,
    "encodeSnapshot: duplicate database names",
  );
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, SNAPSHOT_FORMAT_VERSION, true);
  writeUint64(view, 8, snapshot.index);
  view.setUint32(16, snapshot.databases.length, true);
  let cursor = HEADER_BYTES;
  const put = (data: Uint8Array, lengthBytes: 4 | 8): void => {
    if (lengthBytes === 4) view.setUint32(cursor, data.length, true);
    else writeUint64(view, cursor, data.length);
    bytes.set(data, cursor + lengthBytes);
    cursor += lengthBytes + data.length;
  };
  for (const [position, database] of snapshot.databases.entries()) {
    put(names[position] ?? new Uint8Array(), 4);
    put(database.database, 8);
    put(database.wal, 8);
  }
  assert(cursor === size - CHECKSUM_BYTES, "encodeSnapshot: size miscounted");
  view.setUint32(cursor, crc32(bytes.subarray(0, cursor)), true);
  return bytes;
}

/** The snapshot `bytes` encode; throws ErrSnapshotMalformed on anything else. The result owns its bytes. */
export function decodeSnapshot(bytes: Uint8Array, crc32: Crc32): FsmSnapshotData {
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES)
    throw new ErrSnapshotMalformed(`${bytes.length} bytes: shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (MAGIC.some((byte, position) => bytes[position] !== byte)) throw new ErrSnapshotMalformed("bad magic");
  const version = view.getUint32(4, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) throw new ErrSnapshotMalformed(`unknown version ${version}`);
  const end = bytes.length - CHECKSUM_BYTES;
  const checksum = view.getUint32(end, true);
  if (crc32(bytes.subarray(0, end)) !== checksum) throw new ErrSnapshotMalformed("checksum mismatch");
  const index = readUint64(view, 8, "index");
  const count = view.getUint32(16, true);
  // Each database takes at least its three length fields: a larger count cannot fit.
  if (count > (end - HEADER_BYTES) / 20)
    throw new ErrSnapshotMalformed(`${count} databases cannot fit in ${bytes.length} bytes`);
  const reader = new FieldReader(bytes, view, HEADER_BYTES, end);
  const databases: DatabaseSnapshot[] = [];
  const seen = new Set<string>();
  for (let position = 0; position < count; position++) {
    const name = reader.name(`database ${position}`);
    if (seen.has(name)) throw new ErrSnapshotMalformed(`database ${JSON.stringify(name)} appears twice`);
    seen.add(name);
    databases.push({ name, database: reader.bytes(8, `${name} database`), wal: reader.bytes(8, `${name} WAL`) });
  }
  if (reader.cursor !== end) throw new ErrSnapshotMalformed(`${end - reader.cursor} bytes after the last database`);
  return { index, databases };
}

/** Reads length-prefixed fields between `cursor` and `end`, refusing any that runs past `end`. */
class FieldReader {
  constructor(
    private readonly data: Uint8Array,
    private readonly view: DataView,
    public cursor: number,
    private readonly end: number,
  ) {}

  bytes(lengthBytes: 4 | 8, what: string): Uint8Array {
    if (this.cursor + lengthBytes > this.end) throw new ErrSnapshotMalformed(`${what}: length runs past the end`);
    const length =
      lengthBytes === 4 ? this.view.getUint32(this.cursor, true) : readUint64(this.view, this.cursor, `${what} length`);
    const start = this.cursor + lengthBytes;
    if (length > this.end - start) throw new ErrSnapshotMalformed(`${what}: ${length} bytes run past the end`);
    this.cursor = start + length;
    return this.data.slice(start, start + length);
  }

  name(what: string): string {
    let name: string;
    try {
      name = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(this.bytes(4, `${what} name`));
    } catch (error) {
      if (error instanceof ErrSnapshotMalformed) throw error;
      throw new ErrSnapshotMalformed(`${what}: name is not UTF-8`);
    }
    const problem = databaseNameProblem(name);
    if (problem !== undefined) throw new ErrSnapshotMalformed(`${what}: ${problem}`);
    return name;
  }
}

function writeUint64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % TWO_TO_32, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_TO_32), true);
}

function readUint64(view: DataView, offset: number, what: string): number {
  const value = view.getUint32(offset + 4, true) * TWO_TO_32 + view.getUint32(offset, true);
  if (!Number.isSafeInteger(value)) throw new ErrSnapshotMalformed(`${what}: ${value} is not a safe integer`);
  return value;
}
