/**
 * The snapshot store: one file per snapshot in a directory, each a metadata record
 * (index, term, configuration, data checksum) then a data record, both checksummed.
 * A snapshot is written to a temporary file, synced, renamed into place and the
 * directory synced: it exists whole or not at all. The newest RETAINED_SNAPSHOTS
 * are kept.
 *
 * On start, the newest snapshot that reads back valid is used (a damaged one is
 * read again, then skipped, as hashicorp/raft falls back to older snapshots); the
 * node refuses to start if the log needs a snapshot that is no longer valid.
 */
import { decode, encode } from "../../common/msgpack.ts";
import type { Crc32, Disk, WireValue } from "../../../sim/env.ts";
import type { SnapshotMetadata } from "../core/index.ts";
import { ensureDirectory, readVerified, writeFileDurably, type ParseOutcome } from "./durable-file.ts";
import type { SnapshotSink } from "./fsm.ts";
import { encodeRecord, scanRecords } from "./record-codec.ts";
import { decodeSnapshotMetadata, encodeSnapshotMetadata, MalformedValueError } from "./wire-codec.ts";

/** Snapshots kept on disk; older ones are deleted once a newer one is durable. */
export const RETAINED_SNAPSHOTS = 2;
/** The largest snapshot the store accepts (it is held in memory and sent in one message). */
export const SNAPSHOT_BYTES_MAX = 8 * 1024 * 1024;

/** A snapshot read back whole: its metadata and its bytes. */
export interface StoredSnapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/** A snapshot above SNAPSHOT_BYTES_MAX was refused. */
export class SnapshotTooLargeError extends Error {
  override readonly name = "SnapshotTooLargeError";
}

/** The snapshot's id and file name stem: index and term, zero-padded so that names sort by index. */
export function snapshotId(metadata: SnapshotMetadata): string {
  return `${String(metadata.index).padStart(16, "0")}-${String(metadata.term).padStart(10, "0")}`;
}

/** The snapshots on disk (see the file's comment). */
export class SnapshotStore {
  private constructor(
    private readonly disk: Disk,
    private readonly directory: string,
    private readonly readRetried: () => void,
    private readonly crc32: Crc32,
  ) {}

  static async open(disk: Disk, directory: string, readRetried: () => void, crc32: Crc32): Promise<SnapshotStore> {
    await ensureDirectory(disk, directory);
    for (const name of await disk.list(directory)) if (name.endsWith(".tmp")) await disk.unlink(`${directory}/${name}`);
    return new SnapshotStore(disk, directory, readRetried, crc32);
  }

  /** A sink that stores a snapshot with `metadata` when closed. */
  create(metadata: SnapshotMetadata): SnapshotSink {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    return {
      id: snapshotId(metadata),
      write: async (data) => {
        if (done) throw new Error("snapshot sink already closed");
        size += data.length;
        if (size > SNAPSHOT_BYTES_MAX)
          throw new SnapshotTooLargeError(`snapshot larger than ${SNAPSHOT_BYTES_MAX} bytes`);
        chunks.push(data.slice());
      },
      close: async () => {
        if (done) return;
        done = true;
        const data = new Uint8Array(size);
        let cursor = 0;
        for (const chunk of chunks) {
          data.set(chunk, cursor);
          cursor += chunk.length;
        }
        await this.store({ metadata, data });
      },
      cancel: async () => {
        done = true;
      },
    };
  }

  /** Stores a whole snapshot durably (a snapshot received from the leader); then prunes old ones. */
  async store(snapshot: StoredSnapshot): Promise<void> {
    if (snapshot.data.length > SNAPSHOT_BYTES_MAX)
      throw new SnapshotTooLargeError(`snapshot of ${snapshot.data.length} bytes`);
    const header = encodeRecord(
      encode({
        metadata: encodeSnapshotMetadata(snapshot.metadata),
        size: snapshot.data.length,
        checksum: this.crc32(snapshot.data),
      }),
      this.crc32,
    );
    const body = encodeRecord(snapshot.data, this.crc32);
    const bytes = new Uint8Array(header.length + body.length);
    bytes.set(header, 0);
    bytes.set(body, header.length);
    await writeFileDurably(this.disk, this.pathOf(snapshot.metadata), bytes);
    await this.prune();
  }

  /** The newest snapshot that reads back valid, if any. */
  async latest(): Promise<StoredSnapshot | undefined> {
    for (const name of (await this.names()).reverse()) {
      const outcome = await readVerified(
        this.disk,
        `${this.directory}/${name}`,
        (bytes) => parseSnapshot(bytes, this.crc32),
        this.readRetried,
      );
      if (outcome.ok) return outcome.value;
    }
    return undefined;
  }

  /** The snapshot with `metadata`, if stored and valid. */
  async read(metadata: SnapshotMetadata): Promise<StoredSnapshot | undefined> {
    const path = this.pathOf(metadata);
    if (!(await this.disk.exists(path))) return undefined;
    const outcome = await readVerified(this.disk, path, (bytes) => parseSnapshot(bytes, this.crc32), this.readRetried);
    return outcome.ok ? outcome.value : undefined;
  }

  private pathOf(metadata: SnapshotMetadata): string {
    return `${this.directory}/${snapshotId(metadata)}.snapshot`;
  }

  /** Snapshot file names, oldest first (ids sort by index, then term). */
  private async names(): Promise<string[]> {
    return (await this.disk.list(this.directory)).filter((name) => name.endsWith(".snapshot")).sort();
  }

  /** Deletes all but the newest RETAINED_SNAPSHOTS, durably (else a crash would bring them back). */
  private async prune(): Promise<void> {
    const names = await this.names();
    const doomed = names.slice(0, Math.max(0, names.length - RETAINED_SNAPSHOTS));
    for (const name of doomed) await this.disk.unlink(`${this.directory}/${name}`);
    if (doomed.length > 0) await this.disk.syncDirectory(this.directory);
  }
}

function parseSnapshot(bytes: Uint8Array, crc32: Crc32): ParseOutcome<StoredSnapshot> {
  const scan = scanRecords(bytes, crc32);
  if (scan.outcome !== "clean" || scan.payloads.length !== 2)
    return { ok: false, detail: `snapshot file: ${scan.outcome}, ${scan.payloads.length} records` };
  try {
    const header = decode(scan.payloads[0] as Uint8Array) as {
      metadata?: WireValue;
      size?: unknown;
      checksum?: unknown;
    };
    const data = scan.payloads[1] as Uint8Array;
    if (header.size !== data.length || header.checksum !== crc32(data))
      return { ok: false, detail: "snapshot data does not match its header" };
    return { ok: true, value: { metadata: decodeSnapshotMetadata(header.metadata), data: data.slice() } };
  } catch (error) {
    if (error instanceof MalformedValueError || error instanceof RangeError)
      return { ok: false, detail: error.message };
    throw error;
  }
}
