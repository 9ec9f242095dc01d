/**
 * A small trace whose client history is not linearizable, as the scenarios
 * write it (scenarios/harness/client-operations.ts, scenarios/harness/history-check.ts): writes
 * and reads of two keys by c1 and c2, then, long after, the final check's
 * violation naming key "x", its prefix and the read that cannot be placed.
 */
import type { TraceRecord } from "../../../../src/sim/trace.ts";

/** Operation ids of the violation: the prefix in linearization order, the unplaceable read, and all of key "x". */
export const LINEARIZED_IDS = [0, 2, 3] as const;
export const UNPLACEABLE_ID = 5;
export const KEY_IDS = [0, 2, 3, 5] as const;
/** When the final check runs: far after the operations, which end by 40 ms. */
export const CHECK_TIME_MS = 5_000;

/** The trace's records, in time order. */
export function linearizabilityTrace(): TraceRecord[] {
  const records: TraceRecord[] = [];
  const add = (time: number, host: string | undefined, kind: string, fields?: Record<string, unknown>) => {
    const record: TraceRecord = { index: records.length, time, kind };
    if (host !== undefined) record.host = host;
    if (fields !== undefined) record.fields = fields;
    records.push(record);
  };
  const operation = (
    id: number,
    host: string,
    op: string,
    asked: Record<string, unknown>,
    from: number,
    to: number,
    output: unknown,
  ) => {
    add(from, host, "app.client.invoke", { op, id, process: host, ...asked });
    add(to, host, "app.client.ok", { op, id, output });
  };
  for (const host of ["n1", "c1", "c2"]) add(0, host, "process.start", { incarnation: 1 });
  operation(0, "c1", "write", { key: "x", value: 1 }, 1, 3, null);
  operation(1, "c2", "write", { key: "y", value: 7 }, 2, 4, null);
  operation(2, "c2", "read", { key: "x", value: null }, 5, 7, 1);
  operation(3, "c1", "write", { key: "x", value: 2 }, 10, 12, null);
  operation(4, "c1", "read", { key: "y", value: null }, 14, 15, 7);
  operation(5, "c2", "read", { key: "x", value: null }, 20, 40, 1);
  add(CHECK_TIME_MS, undefined, "violation", {
    invariant: "kv.linearizable",
    kind: "safety",
    details:
      'not linearizable (kv, key "x")\nlongest linearizable prefix (3 operations):\n  ...\ncannot come next:\n  #5 process c2: x: read -> 1 [20, 40]: x: read -> 1 is not possible in state 2',
    key: "x",
    operation: UNPLACEABLE_ID,
    operationTime: 20,
    linearized: [...LINEARIZED_IDS],
    blocked: [UNPLACEABLE_ID],
    operations: [...KEY_IDS],
  });
  return records;
}
