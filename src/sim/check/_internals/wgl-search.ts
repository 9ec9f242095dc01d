/**
 * The Wing-Gong-Lowe search for one partition, as in Porcupine: walk the
 * history list; at a call, try to linearize that operation now (the model
 * accepts it and the resulting (linearized set, state) pair is new to Lowe's
 * cache), lift it out of the list and restart from the first entry; at a return
 * whose call is not linearized yet, backtrack the most recent choice. The list
 * becoming empty means every operation found a place: linearizable. Backtracking
 * with nothing to undo means no order exists: not linearizable.
 *
 * Nondeterministic models (a step returning several states) are handled by
 * keeping the untried next states in the frame and trying them before undoing.
 */
import type { OperationInput } from "../history.ts";
import type { Model, StepResult } from "../model.ts";
import type { Operation } from "../operation.ts";
import { EntryList, isReturnEntry } from "./entry-list.ts";
import { LinearizedSet } from "./linearized-set.ts";
import { StateCache } from "./state-cache.ts";
import type { StepBudget } from "./step-budget.ts";

/** The deepest point the search reached: operations linearized in order, and the state after them. */
export interface LongestPrefix<State> {
  readonly slots: readonly number[];
  readonly state: State;
}

/** Where a search (or a slice of it) ended. */
export type SearchOutcome<State> =
  | { readonly kind: "linearizable" }
  | { readonly kind: "not-linearizable"; readonly longest: LongestPrefix<State>; readonly list: EntryList }
  /** The slice of steps given to `run` is used up; `run` again to go on. */
  | { readonly kind: "paused" }
  /** The shared budget is used up. */
  | { readonly kind: "exhausted" };

/** One linearization choice on the search stack. */
interface Frame<State> {
  readonly callEntry: number;
  readonly previousState: State;
  /** Next states of a nondeterministic step, with the index of the next one to try. */
  readonly alternatives: readonly State[] | undefined;
  readonly nextAlternative: number;
}

/**
 * The search for a linearization of one partition's operations. It runs in
 * slices (`run` may pause and be resumed), so that several partitions can be
 * searched in turn and the first that fails ends the check early.
 */
export class WglSearch<State, Input extends OperationInput, Output> {
  private readonly list: EntryList;
  private readonly linearized: LinearizedSet;
  private readonly cache: StateCache<State>;
  private readonly stack: Frame<State>[] = [];
  private state: State;
  private longest: LongestPrefix<State>;
  private entry: number;
  private finished: SearchOutcome<State> | undefined;

  constructor(
    private readonly model: Model<State, Input, Output>,
    private readonly operations: readonly Operation<Input, Output>[],
  ) {
    this.list = new EntryList(operations);
    this.linearized = new LinearizedSet(operations.length);
    this.cache = new StateCache<State>(this.linearized.words.length, model.equal);
    this.state = model.init();
    this.longest = { slots: [], state: this.state };
    this.entry = this.list.first();
  }

  /** Searches for at most `sliceSteps` steps of `budget`; a finished search returns its outcome again. */
  run(budget: StepBudget, sliceSteps: number): SearchOutcome<State> {
    this.finished ??= this.runSlice(budget, sliceSteps);
    const outcome = this.finished;
    if (outcome.kind === "paused" || outcome.kind === "exhausted") this.finished = undefined;
    return outcome;
  }

  private runSlice(budget: StepBudget, sliceSteps: number): SearchOutcome<State> {
    const list = this.list;
    let entry = this.entry;
    try {
      for (let step = 0; !list.isEmpty(); step++) {
        if (step >= sliceSteps) return { kind: "paused" };
        if (!budget.take()) return { kind: "exhausted" };
        if (list.match[entry] !== isReturnEntry) {
          entry = this.linearize(entry) ? list.first() : (list.next[entry] as number);
          continue;
        }
        const frame = this.stack.pop();
        if (frame === undefined) return { kind: "not-linearizable", longest: this.longest, list };
        entry = this.backtrack(frame);
      }
      return { kind: "linearizable" };
    } finally {
      this.entry = entry;
    }
  }

  /** Tries to linearize the operation of `callEntry` now; on success it is lifted out of the list. */
  private linearize(callEntry: number): boolean {
    const operation = this.operations[this.list.slotOf[callEntry] as number] as Operation<Input, Output>;
    const result = this.model.step(this.state, operation.input, operation.output);
    if (isStateList(result)) {
      if (!this.placeAny(callEntry, this.state, result, 0)) return false;
    } else {
      if (!result.ok || !this.place(callEntry, result.newState)) return false;
      this.push({ callEntry, previousState: this.state, alternatives: undefined, nextAlternative: 0 }, result.newState);
    }
    this.list.lift(callEntry);
    return true;
  }

  /** Places the operation in the first of `candidates` (from `firstIndex`) that is new to the cache. */
  private placeAny(callEntry: number, previousState: State, candidates: readonly State[], firstIndex: number): boolean {
    for (let index = firstIndex; index < candidates.length; index++) {
      const candidate = candidates[index] as State;
      if (!this.place(callEntry, candidate)) continue;
      this.push({ callEntry, previousState, alternatives: candidates, nextAlternative: index + 1 }, candidate);
      return true;
    }
    return false;
  }

  /** Adds the operation to the linearized set if (set, candidate) is new to the cache. */
  private place(callEntry: number, candidate: State): boolean {
    const slot = this.list.slotOf[callEntry] as number;
    this.linearized.add(slot);
    if (this.cache.addIfAbsent(this.linearized, candidate, this.model.hash(candidate))) return true;
    this.linearized.remove(slot);
    return false;
  }

  /** Records a choice (the caller lifts the entries) and tracks the longest prefix. */
  private push(frame: Frame<State>, next: State): void {
    this.stack.push(frame);
    this.state = next;
    if (this.stack.length > this.longest.slots.length) {
      this.longest = { slots: this.stack.map((each) => this.list.slotOf[each.callEntry] as number), state: next };
    }
  }

  /** Undoes the most recent choice (trying its untried alternatives first); returns the entry to continue from. */
  private backtrack(frame: Frame<State>): number {
    const list = this.list;
    this.linearized.remove(list.slotOf[frame.callEntry] as number);
    // A nondeterministic step may still have untried next states; the entries stay lifted for them.
    if (
      frame.alternatives !== undefined &&
      this.placeAny(frame.callEntry, frame.previousState, frame.alternatives, frame.nextAlternative)
    ) {
      return list.first();
    }
    list.unlift(frame.callEntry);
    this.state = frame.previousState;
    return list.next[frame.callEntry] as number;
  }
}

function isStateList<State>(result: StepResult<State>): result is readonly State[] {
  return Array.isArray(result);
}
