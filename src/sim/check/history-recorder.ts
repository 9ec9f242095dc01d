/**
 * Records a Jepsen-style history as a workload runs (see history.ts for the
 * meaning of each event). The caller passes virtual times in; nothing here reads
 * a clock. Misuse (completing an operation twice, a process with two operations
 * open at once, time going backwards) is a programmer error and throws.
 */
import { assert } from "../assert.ts";
import type { History, HistoryEvent, OperationInput, ProcessId } from "./history.ts";

/** Identifies an operation in flight; returned by `invoke`, passed to `ok`, `fail` or `info`. */
export type OperationHandle = number;

interface OpenOperation {
  readonly process: ProcessId;
}

/**
 * Records one history. `invoke` returns the operation's handle; exactly one of
 * `ok`, `fail` or `info` completes it (or none: it stays open, an unknown
 * outcome). Each event gets the next index; times are the caller's virtual
 * times and must not decrease.
 */
export class HistoryRecorder<Input extends OperationInput, Output> {
  private readonly events: HistoryEvent<Input, Output>[] = [];
  private readonly open = new Map<OperationHandle, OpenOperation>();
  private readonly busyProcesses = new Set<ProcessId>();
  private nextOperationId = 0;
  private lastTime = Number.NEGATIVE_INFINITY;

  /**
   * Records that `process` invoked `input` at virtual time `time`, and returns
   * the operation's handle. A process has at most one operation open at a time.
   */
  invoke(process: ProcessId, input: Input, time: number): OperationHandle {
    assert(!this.busyProcesses.has(process), () => `process ${String(process)} already has an open operation`);
    this.assertTime(time);
    const operationId = this.nextOperationId++;
    this.append({ type: "invoke", index: this.events.length, time, operationId, process, input });
    this.open.set(operationId, { process });
    this.busyProcesses.add(process);
    return operationId;
  }

  /** Records that the operation took effect and returned `output`. */
  ok(handle: OperationHandle, output: Output, time: number): void {
    const process = this.close(handle, time);
    this.append({ type: "ok", index: this.events.length, time, operationId: handle, process, output });
  }

  /** Records that the operation certainly had no effect. */
  fail(handle: OperationHandle, time: number, reason?: string): void {
    const process = this.close(handle, time);
    this.append({
      type: "fail",
      index: this.events.length,
      time,
      operationId: handle,
      process,
      ...reasonField(reason),
    });
  }

  /**
   * Records that the outcome is unknown: the operation may take effect at any
   * later point or never. Jepsen retires the process after this; so should callers.
   */
  info(handle: OperationHandle, time: number, reason?: string): void {
    const process = this.close(handle, time);
    this.append({
      type: "info",
      index: this.events.length,
      time,
      operationId: handle,
      process,
      ...reasonField(reason),
    });
  }

  /** Operations invoked and not yet completed. */
  get openCount(): number {
    return this.open.size;
  }

  /** The events recorded so far, in order (a copy). */
  history(): History<Input, Output> {
    return this.events.slice();
  }

  private close(handle: OperationHandle, time: number): ProcessId {
    this.assertTime(time);
    const operation = this.open.get(handle);
    assert(operation !== undefined, () => `operation ${handle} is not open (never invoked, or already completed)`);
    this.open.delete(handle);
    this.busyProcesses.delete(operation.process);
    return operation.process;
  }

  private assertTime(time: number): void {
    assert(Number.isFinite(time), () => `event time must be a finite number, got ${time}`);
    assert(time >= this.lastTime, () => `time went backwards: ${time} after ${this.lastTime}`);
  }

  private append(event: HistoryEvent<Input, Output>): void {
    this.assertTime(event.time);
    this.lastTime = event.time;
    this.events.push(event);
  }
}

function reasonField(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}
