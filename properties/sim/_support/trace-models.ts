/**
 * Independent models of the world's state, rebuilt from the trace alone: which
 * links are cut (from fault records) and which hosts are up or paused (from
 * process records). Checkers judge every other record against them, so a bug in
 * Links or Host cannot hide itself by also answering the checker's questions.
 */
import type { TraceRecord } from "../../../src/sim/trace.ts";

/** Link state from `fault.partition`, `fault.isolate`, `fault.heal` and `fault.heal-all` records. */
export class LinkModel {
  private readonly blocked = new Set<string>();

  constructor(private readonly hosts: readonly string[]) {}

  /** Updates the model if `record` is a partition fault; returns true if it was. */
  apply(record: TraceRecord): boolean {
    const fields = record.fields ?? {};
    switch (record.kind) {
      case "fault.partition": {
        const groups = fields.groups as string[][];
        const oneWay = fields.oneWay === true;
        groups.forEach((fromGroup, i) => {
          groups.forEach((toGroup, j) => {
            if (i === j || (oneWay && j < i)) return;
            for (const from of fromGroup) for (const to of toGroup) if (from !== to) this.blocked.add(`${from}>${to}`);
          });
        });
        return true;
      }
      case "fault.isolate": {
        const host = fields.host as string;
        for (const other of this.hosts) {
          if (other === host) continue;
          this.blocked.add(`${host}>${other}`);
          this.blocked.add(`${other}>${host}`);
        }
        return true;
      }
      case "fault.heal":
      case "fault.heal-all":
        this.blocked.clear();
        return true;
      default:
        return false;
    }
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}>${to}`);
  }
}

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
