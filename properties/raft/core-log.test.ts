/**
 * Invariant: the core's RaftLog answers every question about the log exactly as a
 * plain model does (the base, its term, and every entry after it, in one array):
 * first/last index and term, termAt and entryAt at every index around the held
 * range (the base's term after compaction, nothing below it or past the end),
 * matchTerm, slice, all, findConflictByTerm (etcd's rule: the largest held index
 * at or below `index` whose term is at most `term`, else the base), isUpToDate
 * (Raft §5.4.1) and the last configuration at or before any index; and it refuses,
 * with an AssertionError, an append that is not contiguous or lowers the term, a
 * truncation at or below the base, a compaction past the end and a slice outside
 * the held range, changing nothing.
 *
 * Method: fast-check model-based commands (append, truncate, compact, reset to a
 * snapshot, and the refused calls), with every question asked after every
 * command; the same property must fail on a copy that forgets the base's term
 * after compaction (_fixtures/broken-raft-log.ts). Written because mutation
 * testing (npm run mutate) found the log's queries reached only through whole
 * clusters, where most answers are never compared with anything.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../src/sim/assert.ts";
import { RaftLog } from "../../src/impl/raft/core/raft-log.ts";
import { configurationOf, type EntryKind, type LogEntry } from "../../src/impl/raft/core/types.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { ForgetsBaseTermRaftLog } from "./_fixtures/broken-raft-log.ts";

interface Model {
  base: number;
  baseTerm: number;
  /** The entries held, from base + 1. */
  entries: LogEntry[];
}

type Real = RaftLog;

const lastIndexOf = (model: Model) => model.base + model.entries.length;
const lastTermOf = (model: Model) => model.entries.at(-1)?.term ?? model.baseTerm;
const termOf = (model: Model, index: number) =>
  index === model.base ? model.baseTerm : model.entries.find((entry) => entry.index === index)?.term;

function entry(index: number, term: number, kind: EntryKind, voters: number): LogEntry {
  if (kind === "configuration")
    return {
      index,
      term,
      kind,
      data: new Uint8Array(0),
      configuration: configurationOf(Array.from({ length: voters }, (_, voter) => `s${voter + 1}`)),
    };
  return { index, term, kind, data: Uint8Array.of(index & 0xff) };
}

/** The indices and terms every question is asked at: around the held range. */
function questions(model: Model): { indices: number[]; terms: number[]; slices: [number, number][] } {
  const last = lastIndexOf(model);
  const indices = Array.from(
    { length: last + 3 - Math.max(0, model.base - 2) },
    (_, offset) => Math.max(0, model.base - 2) + offset,
  );
  const terms = [...new Set([0, 1, 2, 3, 5, lastTermOf(model), lastTermOf(model) + 1])];
  const slices: [number, number][] = [];
  for (let from = model.base + 1; from <= last + 1; from++)
    for (const countMax of [0, 1, 2, last + 1]) slices.push([from, countMax]);
  return { indices, terms, slices };
}

/** Every answer of the log, keyed by the question. */
function answersOf(real: Real, asked: ReturnType<typeof questions>): Record<string, unknown> {
  const answers: Record<string, unknown> = {
    baseIndex: real.baseIndex,
    baseTerm: real.baseTerm,
    firstIndex: real.firstIndex,
    lastIndex: real.lastIndex,
    lastTerm: real.lastTerm,
    length: real.length,
    all: real.all(),
    lastConfiguration: real.lastConfiguration(),
  };
  for (const index of asked.indices) {
    answers[`termAt(${index})`] = real.termAt(index);
    answers[`entryAt(${index})`] = real.entryAt(index);
    answers[`configurationAt(${index})`] = real.configurationAt(index);
    for (const term of asked.terms) {
      answers[`matchTerm(${index}, ${term})`] = real.matchTerm(index, term);
      answers[`findConflictByTerm(${index}, ${term})`] = real.findConflictByTerm(index, term);
      answers[`isUpToDate(${index}, ${term})`] = real.isUpToDate(index, term);
    }
  }
  for (const [from, countMax] of asked.slices) answers[`slice(${from}, ${countMax})`] = real.slice(from, countMax);
  return answers;
}

