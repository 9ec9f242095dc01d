/**
 * Invariant: the AppendService commits, per journal, exactly the released
 * appends that succeeded, each once and in order; never starts an append before
 * its dependencies committed (batching never merges across a dependency); fails
 * the dependants of a failed dependency and every later append of the journal;
 * never retries FRAGMENT_STORE_UNHEALTHY, INDEX_HAS_GREATER_OFFSET, NOT_ALLOWED,
 * JOURNAL_NOT_FOUND or WRONG_APPEND_OFFSET; and waits backoff(attempt) between
 * attempts (50, 50, 100, 100, 1000, 1000, then 5000 ms).
 *
 * Method: fast-check generates a workload (appends over three journals with
 * dependencies on earlier appends and on external operations that resolve or
 * fail later, rollbacks by a failed require, pauses) and a fault script per
 * journal (retried and non-retried statuses, failed calls, slow responses);
 * a client host runs it through model brokers in the simulator, with a small
 * spill threshold in some runs so that buffers go through the simulated disk.
 * The brokers' logs and the client's outcomes are checked
 * (_support/append-checks.ts). Each check is shown failing on a broken variant.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { appendRequest } from "../../../src/impl/gazette/protocol/messages.ts";
import type { AsyncAppend } from "../../../src/impl/gazette/client/append-service.ts";
import { appendServiceOf, type AppendServiceBrokenVariant } from "../../../scenarios/gazette/variants/client.ts";
import { AsyncOperation, OpFutures } from "../../../src/impl/gazette/client/op-future.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import {
  APPEND_CHECKS,
  checkAppendRun,
  tag,
  type AppendCheck,
  type AppendOp,
  type ClientRecord,
  type ExternalOp,
} from "../_support/append-checks.ts";
import { runGazette } from "../_support/gazette-world.ts";
import type { AppendFault } from "../_support/model-broker.ts";
import { brokerRoute, journalSpec, ModelStore } from "../_support/model-store.ts";

const JOURNALS = ["logs/clicks/part-0", "logs/clicks/part-1", "logs/views/part-0"];
const BROKERS = ["broker-a", "broker-b"];

const appendFault: fc.Arbitrary<AppendFault> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("status" as const),
      status: fc.constantFrom(
        "INSUFFICIENT_JOURNAL_BROKERS" as const,
        "NO_JOURNAL_PRIMARY_BROKER" as const,
        "REGISTER_MISMATCH" as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("status" as const),
      status: fc.constantFrom(
        "FRAGMENT_STORE_UNHEALTHY" as const,
        "INDEX_HAS_GREATER_OFFSET" as const,
        "NOT_ALLOWED" as const,
        "JOURNAL_NOT_FOUND" as const,
        "WRONG_APPEND_OFFSET" as const,
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("fail" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delay" as const), ms: fc.integer({ min: 1, max: 400 }) }) },
);

const workload = fc
  .record({
    seed: fc.nat(10_000),
    externals: fc.array(fc.record({ resolveAtMs: fc.integer({ min: 0, max: 3000 }), fails: fc.boolean() }), {
      maxLength: 3,
    }),
    ops: fc.array(
      fc.record({
        journal: fc.constantFrom(...JOURNALS),
        size: fc.integer({ min: 0, max: 120 }),
        dependsOn: fc.array(fc.nat(), { maxLength: 2 }),
        externalDeps: fc.array(fc.nat(), { maxLength: 1 }),
        rollbackChance: fc.integer({ min: 0, max: 9 }),
        pauseMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150 })),
      }),
      { minLength: 1, maxLength: 14 },
    ),
    faults: fc.record(
      Object.fromEntries(
        JOURNALS.map((journal) => [journal, fc.array(fc.option(appendFault, { nil: undefined }), { maxLength: 8 })]),
      ),
    ) as fc.Arbitrary<Record<string, Array<AppendFault | undefined>>>,
    spillThresholdBytes: fc.constantFrom(0, 64, 1 << 20),
  })
  .map((input) => {
    const ops: AppendOp[] = input.ops.map((op, index) => ({
      journal: op.journal,
      size: op.size,
      dependsOn: index === 0 ? [] : [...new Set(op.dependsOn.map((dependency) => dependency % index))],
      externalDeps:
        input.externals.length === 0
          ? []
          : [...new Set(op.externalDeps.map((external) => external % input.externals.length))],
      rollback: op.rollbackChance === 0,
      pauseMs: op.pauseMs,
    }));
    return {
      seed: input.seed,
      externals: input.externals as ExternalOp[],
      ops,
      faults: input.faults,
      spillThresholdBytes: input.spillThresholdBytes,
    };
  });
type Workload = typeof workload extends fc.Arbitrary<infer T> ? T : never;

/** Coverage of the correct runs. */
const stats = { retries: 0, nonRetried: 0, dependencyFailures: 0, rollbacks: 0, batched: 0, spilled: 0 };

