/**
 * Invariant: after any sequence of content, commit (exposed at once, or pending
 * until adopted or discarded), rollback, roll, roll-forward, mismatching
 * proposals and bad content deltas, the Spool (on a simulated disk)
 * agrees with a byte-array model: its fragment (offsets and SHA-1 sum of the
 * committed bytes), registers, delta and next(); committed content reads back
 * exactly, from the current spool and from every completed one; the observer
 * is told of exactly the commits that are not pending (and of an adopted one
 * when it is adopted).
 * Broken variants "commit-ignores-sum" (a proposal of the right extent commits
 * whatever its sum) and "discard-keeps-sum" (a discarded commit's bytes stay
 * in the running sum) make the property fail.
 * Also: disk faults surface as DiskError (a failed write leaves the spool as it
 * was; a corrupted read or a lost write is caught by the checksums).
 * Method: fast-check sequences of operations, each run inside a simulated host.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Spool } from "../../../../src/impl/gazette/broker/fragment/spool.ts";
import {
  emptyFragment,
  type CompletedSpool,
  type SpoolObserver,
} from "../../../../src/impl/gazette/broker/fragment/spool.ts";
import { spoolOf, type SpoolBrokenVariant } from "../../../../scenarios/gazette/variants/broker.ts";
import { fragmentSum, ZERO_SHA1_SUM, type Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import type { CompressionCodec } from "../../../../src/impl/gazette/protocol/journal-spec.ts";
import { labelSet, type LabelSet } from "../../../../src/impl/gazette/protocol/labels.ts";
import { ValidationError } from "../../../../src/impl/gazette/protocol/validation.ts";
import { DiskError, type Env } from "../../../../src/sim/env.ts";
import { createSimDisks, type SimDiskSystem } from "../../../../src/sim/disk/system.ts";
import { World } from "../../../../src/sim/world.ts";
import { propertyParameters } from "../../../_support/fast-check.ts";
import { NODE_HASHES } from "../../../../src/sim/hashes.ts";

const JOURNAL = "spool/model/part-0";
const REGISTERS: LabelSet[] = [{ labels: [] }, labelSet("owner", "alpha"), labelSet("owner", "beta", "epoch", "e1")];

type Op =
  | { kind: "content"; bytes: Uint8Array }
  | { kind: "badDelta"; bytes: Uint8Array; skew: number }
  | { kind: "commit"; registers: number; pending: boolean }
  | { kind: "adopt" }
  | { kind: "discard" }
  | { kind: "rollback" }
  | { kind: "roll"; codec: CompressionCodec }
  | { kind: "rollForward"; by: number; registers: number }
  | { kind: "wrongSum" }
  | { kind: "read"; from: number; to: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.uint8Array({ minLength: 0, maxLength: 48 }).map((bytes) => ({ kind: "content" as const, bytes })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }), skew: fc.constantFrom(-3, -1, 1, 7) })
      .map((op) => ({ kind: "badDelta" as const, ...op })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ registers: fc.nat(REGISTERS.length - 1), pending: fc.boolean() })
      .map((op) => ({ kind: "commit" as const, ...op })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "adopt" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "discard" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "rollback" as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<CompressionCodec>("NONE", "GZIP").map((codec) => ({ kind: "roll" as const, codec })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ by: fc.integer({ min: 1, max: 40 }), registers: fc.nat(REGISTERS.length - 1) })
      .map((op) => ({ kind: "rollForward" as const, ...op })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "wrongSum" as const }) },
  {
    weight: 2,
    arbitrary: fc
      .record({ from: fc.double({ min: 0, max: 1, noNaN: true }), to: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map((op) => ({ kind: "read" as const, ...op })),
  },
);

/** The byte-array model of a spool. */
class SpoolModel {
  begin = 0;
  committed: number[] = [];
  delta: number[] = [];
  registers: LabelSet = { labels: [] };
  codec: CompressionCodec = "NONE";
  completed: Array<{ fragment: Fragment; bytes: number[] }> = [];
  /** What a pending commit replaced. */
  pending: { committed: number[]; registers: LabelSet } | undefined;
  /** The last fragment the observer should have been told of. */
  exposed: Fragment | undefined;

