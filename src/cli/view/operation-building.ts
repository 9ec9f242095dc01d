/**
 * Client operations as bars from invocation to completion, coloured by outcome
 * (Jepsen's: ok, fail = certainly no effect, info = unknown).
 *
 * Conventions a scenario may follow to have its operations drawn:
 * 1. Any record whose fields hold `op` (a string) and `phase`: "invoke", "ok",
 *    "fail" or "info". E.g. `env.trace("kv.op", { op: "write", phase: "invoke", id: 7 })`.
 * 2. An `app.*` kind ending in `.invoke`, `.ok`, `.fail` or `.info`: the operation
 *    is the record's `op` field if it has one (`app.client.ok {op: "write"}`, as
 *    scenarios/harness/client-operations.ts writes them), else the kind between `app.`
 *    and that ending (`app.counter.increment.ok`).
 * 3. An `app.*` kind ending in a word of outcome: `.ack`, `.acknowledged`,
 *    `.committed`, `.success` (ok); `.failed`, `.error`, `.rejected`, `.nack` (fail);
 *    `.timeout`, `.unknown`, `.indeterminate` (info). This is a completion, of the
 *    operation named as in 2.
 * A completion closes the earliest open invocation on the same host with the
 * same key: the record's `id` field, else its `process` field, else the
 * operation's name. A completion with no open invocation is drawn as a point; an
 * invocation never completed is "open" until the trace ends.
 */
import type { DiagramEvent, DiagramOperation, OperationOutcome } from "./diagram-types.ts";

type Phase = "invoke" | "ok" | "fail" | "info";

const PHASES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);

/** Words that end an `app.*` kind and name an outcome (convention 3). */
const OUTCOME_WORDS: Readonly<Record<string, Exclude<Phase, "invoke">>> = {
  ack: "ok",
  acknowledged: "ok",
  committed: "ok",
  success: "ok",
  failed: "fail",
  error: "fail",
  rejected: "fail",
  nack: "fail",
  timeout: "info",
  unknown: "info",
  indeterminate: "info",
};

/** The operation and phase a record stands for, if it follows one of the conventions. */
export function operationPhase(
  kind: string,
  fields: Record<string, unknown> | undefined,
): { op: string; phase: Phase } | undefined {
  if (
    fields !== undefined &&
    typeof fields.op === "string" &&
    typeof fields.phase === "string" &&
    PHASES.has(fields.phase)
  ) {
    return { op: fields.op, phase: fields.phase as Phase };
  }
  if (!kind.startsWith("app.")) return undefined;
  const dot = kind.lastIndexOf(".");
  if (dot <= "app".length) return undefined;
  const op = typeof fields?.op === "string" ? fields.op : kind.slice("app.".length, dot);
  const last = kind.slice(dot + 1);
  if (PHASES.has(last)) return { op, phase: last as Phase };
  const outcome = OUTCOME_WORDS[last];
  return outcome === undefined ? undefined : { op, phase: outcome };
}

/** Builds the operations of a trace whose events end at `endMs`, in order of invocation. */
export function buildOperations(events: readonly DiagramEvent[], endMs: number): DiagramOperation[] {
  const operations: DiagramOperation[] = [];
  const openByKey = new Map<string, DiagramOperation[]>();
  for (let position = 0; position < events.length; position++) {
    const event = events[position] as DiagramEvent;
    const phase = operationPhase(event.kind, event.fields);
    if (phase === undefined) continue;
    const key = `${event.lane}\u0000${pairingKey(event.fields, phase.op)}`;
    if (phase.phase === "invoke") {
      const operation: DiagramOperation = {
        lane: event.lane,
        op: phase.op,
        startMs: event.time,
        endMs,
        outcome: "open",
        invoke: position,
        complete: undefined,
      };
      operations.push(operation);
      const pending = openByKey.get(key);
      if (pending === undefined) openByKey.set(key, [operation]);
      else pending.push(operation);
      continue;
    }
    const operation = openByKey.get(key)?.shift();
    if (operation === undefined) {
      operations.push({
        lane: event.lane,
        op: phase.op,
        startMs: event.time,
        endMs: event.time,
        outcome: phase.phase,
        invoke: position,
        complete: position,
      });
    } else {
      operation.endMs = event.time;
      operation.outcome = phase.phase as OperationOutcome;
      operation.complete = position;
    }
  }
  return operations;
}

function pairingKey(fields: Record<string, unknown> | undefined, op: string): string {
  const id = fields?.id ?? fields?.process;
  return id === undefined || id === null ? `op:${op}` : `id:${typeof id === "string" ? id : JSON.stringify(id)}`;
}