/** The model's answers to the same questions. */
function modelAnswers(model: Model, asked: ReturnType<typeof questions>): Record<string, unknown> {
  const last = lastIndexOf(model);
  const lastTerm = lastTermOf(model);
  const located = (held: LogEntry | undefined) =>
    held === undefined ? undefined : { configuration: held.configuration, index: held.index };
  const configurations = model.entries.filter((held) => held.kind === "configuration");
  const answers: Record<string, unknown> = {
    baseIndex: model.base,
    baseTerm: model.baseTerm,
    firstIndex: model.base + 1,
    lastIndex: last,
    lastTerm,
    length: model.entries.length,
    all: model.entries,
    lastConfiguration: located(configurations.at(-1)),
  };
  for (const index of asked.indices) {
    const held = termOf(model, index);
    answers[`termAt(${index})`] = held;
    answers[`entryAt(${index})`] = index > model.base ? model.entries[index - model.base - 1] : undefined;
    answers[`configurationAt(${index})`] = located(
      configurations.filter((configuration) => configuration.index <= index).at(-1),
    );
    for (const term of asked.terms) {
      answers[`matchTerm(${index}, ${term})`] = held === term;
      let conflict = model.base;
      for (let candidate = Math.min(index, last); candidate > model.base; candidate--) {
        if ((termOf(model, candidate) as number) <= term) {
          conflict = candidate;
          break;
        }
      }
      answers[`findConflictByTerm(${index}, ${term})`] = conflict;
      answers[`isUpToDate(${index}, ${term})`] = term > lastTerm || (term === lastTerm && index >= last);
    }
  }
  for (const [from, countMax] of asked.slices)
    answers[`slice(${from}, ${countMax})`] = model.entries.slice(
      from - model.base - 1,
      from - model.base - 1 + countMax,
    );
  return answers;
}

/** Every question the log answers, compared with the model's answer. */
function expectSameAnswers(model: Model, real: Real): void {
  const asked = questions(model);
  const actual = answersOf(real, asked);
  const expected = modelAnswers(model, asked);
  const wrong = Object.keys(expected).filter((question) => !isDeepStrictEqual(actual[question], expected[question]));
  if (wrong.length > 0)
    throw new Error(
      `answers unlike the model's: ${wrong.map((question) => `${question} = ${JSON.stringify(actual[question])}, model ${JSON.stringify(expected[question])}`).join("; ")}`,
    );
  expect(() => real.slice(model.base, 1), "slice at the base").toThrow(AssertionError);
  expect(() => real.slice(lastIndexOf(model) + 2, 1), "slice past the end").toThrow(AssertionError);
}

/** A refused call changes nothing. */
function expectRefused(model: Model, real: Real, call: () => void, what: string): void {
  expect(call, what).toThrow(AssertionError);
  expectSameAnswers(model, real);
}

class Append implements fc.Command<Model, Real> {
  constructor(readonly steps: readonly { termStep: number; kind: EntryKind; voters: number }[]) {}
  check = () => true;
  run(model: Model, real: Real): void {
    let index = lastIndexOf(model);
    let term = lastTermOf(model);
    const entries = this.steps.map(({ termStep, kind, voters }) =>
      entry(++index, (term = Math.max(1, term + termStep)), kind, voters),
    );
    real.append(entries);
    model.entries.push(...entries);
    expectSameAnswers(model, real);
  }
  toString = () => `append(${this.steps.map((step) => `+${step.termStep}${step.kind[0]}`).join(",")})`;
}

class TruncateFrom implements fc.Command<Model, Real> {
  constructor(readonly back: number) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const index = Math.max(model.base + 1, lastIndexOf(model) + 2 - this.back);
    real.truncateFrom(index);
    model.entries = model.entries.filter((held) => held.index < index);
    expectSameAnswers(model, real);
  }
  toString = () => `truncateFrom(last + 2 - ${this.back})`;
}

class CompactThrough implements fc.Command<Model, Real> {
  constructor(readonly ahead: number) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const index = model.base - 1 + (this.ahead % (model.entries.length + 2));
    real.compactThrough(index);
    if (index > model.base) {
      model.baseTerm = termOf(model, index) as number;
      model.entries = model.entries.filter((held) => held.index > index);
      model.base = index;
    }
    expectSameAnswers(model, real);
  }
  toString = () => `compactThrough(base - 1 + ${this.ahead} % (length + 2))`;
}

