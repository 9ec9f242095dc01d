/**
 * A test FSM: it records every applied command (as text) in order, answers each
 * with its position, and snapshots and restores that list (JSON).
 */
import type { Fsm, FsmSnapshot, LogRecord, SnapshotReader } from "../../../src/impl/raft/index.ts";

export class RecordingFsm implements Fsm {
  commands: string[] = [];
  lastIndex = 0;
  restores = 0;

  /** `onApply` sees every applied command with its index (for cluster-wide checks). */
  constructor(private readonly onApply?: (index: number, text: string) => void) {}

  apply(log: LogRecord): unknown {
    if (log.index <= this.lastIndex) throw new Error(`applied ${log.index} after ${this.lastIndex}`);
    this.lastIndex = log.index;
    const text = new TextDecoder().decode(log.data);
    this.commands.push(text);
    this.onApply?.(log.index, text);
    return this.commands.length;
  }

  async snapshot(): Promise<FsmSnapshot> {
    const state = JSON.stringify({ commands: this.commands, lastIndex: this.lastIndex });
    return {
      persist: async (sink) => {
        await sink.write(new TextEncoder().encode(state));
        await sink.close();
      },
      release: () => undefined,
    };
  }

  async restore(reader: SnapshotReader): Promise<void> {
    const state = JSON.parse(new TextDecoder().decode(await reader.readAll())) as {
      commands: string[];
      lastIndex: number;
    };
    this.commands = state.commands;
    this.lastIndex = state.lastIndex;
    this.restores++;
  }
}

export const command = (text: string): Uint8Array => new TextEncoder().encode(text);
