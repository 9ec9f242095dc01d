/**
 * The point-in-time copy `DqliteFsm.snapshot()` returns: every database's bytes and
 * the FSM index, captured before `snapshot()` resolved, so `persist` may run while
 * later entries are applied (hashicorp/raft's contract).
 */
import type { Crc32 } from "../../../sim/env.ts";
import type { FsmSnapshot, SnapshotSink } from "../../raft/node/fsm.ts";
import { encodeSnapshot, type FsmSnapshotData } from "./snapshot-format.ts";

/** Bytes handed to the sink per write. */
export const SNAPSHOT_WRITE_CHUNK_BYTES = 64 * 1024;

export class DqliteFsmSnapshot implements FsmSnapshot {
  constructor(
    readonly data: FsmSnapshotData,
    private readonly crc32: Crc32,
  ) {}

  /** Writes the encoded snapshot in chunks and closes the sink; on failure, cancels it and rethrows. */
  async persist(sink: SnapshotSink): Promise<void> {
    const bytes = encodeSnapshot(this.data, this.crc32);
    try {
      for (let offset = 0; offset < bytes.length; offset += SNAPSHOT_WRITE_CHUNK_BYTES) {
        await sink.write(bytes.subarray(offset, offset + SNAPSHOT_WRITE_CHUNK_BYTES));
      }
      await sink.close();
    } catch (error) {
      await sink.cancel();
      throw error;
    }
  }

  release(): void {}
}
