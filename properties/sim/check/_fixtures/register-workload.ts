/**
 * Test fixture: histories of a random concurrent workload run against a real
 * sequential register, so they are linearizable by construction.
 *
 * A script of choices drives the run: invoke an operation on an idle process,
 * apply an open operation to the register (its linearization point), or
 * complete an open operation. A completion is `ok` (applying it first if
 * needed), `fail` (only for an operation not applied: it certainly had no
 * effect, and never will), or `info` (the operation may already have been
 * applied, or may still be applied later by a "late apply" choice, or never; the
 * process is retired). Operations still open at the end stay open. Values are
 * small integers (0..valueCount-1) so that reads are ambiguous and the checker
 * has to search.
 */
import fc from "fast-check";
import { HistoryRecorder } from "../../../../src/sim/check/history-recorder.ts";
import type { OperationHandle } from "../../../../src/sim/check/history-recorder.ts";
import type { History } from "../../../../src/sim/check/history.ts";
import type { RegisterInput, RegisterOutput, RegisterState } from "../../../../src/sim/check/models/cas-register.ts";

export type RegisterHistory = History<RegisterInput, RegisterOutput>;

export interface WorkloadScript {
  readonly processCount: number;
  readonly valueCount: number;
  /** Each choice picks an action and its parameters (see `runRegisterWorkload`). */
  readonly choices: readonly number[];
}

interface OpenOperation {
  readonly handle: OperationHandle;
  readonly input: RegisterInput;
  /** Whether the operation has been applied to the register (its output is then `result`). */
  applied: boolean;
  result: RegisterOutput;
}

/** A workload script: 1-5 processes, 2-5 values, up to `maxChoices` choices (lengths spread over the whole range). */
export function workloadScriptArbitrary(maxChoices = 60): fc.Arbitrary<WorkloadScript> {
  return fc.record({
    processCount: fc.integer({ min: 1, max: 5 }),
    valueCount: fc.integer({ min: 2, max: 5 }),
    choices: fc.array(fc.nat({ max: 1_000_000 }), { maxLength: maxChoices, size: "max" }),
  });
}

/** Runs a script against a sequential register and returns the recorded history. */
export function runRegisterWorkload(script: WorkloadScript): RegisterHistory {
  const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
  const slots: (OpenOperation | undefined)[] = Array.from({ length: script.processCount }, () => undefined);
  const processOfSlot = slots.map((_, slot) => slot);
  const unknownNotApplied: RegisterInput[] = [];
  let nextProcess = script.processCount;
  let register: RegisterState = null;
  let time = 0;
  const apply = (input: RegisterInput): RegisterOutput => {
    const [output, next] = applyToRegister(register, input);
    register = next;
    return output;
  };
  const applyOpen = (open: OpenOperation): RegisterOutput => {
    open.applied = true;
    open.result = apply(open.input);
    return open.result;
  };
  for (const choice of script.choices) {
    time += choice % 3;
    const slot = Math.floor(choice / 3) % script.processCount;
    const parameter = Math.floor(choice / (3 * script.processCount));
    const open = slots[slot];
    if (parameter % 7 === 6 && unknownNotApplied.length > 0) {
      apply(unknownNotApplied.splice(parameter % unknownNotApplied.length, 1)[0] as RegisterInput);
    } else if (open === undefined) {
      const input = inputFromParameter(Math.floor(parameter / 7), script.valueCount);
      slots[slot] = {
        handle: recorder.invoke(processOfSlot[slot] as number, input, time),
        input,
        applied: false,
        result: null,
      };
    } else if (!open.applied && parameter % 7 < 3) {
      applyOpen(open);
    } else {
      const outcome = completionOutcome(open, parameter);
      if (outcome === "ok") recorder.ok(open.handle, open.applied ? open.result : applyOpen(open), time);
      else if (outcome === "fail") recorder.fail(open.handle, time, "refused");
      else {
        recorder.info(open.handle, time, "timed-out");
        if (!open.applied) unknownNotApplied.push(open.input);
        processOfSlot[slot] = nextProcess++;
      }
      slots[slot] = undefined;
    }
  }
  return recorder.history();
}

function completionOutcome(open: OpenOperation, parameter: number): "ok" | "fail" | "info" {
  const roll = Math.floor(parameter / 7) % 10;
  if (roll < 7) return "ok";
  if (roll < 9) return open.applied ? "ok" : "fail";
  return "info";
}

function inputFromParameter(parameter: number, valueCount: number): RegisterInput {
  const value = parameter % valueCount;
  const other = Math.floor(parameter / valueCount) % valueCount;
  switch (Math.floor(parameter / (valueCount * valueCount)) % 3) {
    case 0:
      return { f: "read", value: null };
    case 1:
      return { f: "write", value };
    default:
      return { f: "cas", value: [value, other] };
  }
}

/** The sequential register: the output of `input` in `state`, and the next state. */
export function applyToRegister(state: RegisterState, input: RegisterInput): [RegisterOutput, RegisterState] {
  switch (input.f) {
    case "read":
      return [state, state];
    case "write":
      return [null, input.value];
    case "cas":
      return state === input.value[0] ? [true, input.value[1]] : [false, state];
  }
}
