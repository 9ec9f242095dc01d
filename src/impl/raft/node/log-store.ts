/**
 * The log store: one file of checksummed records (record-codec.ts), a header
 * record (the base: the index and term of the entry before the first one held)
 * then one record per entry. Appends go at the end; a truncation cuts the file at
 * an entry's offset; compaction and snapshot installs rewrite the file durably
 * (temporary file, sync, rename, directory sync).
 *
 * Recovery on start (the durability model: a crash keeps a prefix of the writes
 * not yet synced): an incomplete last record is a write the crash cut, never
 * acknowledged (fsync comes before any acknowledgement), so it is truncated
 * (probe "raft.log-tail-truncated-on-restart"). A complete record whose checksum
 * fails is read again (the disk may corrupt a read, not the stored bytes); if it
 * fails every time, or the entries are not contiguous, the node refuses to start
 * with ErrLogCorrupted: an acknowledged entry is damaged, and serving without it
 * could lose a committed write.
 */
import { decode, encode } from "../../common/msgpack.ts";
import type { Crc32, Disk, FileHandle, WireValue } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import type { LogEntry } from "../core/index.ts";
import { ErrLogCorrupted } from "../errors.ts";
import { readVerified, writeFileDurably, type ParseOutcome } from "./durable-file.ts";
import { encodeRecord, scanRecords } from "./record-codec.ts";
import { decodeEntry, encodeEntry, MalformedValueError } from "./wire-codec.ts";

/** The entry before the first one stored: index and term (0/0 for a log never compacted). */
export interface LogBase {
  readonly index: number;
  readonly term: number;
}

/** What the log store reports while it opens. */
export interface LogStoreHooks {
  /** A read is retried after a checksum failure or an EIO. */
  readonly readRetried: () => void;
  /** A torn tail of `bytes` bytes was cut off at start. */
  readonly tornTailTruncated: (bytes: number) => void;
}

interface ParsedLog {
  readonly base: LogBase;
  readonly entries: LogEntry[];
  /** Byte offset of each entry's record. */
  readonly offsets: number[];
  readonly validBytes: number;
  readonly fileBytes: number;
}

/** The log on disk; appends and truncations are volatile until `sync`, rewrites are durable when they resolve. */
export class LogStore {
  private dirty = false;

  private constructor(
    private readonly disk: Disk,
    private readonly path: string,
    private readonly crc32: Crc32,
    private handle: FileHandle,
    private base: LogBase,
    private entries: LogEntry[],
    private offsets: number[],
    private endOffset: number,
  ) {}

  /** Opens (or creates) the log at `path`, recovering a torn tail. */
  static async open(disk: Disk, path: string, hooks: LogStoreHooks, crc32: Crc32): Promise<LogStore> {
    if (await disk.exists(`${path}.tmp`)) await disk.unlink(`${path}.tmp`);
    if (!(await disk.exists(path))) return LogStore.create(disk, path, crc32, { index: 0, term: 0 }, []);
    const outcome = await readVerified(disk, path, (bytes) => parseLog(bytes, crc32), hooks.readRetried);
    if (!outcome.ok) throw new ErrLogCorrupted(path, 0, outcome.detail);
    const parsed = outcome.value;
    if (parsed.validBytes === 0) {
      // Not even the header survived: the file was created and never synced.
      return LogStore.create(disk, path, crc32, { index: 0, term: 0 }, []);
    }
    const handle = await disk.open(path);
    if (parsed.validBytes < parsed.fileBytes) {
      await handle.truncate(parsed.validBytes);
      await handle.sync();
      hooks.tornTailTruncated(parsed.fileBytes - parsed.validBytes);
    }
    return new LogStore(disk, path, crc32, handle, parsed.base, parsed.entries, parsed.offsets, parsed.validBytes);
  }

  private static async create(
    disk: Disk,
    path: string,
    crc32: Crc32,
    base: LogBase,
    entries: readonly LogEntry[],
  ): Promise<LogStore> {
    const { bytes, offsets } = encodeLog(base, entries, crc32);
    await writeFileDurably(disk, path, bytes);
    const handle = await disk.open(path);
    return new LogStore(disk, path, crc32, handle, base, entries.slice(), offsets, bytes.length);
  }

  get logBase(): LogBase {
    return this.base;
  }

  /** The entries held (a copy). */
  allEntries(): LogEntry[] {
    return this.entries.slice();
  }

  /** hashicorp/raft's LogStore.FirstIndex: the index of the first entry held, 0 when none is. */
  get firstIndex(): number {
    return this.entries.length === 0 ? 0 : this.base.index + 1;
  }

  get lastIndex(): number {
    return this.base.index + this.entries.length;
  }

  termAt(index: number): number | undefined {
    if (index === this.base.index) return this.base.term;
    return this.entries[index - this.base.index - 1]?.term;
  }

