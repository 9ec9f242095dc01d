/**
 * go-dqlite's own snapshot format and restore, reproduced with its bug, to show the
 * snapshot properties can fail: Persist writes the index, then per database its size,
 * bytes, WAL size, WAL, name and NUL, then the transaction ID as text without any
 * delimiter; Restore reads the name through a fresh bufio.Reader (4096-byte buffer)
 * per database, which reads ahead past the name into the next database's bytes, and
 * reads the "transaction ID" up to the next NUL or the end. There is no checksum.
 * Errors are plain Errors, as the seed's are.
 */
import type { DatabaseSnapshot, FsmSnapshotData } from "../../../../src/impl/dqlite/fsm/snapshot-format.ts";

const BUFIO_SIZE = 4096;

export function encodeSeedSnapshot(snapshot: FsmSnapshotData): Uint8Array {
  const parts: Uint8Array[] = [uint64(snapshot.index)];
  for (const database of snapshot.databases) {
    parts.push(uint64(database.database.length), database.database, uint64(database.wal.length), database.wal);
    parts.push(new TextEncoder().encode(database.name), new Uint8Array([0]));
    // The transaction ID: always empty (the seed refuses snapshots with transactions).
  }
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  parts.reduce((offset, part) => (bytes.set(part, offset), offset + part.length), 0);
  return bytes;
}

/** The underlying reader (Raft's snapshot file). */
class Stream {
  position = 0;
  constructor(private readonly bytes: Uint8Array) {}

  readFull(length: number, what: string): Uint8Array {
    if (this.position + length > this.bytes.length) throw new Error(`failed to read ${what}: unexpected EOF`);
    this.position += length;
    return this.bytes.slice(this.position - length, this.position);
  }

  /** One Read call: up to `length` bytes. */
  read(length: number): Uint8Array {
    const chunk = this.bytes.slice(this.position, this.position + length);
    this.position += chunk.length;
    return chunk;
  }
}

/** bufio.Reader.ReadString(0) on a fresh reader: fills its buffer from the stream, 4096 bytes at a time. */
class BufferedReader {
  private buffered: number[] = [];
  constructor(private readonly stream: Stream) {}

  readString(): { text: Uint8Array; eof: boolean } {
    const text: number[] = [];
    for (;;) {
      if (this.buffered.length === 0) {
        const chunk = this.stream.read(BUFIO_SIZE);
        if (chunk.length === 0) return { text: new Uint8Array(text), eof: true };
        this.buffered = [...chunk];
      }
      const byte = this.buffered.shift() as number;
      if (byte === 0) return { text: new Uint8Array(text), eof: false };
      text.push(byte);
    }
  }
}

export function decodeSeedSnapshot(bytes: Uint8Array): FsmSnapshotData {
  const stream = new Stream(bytes);
  const index = readUint64(stream.readFull(8, "FSM index"));
  const databases: DatabaseSnapshot[] = [];
  for (let done = false; !done; ) {
    const database = stream.readFull(readUint64(stream.readFull(8, "database size")), "database data");
    const wal = stream.readFull(readUint64(stream.readFull(8, "wal size")), "wal data");
    const reader = new BufferedReader(stream);
    const name = reader.readString();
    if (name.eof) throw new Error("failed to read database name: EOF");
    done = reader.readString().eof;
    databases.push({ name: new TextDecoder().decode(name.text), database, wal });
  }
  return { index, databases };
}

function uint64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
}

function readUint64(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}
