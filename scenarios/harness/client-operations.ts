/**
 * Client operations in the trace, so that `dst view` draws every scenario's
 * workload as operation bars (src/cli/view/operation-building.ts, convention 2).
 *
 * Contract: one record when a client invokes an operation, `app.client.invoke`
 * with fields `{ op, id, ...what it asked }`, and one when it completes,
 * `app.client.ok | fail | info` with `{ op, id, ...what it observed }`, on the
 * client's host at true virtual time. Outcomes are Jepsen's: ok, fail (certainly
 * no effect), info (unknown). An operation whose client dies stays open.
 * Ids pair the two records on one host: an operation of a checked history
 * (`TracedHistory`) has the history's operation id, a number, which is what a
 * linearizability violation names (scenarios/harness/history-check.ts); any other has a
 * string `incarnation/count` id, unique on its host.
 * Cost: two records per operation; fields stay small (no payloads, no SQL).
 * Tracing is synchronous and creates no promise (a completion is traced inline,
 * in code that runs at that moment anyway, never in a `.then` of its own), so a
 * workload's schedule stays as it was: the same events and outcomes, only more
 * trace records.
 */
import {
  HistoryRecorder,
  type History,
  type OperationHandle,
  type OperationInput,
  type ProcessId,
} from "../../src/sim/check/index.ts";
import type { Env } from "../../src/sim/env.ts";

/** How an operation ended, as Jepsen names it. */
export type CompletionPhase = "ok" | "fail" | "info";

/** Operations traced per Env (one per incarnation of a host), for the next string id. */
const tracedCounts = new WeakMap<Env, number>();

/** An invoked operation whose completion is still to be traced (at most once). */
export class TracedOperation {
  private completed = false;

  constructor(
    private readonly env: Env,
    readonly op: string,
    readonly id: number | string,
  ) {}

  /** It took effect; `fields` say what the client observed. */
  ok(fields?: Record<string, unknown>): void {
    this.complete("ok", fields);
  }

  /** It certainly had no effect. */
  fail(fields?: Record<string, unknown>): void {
    this.complete("fail", fields);
  }

  /** Its outcome is unknown: it may take effect later, or never. */
  info(fields?: Record<string, unknown>): void {
    this.complete("info", fields);
  }

  /**
   * It ended in `error`: "info" when its outcome is unknown (the client cannot tell whether it took effect), else
   * "fail".
   */
  failedWith(error: unknown, outcomeUnknown: boolean): void {
    this.complete(outcomeUnknown ? "info" : "fail", { reason: reasonOf(error) });
  }

  /** Traces the completion; a second completion of the same operation is ignored. */
  complete(phase: CompletionPhase, fields?: Record<string, unknown>): void {
    // A client that died never learns the outcome: its operation stays open (and a dead process must not trace).
    if (this.completed || this.env.lifetime.signal.aborted) return;
    this.completed = true;
    this.env.trace(`client.${phase}`, { op: this.op, id: this.id, ...fields });
  }
}

/** Traces that the client of `env` invokes `op` (with what it asks in `fields`), under a fresh id. */
export function invokeOperation(env: Env, op: string, fields?: Record<string, unknown>): TracedOperation {
  const count = (tracedCounts.get(env) ?? 0) + 1;
  tracedCounts.set(env, count);
  return invokeOperationWithId(env, op, `${env.lifetime.incarnation}/${count}`, fields);
}

/** Traces an invocation under an id the caller chose (unique on its host while the operation is open). */
export function invokeOperationWithId(
  env: Env,
  op: string,
  id: number | string,
  fields?: Record<string, unknown>,
): TracedOperation {
  if (!env.lifetime.signal.aborted) env.trace("client.invoke", { op, id, ...fields });
  return new TracedOperation(env, op, id);
}

/** A reason for the trace: an error's name and message, or the text given. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A Jepsen-style history (HistoryRecorder) whose every event is also traced on
 * the client's host: the operation is `input.f`, the id the history's operation
 * id, and the fields the rest of the input (a key, a value), then the output or
 * the reason.
 */
export class TracedHistory<Input extends OperationInput, Output> {
  private readonly recorder = new HistoryRecorder<Input, Output>();
  private readonly open = new Map<OperationHandle, TracedOperation>();

  /** Records and traces an invocation by `process` on the host of `env` at true virtual time `time`. */
  invoke(env: Env, process: ProcessId, input: Input, time: number): OperationHandle {
    const handle = this.recorder.invoke(process, input, time);
    const { f, ...asked } = input as OperationInput & Record<string, unknown>;
    this.open.set(handle, invokeOperationWithId(env, f, handle, { process, ...asked }));
    return handle;
  }

  /** The operation took effect and returned `output`. */
  ok(handle: OperationHandle, output: Output, time: number): void {
    this.recorder.ok(handle, output, time);
    this.close(handle).ok({ output });
  }

  /** The operation certainly had no effect. */
  fail(handle: OperationHandle, time: number, reason?: string): void {
    this.recorder.fail(handle, time, reason);
    this.close(handle).fail({ reason });
  }

  /** The operation's outcome is unknown. */
  info(handle: OperationHandle, time: number, reason?: string): void {
    this.recorder.info(handle, time, reason);
    this.close(handle).info({ reason });
  }

  /** The events recorded so far (a copy). */
  history(): History<Input, Output> {
    return this.recorder.history();
  }

  private close(handle: OperationHandle): TracedOperation {
    const operation = this.open.get(handle);
    this.open.delete(handle);
    // The recorder has just checked that the handle was open.
    return operation as TracedOperation;
  }
}