class ResetTo implements fc.Command<Model, Real> {
  constructor(
    readonly indexStep: number,
    readonly termStep: number,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const index = Math.max(1, model.base + this.indexStep);
    const term = Math.max(1, lastTermOf(model) + this.termStep);
    real.resetTo(index, term);
    Object.assign(model, { base: index, baseTerm: term, entries: [] });
    expectSameAnswers(model, real);
  }
  toString = () => `resetTo(base + ${this.indexStep}, lastTerm + ${this.termStep})`;
}

class RefusedCalls implements fc.Command<Model, Real> {
  check = () => true;
  run(model: Model, real: Real): void {
    const last = lastIndexOf(model);
    const term = lastTermOf(model);
    expectRefused(model, real, () => real.append([entry(last + 2, term, "command", 0)]), "append with a hole");
    expectRefused(model, real, () => real.append([entry(last, term, "command", 0)]), "append over the last entry");
    if (term > 1)
      expectRefused(
        model,
        real,
        () => real.append([entry(last + 1, term - 1, "command", 0)]),
        "append of a lower term",
      );
    expectRefused(model, real, () => real.truncateFrom(model.base), "truncate at the base");
    expectRefused(model, real, () => real.compactThrough(last + 1), "compact past the end");
  }
  toString = () => "refused calls";
}

const kinds = fc.constantFrom<EntryKind>("command", "command", "noop", "configuration", "barrier");
const commands = fc.commands(
  [
    fc
      .array(
        fc.record({
          termStep: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
          kind: kinds,
          voters: fc.integer({ min: 1, max: 5 }),
        }),
        { minLength: 0, maxLength: 6 },
      )
      .map((steps) => new Append(steps)),
    fc.nat(8).map((back) => new TruncateFrom(back)),
    fc.nat(12).map((ahead) => new CompactThrough(ahead)),
    fc
      .tuple(fc.integer({ min: -3, max: 6 }), fc.integer({ min: -1, max: 3 }))
      .map(([indexStep, termStep]) => new ResetTo(indexStep, termStep)),
    fc.constant(new RefusedCalls()),
  ],
  { maxCommands: 25 },
);

/** A starting log: a base (0, or a compacted prefix) and a few entries. */
const starts = fc.oneof(
  fc.constant({ base: 0, baseTerm: 0, terms: [] as number[] }),
  fc.record({
    base: fc.integer({ min: 0, max: 6 }),
    baseTerm: fc.integer({ min: 1, max: 3 }),
    terms: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 5 }),
  }),
);

function logMatchesModel(create: (base: number, baseTerm: number, entries: readonly LogEntry[]) => Real) {
  return fc.property(starts, commands, (start, sequence) => {
    const baseTerm = start.base === 0 ? 0 : start.baseTerm;
    let term = baseTerm;
    const entries = start.terms.map((step, position) =>
      entry(start.base + position + 1, (term = Math.max(1, term + step)), "command", 0),
    );
    fc.modelRun(() => {
      const real = create(start.base, baseTerm, entries);
      const model: Model = { base: start.base, baseTerm, entries: entries.slice() };
      expectSameAnswers(model, real);
      return { model, real };
    }, sequence);
  });
}

const name = "raft log answers as a plain model does";

describe("RaftLog", () => {
  it(name, () => {
    fc.assert(
      logMatchesModel((base, baseTerm, entries) => new RaftLog(base, baseTerm, entries)),
      propertyParameters(name, 200, { includeErrorInReport: true }),
    );
  });

  it(`${name}: fails on a log that forgets the base's term after compaction`, () => {
    const details = fc.check(
      logMatchesModel((base, baseTerm, entries) => new ForgetsBaseTermRaftLog(base, baseTerm, entries)),
      propertyParameters(name, 200),
    );
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/termAt|matchTerm/);
  });

  it("refuses a negative or fractional base, and a term at index 0", () => {
    expect(() => new RaftLog(-1, 0, [])).toThrow(AssertionError);
    expect(() => new RaftLog(1.5, 1, [])).toThrow(AssertionError);
    expect(() => new RaftLog(0, 1, [])).toThrow(AssertionError);
    expect(new RaftLog(0, 0, []).lastTerm).toBe(0);
  });
});
