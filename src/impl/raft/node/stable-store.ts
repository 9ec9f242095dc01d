/**
 * The stable store: the current term and the vote, in one checksummed record,
 * replaced durably (temporary file, sync, rename, directory sync) before any
 * message that depends on it leaves.
 *
 * On start: a missing file is a fresh server (term 0, no vote); a file whose record
 * fails its checksum on every read refuses the start (ErrSnapshotCorrupted): a lost
 * vote could let this server vote twice in a term. A record read at start is written
 * durably again before it is used (it may be visible without being durable).
 */
import { decode, encode } from "../../common/msgpack.ts";
import type { Crc32, Disk, WireValue } from "../../../sim/env.ts";
import type { HardState } from "../core/index.ts";
import { ErrSnapshotCorrupted } from "../errors.ts";
import { readVerified, writeFileDurably, type ParseOutcome } from "./durable-file.ts";
import { encodeRecord, scanRecords } from "./record-codec.ts";
import { decodeHardState, encodeHardState, MalformedValueError } from "./wire-codec.ts";

/** The term and vote of this server; `save` resolves once they are durable. */
export class StableStore {
  private constructor(
    private readonly disk: Disk,
    private readonly path: string,
    private readonly crc32: Crc32,
    private current: HardState,
  ) {}

  static async open(disk: Disk, path: string, onRetry: () => void, crc32: Crc32): Promise<StableStore> {
    if (!(await disk.exists(path))) return new StableStore(disk, path, crc32, { term: 0, votedFor: undefined });
    const outcome = await readVerified(disk, path, (bytes) => parseHardState(bytes, crc32), onRetry);
    if (!outcome.ok) throw new ErrSnapshotCorrupted(path, outcome.detail);
    const store = new StableStore(disk, path, crc32, outcome.value);
    // What was read may not be durable: the last incarnation may have stopped on a failed
    // sync after the rename (its process died, the host did not). Acting on a term that a
    // later crash takes back could let this server vote twice in a term, or hold log
    // entries of a term above its own: make it durable first.
    await store.save(outcome.value);
    return store;
  }

  get hardState(): HardState {
    return this.current;
  }

  /** Makes `state` durable; resolves once it is. */
  async save(state: HardState): Promise<void> {
    await writeFileDurably(this.disk, this.path, encodeRecord(encode(encodeHardState(state)), this.crc32));
    this.current = state;
  }
}

function parseHardState(bytes: Uint8Array, crc32: Crc32): ParseOutcome<HardState> {
  const scan = scanRecords(bytes, crc32);
  if (scan.outcome !== "clean" || scan.payloads.length !== 1)
    return { ok: false, detail: `stable store: ${scan.outcome} with ${scan.payloads.length} records` };
  try {
    return { ok: true, value: decodeHardState(decode(scan.payloads[0] as Uint8Array) as WireValue) };
  } catch (error) {
    if (error instanceof MalformedValueError || error instanceof RangeError)
      return { ok: false, detail: error.message };
    throw error;
  }
}
