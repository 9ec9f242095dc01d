/**
 * Violations of the diagram, from the trace's `violation` records.
 *
 * A linearizability violation (scenarios/harness/history-check.ts) names operations by
 * the ids their trace records carry: `key`, `operations` (all of the key's),
 * `linearized` (the longest linearizable prefix, in order), `blocked` and
 * `operation` (the one that cannot be placed). They become positions in the
 * diagram's operations, so the page can show what Porcupine shows and go to the
 * unplaceable operation rather than to the final check. Ids the trace does not
 * hold (a trace cut short) are left out.
 */
import type { DiagramEvent, DiagramOperation, DiagramViolation, ViolationOperations } from "./diagram-types.ts";

/** The violations of a trace, with the operations a linearizability violation names. */
export function buildViolations(
  events: readonly DiagramEvent[],
  operations: readonly DiagramOperation[],
): DiagramViolation[] {
  const violations: DiagramViolation[] = [];
  let byId: Map<number, number> | undefined;
  events.forEach((event, position) => {
    if (event.kind !== "violation") return;
    const fields = event.fields ?? {};
    const violation: DiagramViolation = {
      event: position,
      time: event.time,
      lane: event.lane,
      invariant: typeof fields.invariant === "string" ? fields.invariant : "violation",
      kind: typeof fields.kind === "string" ? fields.kind : "safety",
      details: typeof fields.details === "string" ? fields.details : event.text,
    };
    if (Array.isArray(fields.linearized) || typeof fields.operation === "number") {
      byId ??= operationsById(events, operations);
      violation.operations = violationOperations(fields, byId);
    }
    violations.push(violation);
  });
  return violations;
}

/** Positions in `operations` by the numeric `id` of their invocation (the ids of checked histories). */
function operationsById(events: readonly DiagramEvent[], operations: readonly DiagramOperation[]): Map<number, number> {
  const byId = new Map<number, number>();
  operations.forEach((operation, index) => {
    const id = events[operation.invoke]?.fields?.id;
    if (typeof id === "number" && !byId.has(id)) byId.set(id, index);
  });
  return byId;
}

function violationOperations(fields: Record<string, unknown>, byId: ReadonlyMap<number, number>): ViolationOperations {
  const positions = (value: unknown): number[] => {
    if (!Array.isArray(value)) return [];
    const found: number[] = [];
    for (const id of value) {
      const position = typeof id === "number" ? byId.get(id) : undefined;
      if (position !== undefined) found.push(position);
    }
    return found;
  };
  const unplaceable = typeof fields.operation === "number" ? byId.get(fields.operation) : undefined;
  const result: ViolationOperations = {
    linearized: positions(fields.linearized),
    blocked: positions(fields.blocked),
    operations: positions(fields.operations),
  };
  if (typeof fields.key === "string") result.key = fields.key;
  if (unplaceable !== undefined) result.unplaceable = unplaceable;
  return result;
}
