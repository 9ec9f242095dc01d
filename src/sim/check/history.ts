/**
 * Jepsen-style histories: what clients asked for and what they observed.
 *
 * Each client operation is an `invoke` event followed by at most one completion:
 * - `ok`: it took effect, once, somewhere between its invoke and its completion,
 *   and returned `output`;
 * - `fail`: it certainly had no effect (the checker drops it);
 * - `info`: the outcome is unknown: it may take effect at any later point, or
 *   never, and its result constrains nothing. The checker treats it as still open
 *   at the end of the history.
 * An operation never completed by the end of the history is treated like `info`.
 *
 * Events are ordered by `index`, which increases by one per event. Times are
 * virtual (never read from a clock) and never decrease along the index order;
 * the index is what orders two events at the same time.
 */

/** Who issued an operation: a client or process identifier. */
export type ProcessId = number | string;

/** What a client asked for: a function name (`f`, e.g. "read") and its argument. */
export interface OperationInput {
  readonly f: string;
  readonly value: unknown;
}

/** The kinds of history events, as Jepsen names them. */
export type HistoryEventType = "invoke" | "ok" | "fail" | "info";

interface EventBase {
  /** Position in the history: 0, 1, 2, ... in recording order. */
  readonly index: number;
  /** Virtual time of the event, as the caller gave it. */
  readonly time: number;
  /** The operation this event belongs to (the id `invoke` returned). */
  readonly operationId: number;
  readonly process: ProcessId;
}

/** A client started an operation. */
export interface InvokeEvent<Input extends OperationInput> extends EventBase {
  readonly type: "invoke";
  readonly input: Input;
}

/** The operation took effect and returned `output`. */
export interface OkEvent<Output> extends EventBase {
  readonly type: "ok";
  readonly output: Output;
}

/** The operation certainly had no effect, or its outcome is unknown (`info`). */
export interface FailOrInfoEvent extends EventBase {
  readonly type: "fail" | "info";
  /** Why, as the client saw it (e.g. "timed-out"); for messages only. */
  readonly reason?: string;
}

/** One event of a history. */
export type HistoryEvent<Input extends OperationInput, Output> = InvokeEvent<Input> | OkEvent<Output> | FailOrInfoEvent;

/** A whole history, in index order. */
export type History<Input extends OperationInput, Output> = readonly HistoryEvent<Input, Output>[];
