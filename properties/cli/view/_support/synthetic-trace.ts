/**
 * Synthetic traces for the viewer's tests: a deterministic mix of every record
 * kind the diagram draws (stream and datagram messages, disk, process and fault
 * records, client operations, a violation), of any length.
 */
import type { TraceRecord } from "../../../../src/sim/trace.ts";

export interface SyntheticTraceOptions {
  records: number;
  hosts?: readonly string[];
  /** Deterministic: the same seed gives the same trace. */
  seed?: number;
}

/** A trace of about `records` records, ending with a violation. */
export function syntheticTrace(options: SyntheticTraceOptions): TraceRecord[] {
  const hosts = options.hosts ?? ["n1", "n2", "n3", "n4", "client"];
  let state = (options.seed ?? 1) >>> 0 || 1;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const records: TraceRecord[] = [];
  let time = 0;
  const add = (host: string | undefined, kind: string, fields?: Record<string, unknown>) => {
    const record: TraceRecord = { index: records.length, time, kind };
    if (host !== undefined) record.host = host;
    if (fields !== undefined) record.fields = fields;
    records.push(record);
  };
  for (const host of hosts) add(host, "process.start", { incarnation: 1 });
  add(undefined, "phase.safety", { untilMs: 1_000_000 });
  let operation = 0;
  while (records.length < options.records - 1) {
    time += next() * 2;
    const from = pick(hosts);
    const to = pick(hosts.filter((host) => host !== from));
    const roll = next();
    if (roll < 0.6) {
      add(from, "net.stream.send", { connection: 1 + hosts.indexOf(from), to, bytes: 20 });
      time += 0.1 + next();
      add(to, "net.stream.deliver", { connection: 1 + hosts.indexOf(from), from, bytes: 20 });
    } else if (roll < 0.7) {
      const arrival = time + 0.5;
      add(from, "net.datagram.send", { to, port: 9, bytes: 8, arrival });
      time = arrival;
      add(to, "net.datagram.deliver", { from, port: 9, bytes: 8 });
    } else if (roll < 0.85) {
      add(from, "disk.write", { path: "/data", length: 4096, outcome: "ok" });
    } else if (roll < 0.97) {
      operation++;
      add("client", "kv.op", { op: "write", phase: "invoke", id: operation });
      time += next() * 3;
      add("client", "kv.op", { op: "write", phase: pick(["ok", "ok", "ok", "fail", "info"]), id: operation });
    } else if (roll < 0.985) {
      add(from, "process.pause");
      time += 5;
      add(from, "process.resume", { parked: 1 });
    } else {
      add(from, "process.crash", { incarnation: 1 });
      time += 5;
      add(from, "process.start", { incarnation: 2 });
    }
  }
  add(undefined, "violation", { invariant: "synthetic.broken", kind: "safety", details: "a synthetic violation" });
  return records;
}
