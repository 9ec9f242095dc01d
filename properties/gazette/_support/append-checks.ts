/**
 * Checks of an AppendService run against the model brokers' logs.
 *
 * Every client append writes one tag "[<op>:xxx]" (unique per operation), so the
 * brokers' logs of attempts and commits say which operations each RPC carried.
 * The checks, each named in its failure message:
 * - order: per journal, the committed tags are exactly the operations that were
 *   released and succeeded, each once, in the order they were started;
 * - dependencies: no attempt carries an operation before all its dependencies
 *   succeeded (AsyncAppend dependencies committed at the broker, external
 *   operations resolved);
 * - failures: an operation whose dependency failed fails, and per journal once an
 *   operation failed every later one fails;
 * - non-retried: after an attempt answered with a non-retried status, no later
 *   attempt carries any of its operations;
 * - backoff: the delay between a failed attempt and the next one is backoff(attempt).
 */
import { backoff } from "../../../src/impl/gazette/client/backoff.ts";
import { APPEND_SERVICE_NON_RETRIED_STATUSES } from "../../../src/impl/gazette/client/append-service.ts";
import type { Status } from "../../../src/impl/gazette/protocol/status.ts";
import type { ModelStore } from "./model-store.ts";

export interface AppendOp {
  journal: string;
  size: number;
  /** Indices of earlier operations this one depends on. */
  dependsOn: number[];
  /** Indices of external operations this one depends on. */
  externalDeps: number[];
  /** Roll back with a failed require. */
  rollback: boolean;
  pauseMs: number;
}

export interface ExternalOp {
  resolveAtMs: number;
  fails: boolean;
}

/** What the client saw. */
export interface ClientRecord {
  /** Per operation: "rolled-back", or its AsyncAppend's outcome ("ok" / error text), or "pending". */
  outcomes: string[];
  /** Per external operation: true virtual time it resolved at. */
  externalResolvedAtMs: number[];
  /** Attempt events, with host-local monotonic time. */
  attempts: Array<{ journal: string; attempt: number; phase: string; atMs: number; status?: string }>;
}

export function tag(index: number, size: number): string {
  return `[${index}:${"x".repeat(size)}]`;
}

const decoder = new TextDecoder();

export function tagsOf(content: Uint8Array): number[] {
  return [...decoder.decode(content).matchAll(/\[(\d+):x*\]/g)].map((match) => Number(match[1]));
}

export type AppendCheck = "order" | "dependencies" | "failures" | "non-retried" | "backoff";
export const APPEND_CHECKS: readonly AppendCheck[] = ["order", "dependencies", "failures", "non-retried", "backoff"];

export function checkAppendRun(
  ops: readonly AppendOp[],
  externals: readonly ExternalOp[],
  store: ModelStore,
  record: ClientRecord,
  checks: readonly AppendCheck[] = APPEND_CHECKS,
): string[] {
  const run: Record<AppendCheck, () => string[]> = {
    order: () => checkOrder(ops, store, record),
    dependencies: () => checkDependencies(ops, externals, store, record),
    failures: () => checkFailures(ops, externals, record),
    "non-retried": () => checkNonRetried(store),
    backoff: () => checkBackoff(record),
  };
  return checks.flatMap((check) => run[check]());
}

function checkOrder(ops: readonly AppendOp[], store: ModelStore, record: ClientRecord): string[] {
  const problems: string[] = [];
  for (const journal of new Set(ops.map((op) => op.journal))) {
    const committed = store.commits
      .filter((commit) => commit.journal === journal)
      .flatMap((commit) => tagsOf(commit.content));
    const expected = ops.flatMap((op, index) =>
      op.journal === journal && record.outcomes[index] === "ok" ? [index] : [],
    );
    if (JSON.stringify(committed) !== JSON.stringify(expected))
      problems.push(`order: ${journal} committed ${JSON.stringify(committed)}, expected ${JSON.stringify(expected)}`);
  }
  ops.forEach((op, index) => {
    if (op.rollback && record.outcomes[index] !== "rolled-back")
      problems.push(`order: op ${index} was released although its require failed (${record.outcomes[index] ?? "?"})`);
  });
  return problems;
}