async function runWorkload(
  input: Workload,
  variant: AppendServiceBrokenVariant | undefined,
  checks: readonly AppendCheck[],
): Promise<string[]> {
  const store = new ModelStore();
  for (const journal of JOURNALS) store.createJournal(journalSpec(journal), brokerRoute(BROKERS, "broker-b"));
  const record: ClientRecord = { outcomes: input.ops.map(() => "pending"), externalResolvedAtMs: [], attempts: [] };
  const run = await runGazette({
    seed: input.seed,
    store,
    brokers: BROKERS,
    untilMs: 900_000,
    faults: { append: (request, attempt) => input.faults[request.journal]?.[attempt] },
    client: async ({ env, client, world }) => {
      const externals = input.externals.map((external, index) => {
        const operation = new AsyncOperation();
        env.clock.setTimer(external.resolveAtMs, () => {
          record.externalResolvedAtMs[index] = world.now;
          operation.resolve(external.fails ? new Error(`external ${index} failed`) : undefined);
        });
        return operation;
      });
      const service = appendServiceOf(variant)(env, client, {
        spillThresholdBytes: input.spillThresholdBytes,
        attemptsMax: 10,
        onAttempt: (event) =>
          record.attempts.push({
            journal: event.journal,
            attempt: event.attempt,
            phase: event.phase,
            atMs: env.clock.monotonic(),
          }),
      });
      const handles: Array<AsyncAppend | undefined> = [];
      for (const [index, op] of input.ops.entries()) {
        const dependencies = new OpFutures([
          ...op.dependsOn.flatMap((dependency) => handles[dependency] ?? []),
          ...op.externalDeps.map((external) => externals[external]!),
        ]);
        const aa = await service.startAppend(appendRequest({ journal: op.journal }), dependencies);
        if (handles.includes(aa)) stats.batched++;
        await aa.writer().write(tag(index, op.size));
        if (op.rollback) aa.require(new Error("rolled back by the caller"));
        try {
          await aa.release();
          handles[index] = aa;
          if ((aa.buffer?.spilled ?? false) === true) stats.spilled++;
        } catch {
          record.outcomes[index] = "rolled-back";
          // A rolled-back op still "depends" through its would-be batch: later ops depending on it wait for that batch.
          handles[index] = aa;
          stats.rollbacks++;
        }
        if (op.pauseMs > 0) await env.clock.sleep(op.pauseMs);
      }
      for (const [index, handle] of handles.entries()) {
        if (handle === undefined || record.outcomes[index] === "rolled-back") continue;
        const error = await handle.err();
        record.outcomes[index] = error === undefined ? "ok" : String(error);
        if (String(error).includes("dependency failed")) stats.dependencyFailures++;
      }
    },
  });
  if (!run.settled) return [`the workload did not finish (${run.problems.join("; ")})`];
  if (run.error !== undefined) return [`the client failed: ${String(run.error)}`];
  stats.retries += record.attempts.filter((event) => event.phase === "failed").length;
  stats.nonRetried += store.attempts.filter((attempt) =>
    [
      "FRAGMENT_STORE_UNHEALTHY",
      "INDEX_HAS_GREATER_OFFSET",
      "NOT_ALLOWED",
      "JOURNAL_NOT_FOUND",
      "WRONG_APPEND_OFFSET",
    ].includes(attempt.outcome),
  ).length;
  return [...run.problems, ...checkAppendRun(input.ops, input.externals, store, record, checks)];
}

function serviceProperty(variant?: AppendServiceBrokenVariant, checks: readonly AppendCheck[] = APPEND_CHECKS) {
  return fc.asyncProperty(workload, async (input) => {
    const problems = await runWorkload(input, variant, checks);
    if (problems.length > 0) throw new Error(problems.join("\n"));
  });
}

const NAME = "gazette-append-service";

async function caught(
  variant: AppendServiceBrokenVariant,
  checks: readonly AppendCheck[] = APPEND_CHECKS,
  runs = 80,
): Promise<string> {
  const details = await fc.check(serviceProperty(variant, checks), {
    ...propertyParameters(NAME, runs),
    reporter: undefined,
    endOnFailure: true,
  });
  expect(details.failed, `${variant}: no counterexample in ${details.numRuns} runs`).toBe(true);
  return String(details.errorInstance);
}

describe("gazette client: AppendService against model brokers", () => {
  it("keeps order, dependencies, failure propagation, the non-retried statuses and the backoff table", async () => {
    await fc.assert(serviceProperty(), propertyParameters(NAME, 150));
    expect(stats.retries, "failed attempts retried").toBeGreaterThan(0);
    expect(stats.nonRetried, "non-retried statuses seen").toBeGreaterThan(0);
    expect(stats.dependencyFailures, "appends failed by a dependency").toBeGreaterThan(0);
    expect(stats.rollbacks, "rollbacks").toBeGreaterThan(0);
    expect(stats.batched, "appends batched into an earlier AsyncAppend").toBeGreaterThan(0);
    expect(stats.spilled, "appends whose buffer spilled to disk").toBeGreaterThan(0);
  });

  it("fails on a service that ignores dependencies", async () => {
    expect(await caught("ignore-dependencies")).toContain("dependencies:");
  });

  it("fails on a service that batches across dependencies", async () => {
    expect(await caught("batch-across-dependencies")).toContain("dependencies:");
  });

  it("fails on a service that retries every status", async () => {
    expect(await caught("retry-everything")).toContain("non-retried:");
  });

  it("fails on a service with a constant backoff", async () => {
    expect(await caught("constant-backoff")).toContain("backoff:");
  });

  it("fails on a service that forgets a journal's failure", async () => {
    expect(await caught("forget-failures")).toContain("failures:");
  });

  it("fails on a service that dispatches a journal's appends concurrently (caught by the order check alone)", async () => {
    expect(await caught("dispatch-concurrently")).toMatch(/order:|backoff:/);
    expect(await caught("dispatch-concurrently", ["order"])).toContain("order:");
  });

  it("fails on a service that does not roll back a failed release", async () => {
    expect(await caught("no-rollback")).toContain("order:");
  });
});
