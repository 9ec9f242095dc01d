/**
 * A trace of many hosts (as many as a Gazette run has) exchanging RPC frames
 * over message channels: each host calls the next one's `journal.append`, and
 * the callee answers, one call per millisecond, round and round.
 */
import type { TraceRecord } from "../../../../src/sim/trace.ts";

/** broker-1 … broker-15. */
export const MANY_HOSTS = Array.from({ length: 15 }, (_, index) => `broker-${index + 1}`);

/** `calls` calls; each is a request and its response, sent and delivered. */
export function manyHostsTrace(calls: number): TraceRecord[] {
  const records: TraceRecord[] = [];
  const add = (time: number, host: string, kind: string, fields?: Record<string, unknown>) => {
    const record: TraceRecord = { index: records.length, time, kind, host };
    if (fields !== undefined) record.fields = fields;
    records.push(record);
  };
  for (const host of MANY_HOSTS) add(0, host, "process.start", { incarnation: 1 });
  for (let call = 1; call <= calls; call++) {
    const caller = MANY_HOSTS[call % MANY_HOSTS.length] as string;
    const callee = MANY_HOSTS[(call + 1) % MANY_HOSTS.length] as string;
    const connection = call % MANY_HOSTS.length;
    const request = { connection, bytes: 40, frame: "request", call, method: "journal.append" };
    const response = { connection, bytes: 12, frame: "response", call };
    add(call, caller, "net.message.send", { ...request, to: callee });
    add(call + 0.3, callee, "net.message.deliver", { ...request, from: caller });
    add(call + 0.4, callee, "net.message.send", { ...response, to: caller });
    add(call + 0.7, caller, "net.message.deliver", { ...response, from: callee });
  }
  return records;
}