  fragment(): Fragment {
    return {
      ...emptyFragment(JOURNAL, this.begin, this.codec),
      end: this.begin + this.committed.length,
      sum: fragmentSum(NODE_HASHES, Uint8Array.from(this.committed)),
    };
  }

  next(): Fragment {
    const bytes = [...this.committed, ...this.delta];
    return {
      ...this.fragment(),
      end: this.begin + bytes.length,
      sum: bytes.length === 0 ? ZERO_SHA1_SUM : fragmentSum(NODE_HASHES, Uint8Array.from(bytes)),
    };
  }

  rollTo(offset: number, codec: CompressionCodec): void {
    if (this.committed.length > 0) this.completed.push({ fragment: this.fragment(), bytes: this.committed });
    this.begin = offset;
    this.committed = [];
    this.delta = [];
    this.codec = codec;
  }
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const request = (fields: {
  proposal?: Fragment;
  registers?: LabelSet;
  content?: Uint8Array;
  contentDelta?: number;
}) => ({
  journal: JOURNAL,
  pipeline: "model",
  contentDelta: 0,
  acknowledge: true,
  ...fields,
});

/** A spool never rolls (nor commits again) past a pending commit: adopt it first, as replicas do. */
function adoptFirst(spool: Spool, model: SpoolModel): void {
  if (model.pending === undefined) return;
  spool.adoptPending();
  model.pending = undefined;
  model.exposed = model.fragment();
}

async function step(spool: Spool, model: SpoolModel, op: Op, completed: CompletedSpool[]): Promise<void> {
  if (op.kind === "roll" || op.kind === "rollForward" || (op.kind === "commit" && model.delta.length > 0))
    adoptFirst(spool, model);
  switch (op.kind) {
    case "adopt":
      adoptFirst(spool, model);
      return;
    case "discard":
      await spool.discardPending();
      if (model.pending !== undefined) {
        model.committed = model.pending.committed;
        model.registers = model.pending.registers;
        model.delta = [];
        model.pending = undefined;
      }
      return;
    case "content":
      await spool.apply(request({ content: op.bytes, contentDelta: model.delta.length }), false);
      model.delta.push(...op.bytes);
      return;
    case "badDelta": {
      const delta = model.delta.length + op.skew;
      if (delta < 0) return;
      const error = await spool.apply(request({ content: op.bytes, contentDelta: delta }), false).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      check(
        error instanceof ValidationError,
        `content at delta ${delta} (expected ${model.delta.length}) was not refused`,
      );
      return;
    }
    case "commit": {
      const registers = REGISTERS[op.registers] as LabelSet;
      const proposal = model.next();
      const result = await spool.apply(request({ proposal, registers }), false, { pending: op.pending });
      if (model.delta.length > 0) {
        check(result.response.status === "OK", `commit of the delta: ${result.response.status}`);
        if (op.pending) model.pending = { committed: model.committed, registers: model.registers };
        model.committed = [...model.committed, ...model.delta];
        model.delta = [];
        model.registers = registers;
        if (!op.pending) model.exposed = model.fragment();
      } else if (JSON.stringify(registers) === JSON.stringify(model.registers)) {
        check(
          result.response.status === "OK",
          `a proposal of the fragment itself rolls back: ${result.response.status}`,
        );
      } else {
        check(
          result.response.status === "PROPOSAL_MISMATCH",
          `same fragment, other registers: ${result.response.status}`,
        );
        check(
          JSON.stringify(result.response.registers) === JSON.stringify(model.registers),
          "mismatch reports our registers",
        );
      }
      return;
    }
    case "rollback": {
      const result = await spool.apply(request({ proposal: model.fragment(), registers: model.registers }), false);
      check(result.response.status === "OK", `rollback: ${result.response.status}`);
      model.delta = [];
      return;
    }
    case "roll": {
      const result = await spool.apply(
        request({
          proposal: emptyFragment(JOURNAL, model.begin + model.committed.length, op.codec),
          registers: model.registers,
        }),
        false,
      );
      check(result.response.status === "OK", `roll: ${result.response.status}`);
      check(
        (result.completed !== undefined) === model.committed.length > 0,
        "a roll completes exactly a spool with content",
      );
      if (result.completed !== undefined) completed.push(result.completed);
      model.rollTo(model.begin + model.committed.length, op.codec);
      return;
    }
    case "rollForward": {
      const offset = model.begin + model.committed.length + model.delta.length + op.by;
      const registers = REGISTERS[op.registers] as LabelSet;
      const result = await spool.apply(request({ proposal: emptyFragment(JOURNAL, offset, "NONE"), registers }), false);
      check(result.response.status === "OK", `roll forward: ${result.response.status}`);
      if (result.completed !== undefined) completed.push(result.completed);
      model.rollTo(offset, "NONE");
      model.registers = registers;
      return;
    }
    case "wrongSum": {
      if (model.delta.length === 0) return;
      const proposal = { ...model.next(), sum: "f".repeat(40) };
      const result = await spool.apply(request({ proposal, registers: model.registers }), false);
      check(result.response.status === "PROPOSAL_MISMATCH", `a proposal with a wrong sum: ${result.response.status}`);
      check(
        JSON.stringify(result.response.fragment) === JSON.stringify(model.fragment()),
        "mismatch reports our fragment",
      );
      return;
    }
    case "read": {
      const length = model.committed.length;
      const local = spool.local;
      if (length === 0 || local === undefined) return;
      const from = Math.min(length - 1, Math.floor(op.from * length));
      const to = from + Math.floor(op.to * (length - from));
      const bytes = await local.read(model.begin + from, to - from);
      check(
        JSON.stringify([...bytes]) === JSON.stringify(model.committed.slice(from, to)),
        `read [${from}, ${to}) of the spool`,
      );
      return;
    }
  }
}

async function agrees(spool: Spool, model: SpoolModel, exposed: Fragment | undefined): Promise<void> {
  check(
    JSON.stringify(exposed) === JSON.stringify(model.exposed),
    `observer told of ${JSON.stringify(exposed)}, model ${JSON.stringify(model.exposed)}`,
  );
  check(
    (spool.pendingCommit === undefined) === (model.pending === undefined),
    "a commit is pending exactly when the model's is",
  );
  check(
    JSON.stringify(spool.fragment) === JSON.stringify(model.fragment()),
    `fragment ${JSON.stringify(spool.fragment)} vs model ${JSON.stringify(model.fragment())}`,
  );
  check(JSON.stringify(spool.registers) === JSON.stringify(model.registers), "registers");
  check(spool.delta === model.delta.length, `delta ${spool.delta} vs ${model.delta.length}`);
  check(JSON.stringify(spool.next()) === JSON.stringify(model.next()), "next()");
}

/** Runs `body` inside a simulated host's process; returns its error, if any. */
async function onHost(seed: number, body: (env: Env, disks: SimDiskSystem) => Promise<void>): Promise<unknown> {
  const disks = createSimDisks();
  const world = new World({ seed, disks });
  const outcome: { done: boolean; error?: unknown } = { done: false };
  world
    .addHost("spooler", async (env) => {
      try {
        await body(env, disks);
      } catch (error) {
        outcome.error = error;
      }
      outcome.done = true;
    })
    .start();
  await world.scheduler.run({ untilTime: 600_000, predicate: () => outcome.done });
  if (!outcome.done) return new Error("the host did not finish");
  return outcome.error;
}

function newSpool(env: Env, brokenVariant?: SpoolBrokenVariant, observer?: SpoolObserver): Spool {
  return spoolOf(brokenVariant)({
    journal: JOURNAL,
    disk: env.disk,
    hash: env.hash,
    directory: "/spools/model",
    fileNamePrefix: "test",
    now: () => env.clock.now(),
    ...(observer !== undefined ? { observer } : {}),
  });
}

async function runOps(seed: number, ops: Op[], brokenVariant?: SpoolBrokenVariant): Promise<unknown> {
  return onHost(seed, async (env) => {
    const told: { last?: Fragment } = {};
    const spool = newSpool(env, brokenVariant, {
      spoolCommit: (fragment) => (told.last = fragment),
      spoolComplete: () => undefined,
    });
    const model = new SpoolModel();
    const completed: CompletedSpool[] = [];
    for (const op of ops) {
      await step(spool, model, op, completed);
      await agrees(spool, model, told.last);
    }
    check(completed.length === model.completed.length, "completed spools");
    for (const [index, done] of completed.entries()) {
      const expected = model.completed[index] as { fragment: Fragment; bytes: number[] };
      check(JSON.stringify(done.fragment) === JSON.stringify(expected.fragment), `completed fragment ${index}`);
      const bytes = await done.content.read(done.fragment.begin, done.fragment.end - done.fragment.begin);
      check(JSON.stringify([...bytes]) === JSON.stringify(expected.bytes), `completed content ${index}`);
    }
  });
}

const opsArbitrary = fc.array(opArbitrary, { minLength: 5, maxLength: 80, size: "medium" });

describe("gazette broker: Spool", () => {
  it("agrees with a byte-array model over any sequence of replicate requests", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), opsArbitrary, async (seed, ops) => {
        const error = await runOps(seed, ops);
        if (error !== undefined) throw error;
      }),
      propertyParameters("spool agrees with a byte-array model", 100),
    );
  });

  const variants: Array<[SpoolBrokenVariant, RegExp]> = [
    ["commit-ignores-sum", /wrong sum: OK/],
    ["discard-keeps-sum", /fragment|next\(\)/],
  ];
  for (const [variant, message] of variants) {
    it(`broken variant ${variant}: the model property fails`, async () => {
      const failure = await fc.check(
        fc.asyncProperty(fc.nat(), opsArbitrary, async (seed, ops) => {
          const error = await runOps(seed, ops, variant);
          if (error !== undefined) throw error;
        }),
        { ...propertyParameters(`spool broken variant ${variant}`, 200), reporter: undefined },
      );
      expect(failure.failed).toBe(true);
      expect(String(failure.errorInstance)).toMatch(message);
    });
  }

  it("a failed write leaves the spool as it was; a corrupted read and a lost write surface as DiskError", async () => {
    const error = await onHost(7, async (env, disks) => {
      const spool = newSpool(env);
      await spool.apply(request({ content: Uint8Array.of(1, 2, 3), contentDelta: 0 }), false);
      disks.setDiskFaults("spooler", { writeErrorProbability: 1 });
      const failed = await spool.apply(request({ content: Uint8Array.of(4), contentDelta: 3 }), false).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      check(failed instanceof DiskError, `write fault: ${String(failed)}`);
      check(spool.delta === 3, "a failed write leaves the delta");
      disks.setDiskFaults("spooler", undefined);
      await spool.apply(request({ content: Uint8Array.of(4), contentDelta: 3 }), false);
      const commit = await spool.apply(request({ proposal: spool.next(), registers: { labels: [] } }), false);
      check(
        commit.response.status === "OK" && spool.fragment.sum === fragmentSum(NODE_HASHES, Uint8Array.of(1, 2, 3, 4)),
        "commit after the fault",
      );
      const local = spool.local;
      if (local === undefined) throw new Error("committed content has a file");
      disks.setDiskFaults("spooler", { readCorruptionProbability: 1 });
      const corrupted = await local.read(0, 4).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      check(
        corrupted instanceof DiskError && /checksum/.test(corrupted.message),
        `corrupted read: ${String(corrupted)}`,
      );
      disks.setDiskFaults("spooler", { lostWriteProbability: 1 });
      await spool.apply(request({ content: Uint8Array.of(5, 6), contentDelta: 0 }), false);
      await spool.apply(request({ proposal: spool.next(), registers: { labels: [] } }), false);
      disks.setDiskFaults("spooler", undefined);
      const lost = await local.read(4, 2).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      check(lost instanceof DiskError, `lost write: ${String(lost)}`);
      check(JSON.stringify([...(await local.read(0, 4))]) === "[1,2,3,4]", "intact content still reads");
    });
    expect(error).toBeUndefined();
  });
});
