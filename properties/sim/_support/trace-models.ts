/**
 * Helpers to read a run's kept trace records. What the faults did to links and hosts
 * is modelled from the fault plan itself (fault-timeline.ts), never from records the
 * world wrote about itself.
 */
import type { TraceRecord } from "../../../src/sim/trace.ts";

/** A record as one line, for failure messages. */
export function describeRecord(record: TraceRecord): string {
  return `#${record.index} t=${record.time} ${record.host ?? "-"} ${record.kind} ${JSON.stringify(record.fields ?? {})}`;
}

/** The kept records of a run (the world must have been made with `keepRecords`). */
export function recordsOf(trace: { records: TraceRecord[] | undefined }): TraceRecord[] {
  if (trace.records === undefined) throw new Error("the world was made without trace.keepRecords");
  return trace.records;
}
