/**
 * KvFsm: the key-value store as a Raft FSM (hashicorp/raft's FSM interface of
 * RaftNode): a map of string keys to string values, changed only by committed
 * commands (commands.ts), captured and restored whole by snapshots.
 *
 * Snapshot format: JSON `{ "entries": [[key, value], ...] }` in key order, so two
 * replicas with the same state write the same bytes.
 */
import type { Fsm, FsmSnapshot, LogRecord, SnapshotReader, SnapshotSink } from "../raft/index.ts";
import { assert } from "../../sim/assert.ts";
import { applyCommand, decodeCommand, type KvCommand, type KvResponse } from "./commands.ts";

/** Called after each applied entry: its index, the command (undefined when the bytes were not one) and the response. */
export type ApplyObserver = (index: number, command: KvCommand | undefined, response: KvResponse | undefined) => void;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The replicated map (see the file's comment). */
export class KvFsm implements Fsm {
  private map = new Map<string, string>();
  private lastIndex = 0;
  private restoreCount = 0;

  constructor(private readonly observer?: ApplyObserver) {}

  /** Applies one committed entry; the response is a KvResponse, or undefined for bytes that are no command. */
  apply(log: LogRecord): KvResponse | undefined {
    assert(log.index > this.lastIndex, "entries are applied in increasing index order");
    this.lastIndex = log.index;
    const command = decodeCommand(log.data);
    const response = command === undefined ? undefined : applyCommand(this.map, command);
    this.observer?.(log.index, command, response);
    return response;
  }

  async snapshot(): Promise<FsmSnapshot> {
    const bytes = encoder.encode(JSON.stringify({ entries: this.entries() }));
    return {
      persist: async (sink: SnapshotSink) => {
        await sink.write(bytes);
      },
      release: () => undefined,
    };
  }

  async restore(reader: SnapshotReader): Promise<void> {
    const parsed: unknown = JSON.parse(decoder.decode(await reader.readAll()));
    assert(
      typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { entries?: unknown }).entries),
      "a KV snapshot holds an entries array",
    );
    const map = new Map<string, string>();
    for (const entry of (parsed as { entries: unknown[] }).entries) {
      assert(Array.isArray(entry) && entry.length === 2, "a snapshot entry is a [key, value] pair");
      const [key, value] = entry as [unknown, unknown];
      assert(typeof key === "string" && typeof value === "string", "snapshot keys and values are strings");
      map.set(key, value);
    }
    this.map = map;
    // Entries after the snapshot follow; their indices are above any this FSM saw before the restore or not.
    this.lastIndex = 0;
    this.restoreCount++;
  }

  /** The value of `key` in the local replica (not linearizable by itself: see KvServer's read modes). */
  read(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  /** Every pair, in key order. */
  entries(): Array<[string, string]> {
    return [...this.map].sort(([first], [second]) => (first < second ? -1 : first > second ? 1 : 0));
  }

  /** A string equal for equal states (for convergence checks). */
  digest(): string {
    return JSON.stringify(this.entries());
  }

  /** Index of the last entry applied since the last restore (0 right after one). */
  get appliedIndex(): number {
    return this.lastIndex;
  }

  /** Snapshots restored so far. */
  get restores(): number {
    return this.restoreCount;
  }
}