function checkDependencies(
  ops: readonly AppendOp[],
  externals: readonly ExternalOp[],
  store: ModelStore,
  record: ClientRecord,
): string[] {
  const problems: string[] = [];
  const commitAt = new Map<number, number>();
  for (const commit of store.commits) for (const index of tagsOf(commit.content)) commitAt.set(index, commit.atMs);
  for (const attempt of store.attempts) {
    for (const index of tagsOf(attempt.content)) {
      const op = ops[index];
      if (op === undefined) continue;
      for (const dependency of op.dependsOn) {
        const at = commitAt.get(dependency);
        if (record.outcomes[dependency] === "rolled-back") continue; // A rolled-back op's AsyncAppend is the batch it would have joined.
        if (at === undefined || at > attempt.atMs)
          problems.push(
            `dependencies: op ${index} attempted at ${attempt.atMs} before its dependency ${dependency} committed (${at ?? "never"})`,
          );
      }
      for (const external of op.externalDeps) {
        const at = record.externalResolvedAtMs[external];
        if (at === undefined || at > attempt.atMs || externals[external]?.fails === true)
          problems.push(`dependencies: op ${index} attempted at ${attempt.atMs} before external ${external} succeeded`);
      }
    }
  }
  return problems;
}

function checkFailures(ops: readonly AppendOp[], externals: readonly ExternalOp[], record: ClientRecord): string[] {
  const problems: string[] = [];
  const failed = (index: number) => record.outcomes[index] !== "ok" && record.outcomes[index] !== "rolled-back";
  ops.forEach((op, index) => {
    if (record.outcomes[index] === "rolled-back") return;
    const dependencyFailed =
      op.dependsOn.some((dependency) => failed(dependency)) ||
      op.externalDeps.some((external) => externals[external]?.fails === true);
    if (dependencyFailed && record.outcomes[index] === "ok")
      problems.push(`failures: op ${index} succeeded although a dependency failed`);
  });
  for (const journal of new Set(ops.map((op) => op.journal))) {
    let failedAt: number | undefined;
    ops.forEach((op, index) => {
      if (op.journal !== journal || record.outcomes[index] === "rolled-back") return;
      if (failedAt !== undefined && record.outcomes[index] === "ok")
        problems.push(`failures: op ${index} of ${journal} succeeded after op ${failedAt} failed`);
      if (failedAt === undefined && failed(index)) failedAt = index;
    });
  }
  return problems;
}

function checkNonRetried(store: ModelStore): string[] {
  const problems: string[] = [];
  store.attempts.forEach((attempt, at) => {
    if (!APPEND_SERVICE_NON_RETRIED_STATUSES.has(attempt.outcome as Status)) return;
    const tags = new Set(tagsOf(attempt.content));
    const again = store.attempts
      .slice(at + 1)
      .find((later) => later.journal === attempt.journal && tagsOf(later.content).some((index) => tags.has(index)));
    if (again !== undefined) problems.push(`non-retried: ${attempt.journal} retried after ${attempt.outcome}`);
  });
  return problems;
}

function checkBackoff(record: ClientRecord): string[] {
  const problems: string[] = [];
  const byJournal = new Map<string, ClientRecord["attempts"]>();
  for (const event of record.attempts) byJournal.set(event.journal, [...(byJournal.get(event.journal) ?? []), event]);
  for (const [journal, events] of byJournal) {
    for (let index = 1; index < events.length; index++) {
      const previous = events[index - 1]!;
      const event = events[index]!;
      if (previous.phase !== "failed" || event.phase !== "start" || event.attempt !== previous.attempt + 1) continue;
      const delayMs = event.atMs - previous.atMs;
      if (Math.abs(delayMs - backoff(previous.attempt)) > 1e-6)
        problems.push(
          `backoff: ${journal} waited ${delayMs} ms after attempt ${previous.attempt}, expected ${backoff(previous.attempt)}`,
        );
    }
  }
  return problems;
}
