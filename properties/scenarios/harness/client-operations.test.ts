/**
 * Every scenario's client operations are in its trace, as `dst view` reads them
 * (scenarios/harness/client-operations.ts, src/cli/view/operation-building.ts).
 *
 * Invariants, one sentence each:
 * - Each scenario's view holds, per operation, as many completed operations of each outcome as its workload summary
 *   counts (a Gazette run shows every acknowledged append, not one operation).
 * - Operations of a checked history carry the history's ids (numbers), all other operations string ids, so that a
 *   linearizability violation's ids name operations of the view.
 * The backedpipe scenarios are left out: their clients stream bytes, they invoke no operations.
 */
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../../scenarios/index.ts";
import { buildDiagramModel } from "../../../src/cli/view/diagram-model.ts";
import type { DiagramModel } from "../../../src/cli/view/diagram-types.ts";
import { runScenario } from "../../../src/sim/runner.ts";
import type { TraceRecord } from "../../../src/sim/trace.ts";

const SEED = 1;
/** A short safety phase keeps the test quick; the liveness phase still runs until progress. */
const SAFETY_MS = 1_000;

type Summary = Readonly<Record<string, number | string>>;
/** An exact count, or a least one (where the summary counts something else). */
type Count = number | { readonly atLeast: number };
/** Expected counts of completed operations, as "op:outcome" → count, from a run's workload summary. */
type Expectation = (summary: Summary) => Record<string, Count>;

const count = (summary: Summary, name: string): number => Number(summary[name] ?? 0);
const histories: Expectation = (summary) => ({
  "*:ok": count(summary, "ok"),
  "*:fail": count(summary, "fail"),
  "*:info": count(summary, "info"),
});
const gazette: Expectation = (summary) => ({ "append:ok": count(summary, "acknowledged") });
const batches: Expectation = (summary) => ({
  "insert-batch:ok": count(summary, "batch:ok"),
  "insert-batch:info": count(summary, "batch:unknown"),
});

const EXPECTATIONS: Readonly<Record<string, Expectation>> = {
  "counter-quorum": (summary) => ({
    "increment:ok": count(summary, "acknowledged"),
    "increment:info": count(summary, "unknown"),
  }),
  "raft-kv-linearizable": histories,
  "raft-leadership-loss": histories,
  "raft-snapshot-catch-up": histories,
  "raft-kv-wipe-rejoin": histories,
  "dqlite-bank": (summary) => ({
    "transfer:ok": count(summary, "transfer:ok"),
    "read-total:ok": count(summary, "read:ok"),
    "transfer:info": count(summary, "transfer:unknown"),
  }),
  "dqlite-register": (summary) => ({
    "read:ok": count(summary, "read:ok"),
    "write:ok": count(summary, "write:ok"),
    "cas:ok": count(summary, "cas:ok"),
    "write:info": count(summary, "write:unknown"),
  }),
  "dqlite-leadership-loss": batches,
  "dqlite-zombies": batches,
  "dqlite-snapshot-catch-up": (summary) => ({
    "insert:ok": count(summary, "insert:ok"),
    "insert:info": count(summary, "insert:unknown"),
  }),
  "dqlite-multi-database": (summary) => ({
    "insert:ok": count(summary, "insert:ok"),
    "insert:info": count(summary, "insert:unknown"),
  }),
  "bmdb-provisioning": (summary) => ({
    "start-session:ok": count(summary, "session:started"),
    "finish-work:ok": count(summary, "work:finished"),
    "fail-work:ok": count(summary, "work:failed"),
  }),
  "bmdb-sessions": () => ({
    "start-session:ok": { atLeast: 3 },
    "add-machine:ok": { atLeast: 3 },
    "take-work:ok": { atLeast: 3 },
    "finish-work:ok": { atLeast: 1 },
  }),
  "etcd-kv": histories,
  "etcd-leases": (summary) => ({
    "grant:ok": 3,
    "put:ok": 7,
    "keep-alive:open": summary.keepAlive === "running" ? 1 : 0,
  }),
  "gazette-journals": gazette,
  "gazette-retention": gazette,
  "gazette-churn": gazette,
  "gazette-outages": gazette,
};

/** Completed operations by "op:outcome", with "*:outcome" for the operations of a checked history (numeric ids). */
function tally(model: DiagramModel): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const operation of model.operations) {
    add(`${operation.op}:${operation.outcome}`);
    if (typeof model.events[operation.invoke]?.fields?.id === "number") add(`*:${operation.outcome}`);
  }
  return counts;
}

describe(`client operations in the view (seed ${SEED})`, () => {
  for (const scenario of SCENARIOS) {
    if (scenario.name.startsWith("pipe-")) continue;
    it(
      scenario.name,
      async () => {
        const expectation = EXPECTATIONS[scenario.name];
        expect(expectation, `no expectation for ${scenario.name}: add one above`).toBeDefined();
        const records: TraceRecord[] = [];
        const result = await runScenario(scenario, {
          seed: SEED,
          safetyMs: SAFETY_MS,
          trace: { sink: (line) => records.push(JSON.parse(line) as TraceRecord) },
        });
        const counts = tally(buildDiagramModel(records, scenario.name));
        const replay = `npx dst run ${scenario.name} --seed ${SEED} --trace run.jsonl && npx dst view run.jsonl -o run.html`;
        for (const [key, expected] of Object.entries((expectation as Expectation)(result.stats.workload))) {
          if (typeof expected === "number") expect(counts.get(key) ?? 0, `${key}\n${replay}`).toBe(expected);
          else expect(counts.get(key) ?? 0, `${key}\n${replay}`).toBeGreaterThanOrEqual(expected.atLeast);
        }
        expect(Math.max(0, ...counts.values()), `${scenario.name} shows no operation\n${replay}`).toBeGreaterThan(0);
      },
      60_000,
    );
  }
});