  /** Appends entries right after the last one (volatile until `sync`). */
  async append(entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const records: Uint8Array[] = [];
    let length = 0;
    for (const [position, entry] of entries.entries()) {
      assert(
        entry.index === this.lastIndex + position + 1,
        `log store: append of ${entry.index} after ${this.lastIndex + position}`,
      );
      const record = encodeRecord(encode({ kind: "entry", entry: encodeEntry(entry) }), this.crc32);
      records.push(record);
      length += record.length;
    }
    const bytes = new Uint8Array(length);
    let cursor = 0;
    for (const record of records) {
      bytes.set(record, cursor);
      cursor += record.length;
    }
    await this.handle.write(this.endOffset, bytes);
    cursor = this.endOffset;
    for (const [position, entry] of entries.entries()) {
      this.entries.push(entry);
      this.offsets.push(cursor);
      cursor += (records[position] as Uint8Array).length;
    }
    this.endOffset = cursor;
    this.dirty = true;
  }

  /** Removes the entries at and after `index` (volatile until `sync`). */
  async truncateFrom(index: number): Promise<void> {
    assert(index > this.base.index, `log store: truncate from ${index} at or below the base ${this.base.index}`);
    if (index > this.lastIndex) return;
    const position = index - this.base.index - 1;
    const offset = this.offsets[position] as number;
    await this.handle.truncate(offset);
    this.entries.length = position;
    this.offsets.length = position;
    this.endOffset = offset;
    this.dirty = true;
  }

  /** Makes every append and truncation so far durable. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    await this.handle.sync();
    this.dirty = false;
  }

  /** Drops the entries through `index` (durably, by rewriting the file). */
  async compactThrough(index: number): Promise<void> {
    if (index <= this.base.index) return;
    const term = this.termAt(index);
    assert(term !== undefined, `log store: compact through ${index} beyond ${this.lastIndex}`);
    await this.rewrite({ index, term }, this.entries.slice(index - this.base.index));
  }

  /** Discards every entry: the log restarts after a snapshot (durably). */
  async resetTo(base: LogBase): Promise<void> {
    await this.rewrite(base, []);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async rewrite(base: LogBase, entries: readonly LogEntry[]): Promise<void> {
    await this.sync();
    const { bytes, offsets } = encodeLog(base, entries, this.crc32);
    await writeFileDurably(this.disk, this.path, bytes);
    await this.handle.close();
    this.handle = await this.disk.open(this.path);
    this.base = base;
    this.entries = entries.slice();
    this.offsets = offsets;
    this.endOffset = bytes.length;
    this.dirty = false;
  }
}

function encodeLog(
  base: LogBase,
  entries: readonly LogEntry[],
  crc32: Crc32,
): { bytes: Uint8Array; offsets: number[] } {
  const records = [encodeRecord(encode({ kind: "header", baseIndex: base.index, baseTerm: base.term }), crc32)];
  for (const entry of entries) records.push(encodeRecord(encode({ kind: "entry", entry: encodeEntry(entry) }), crc32));
  const bytes = new Uint8Array(records.reduce((sum, record) => sum + record.length, 0));
  const offsets: number[] = [];
  let cursor = 0;
  records.forEach((record, position) => {
    if (position > 0) offsets.push(cursor);
    bytes.set(record, cursor);
    cursor += record.length;
  });
  return { bytes, offsets };
}

/** Parses a whole log file; a checksum failure asks for another read. */
function parseLog(bytes: Uint8Array, crc32: Crc32): ParseOutcome<ParsedLog> {
  const scan = scanRecords(bytes, crc32);
  if (scan.outcome === "corrupt") return { ok: false, detail: scan.detail };
  if (scan.payloads.length === 0)
    return {
      ok: true,
      value: { base: { index: 0, term: 0 }, entries: [], offsets: [], validBytes: 0, fileBytes: bytes.length },
    };
  try {
    const header = decode(scan.payloads[0] as Uint8Array) as {
      kind?: unknown;
      baseIndex?: unknown;
      baseTerm?: unknown;
    };
    if (header.kind !== "header" || typeof header.baseIndex !== "number" || typeof header.baseTerm !== "number") {
      return { ok: false, detail: "the first record is not a log header" };
    }
    const base = { index: header.baseIndex, term: header.baseTerm };
    const entries: LogEntry[] = [];
    for (const payload of scan.payloads.slice(1)) {
      const record = decode(payload) as { kind?: unknown; entry?: WireValue };
      if (record.kind !== "entry") return { ok: false, detail: "a record after the header is not an entry" };
      const entry = decodeEntry(record.entry);
      const previousTerm = entries[entries.length - 1]?.term ?? base.term;
      if (entry.index !== base.index + entries.length + 1 || entry.term < previousTerm) {
        throw new ErrLogCorrupted(
          "log",
          scan.offsets[entries.length + 1] ?? 0,
          `entry ${entry.index}/${entry.term} does not follow ${base.index + entries.length}/${previousTerm}`,
        );
      }
      entries.push(entry);
    }
    return {
      ok: true,
      value: { base, entries, offsets: scan.offsets.slice(1), validBytes: scan.validBytes, fileBytes: bytes.length },
    };
  } catch (error) {
    if (error instanceof MalformedValueError || error instanceof RangeError)
      return { ok: false, detail: error.message };
    throw error;
  }
}
