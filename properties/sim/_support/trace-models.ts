/**
 * Host state rebuilt from the trace's process records (which hosts are up or paused,
 * in which incarnation), and helpers to read kept records. Link state is modelled
 * from the fault plan itself (fault-timeline.ts), not from records.
 */
import type { TraceRecord } from "../../../src/sim/trace.ts";

export type ModelHostState = "down" | "running" | "paused";

/** Host state from `process.start`, `process.crash`, `process.stop`, `process.pause` and `process.resume` records. */
export class HostModel {
  private readonly states = new Map<string, { state: ModelHostState; incarnation: number }>();

  apply(record: TraceRecord): boolean {
    const host = record.host;
    if (host === undefined) return false;
    const current = this.states.get(host) ?? { state: "down" as ModelHostState, incarnation: 0 };
    switch (record.kind) {
      case "process.start":
        this.states.set(host, { state: "running", incarnation: record.fields?.incarnation as number });
        return true;
      case "process.crash":
      case "process.stop":
        this.states.set(host, { state: "down", incarnation: current.incarnation });
        return true;
      case "process.pause":
        this.states.set(host, { state: "paused", incarnation: current.incarnation });
        return true;
      case "process.resume":
        this.states.set(host, { state: "running", incarnation: current.incarnation });
        return true;
      default:
        return false;
    }
  }

  state(host: string): ModelHostState {
    return this.states.get(host)?.state ?? "down";
  }

  /** The incarnation that is (or was last) up on `host`; 0 before its first start. */
  incarnation(host: string): number {
    return this.states.get(host)?.incarnation ?? 0;
  }
}

/** A record as one line, for failure messages. */
export function describeRecord(record: TraceRecord): string {
  return `#${record.index} t=${record.time} ${record.host ?? "-"} ${record.kind} ${JSON.stringify(record.fields ?? {})}`;
}

/** The kept records of a run (the world must have been made with `keepRecords`). */
export function recordsOf(trace: { records: TraceRecord[] | undefined }): TraceRecord[] {
  if (trace.records === undefined) throw new Error("the world was made without trace.keepRecords");
  return trace.records;
}
