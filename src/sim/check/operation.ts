/**
 * The checker's view of a history: one record per operation that may have taken
 * effect, with the positions of its call and return in the history's order.
 *
 * `fail` operations are dropped (they certainly had no effect). `info`
 * operations, and operations never completed, have an unknown outcome: their
 * return position is +Infinity and their output is undefined, so a model must
 * accept any output for them.
 */
import { assert } from "../assert.ts";
import type { History, OperationInput, ProcessId } from "./history.ts";

/** An operation as the linearizability checker sees it. */
export interface Operation<Input extends OperationInput, Output> {
  /** Unique within one history (the recorder's operation id). */
  readonly id: number;
  readonly process: ProcessId;
  readonly input: Input;
  /** "ok": it took effect and returned `output`; "unknown": it may have taken effect, or not. */
  readonly outcome: "ok" | "unknown";
  /** The observed output; undefined exactly when the outcome is unknown. Output types must not include undefined. */
  readonly output: Output | undefined;
  /** Position of the invoke event in the history's order. */
  readonly call: number;
  /** Position of the completion in the history's order; +Infinity when the outcome is unknown. Always > call. */
  readonly return: number;
  /** Virtual time of the invoke, for messages. */
  readonly callTime: number;
  /** Virtual time of the completion (+Infinity when unknown), for messages. */
  readonly returnTime: number;
}

interface PendingOperation<Input extends OperationInput> {
  readonly process: ProcessId;
  readonly input: Input;
  readonly call: number;
  readonly callTime: number;
}

/**
 * Turns a history into the operation list the checker needs, in call order.
 * Positions are the events' indices. Throws if the history is malformed (a
 * completion without its invoke, an operation invoked twice, indices out of order).
 */
export function historyToOperations<Input extends OperationInput, Output>(
  history: History<Input, Output>,
): Operation<Input, Output>[] {
  const pending = new Map<number, PendingOperation<Input>>();
  const completed: Operation<Input, Output>[] = [];
  const seen = new Set<number>();
  let previousIndex = Number.NEGATIVE_INFINITY;
  for (const event of history) {
    assert(event.index > previousIndex, () => `event indices must increase: ${event.index} after ${previousIndex}`);
    previousIndex = event.index;
    if (event.type === "invoke") {
      assert(!seen.has(event.operationId), () => `operation ${event.operationId} invoked twice`);
      seen.add(event.operationId);
      pending.set(event.operationId, {
        process: event.process,
        input: event.input,
        call: event.index,
        callTime: event.time,
      });
      continue;
    }
    const started = pending.get(event.operationId);
    assert(
      started !== undefined,
      () => `${event.type} event ${event.index} for operation ${event.operationId}, which is not open`,
    );
    pending.delete(event.operationId);
    if (event.type === "fail") continue;
    const known = event.type === "ok";
    completed.push({
      id: event.operationId,
      ...started,
      outcome: known ? "ok" : "unknown",
      output: known ? event.output : undefined,
      return: known ? event.index : Number.POSITIVE_INFINITY,
      returnTime: known ? event.time : Number.POSITIVE_INFINITY,
    });
  }
  for (const [id, started] of pending) {
    completed.push({
      id,
      ...started,
      outcome: "unknown",
      output: undefined,
      return: Number.POSITIVE_INFINITY,
      returnTime: Number.POSITIVE_INFINITY,
    });
  }
  return completed.sort((first, second) => first.call - second.call);
}
