/**
 * Invariant: every dqlite replica that applied the whole committed log holds, in each
 * database, exactly what the log's committed transactions wrote (no frame of an
 * undone or unfinished transaction, every frame of a committed one), read back from
 * its files (scenarios/dqlite/committed-log.ts, checked by checkReplicas).
 *
 * Method: the log model on hand-made logs (commit, undo, abandoned transaction,
 * truncation, entries applied out of order); dqlite-snapshot-catch-up on a fixed seed
 * (a replica restored from a snapshot and restarted from snapshot + log) with every
 * replica checked; and the FSM variant resurrect-without-frames in its leadership-loss
 * cell (seed 13, the cell that catches it in leadership-loss.test.ts), where the
 * zombie's node (the deposed leader) is the one named.
 */
import { describe, expect, it } from "vitest";
import { leadershipLossScenario } from "../../../scenarios/dqlite/leadership-loss.ts";
import { dqliteSnapshotCatchUp } from "../../../scenarios/dqlite/snapshot-catch-up.ts";
import { CommittedDatabases } from "../../../scenarios/dqlite/committed-log.ts";
import { encodeCommand } from "../../../src/impl/dqlite/fsm/commands.ts";
import { PAGE_SIZE, type Command } from "../../../src/impl/dqlite/types.ts";
import type { LogEntry } from "../../../src/impl/raft/core/types.ts";
import { runScenario } from "../../../src/sim/runner.ts";
import { describeRun } from "./_support/runs.ts";

const TEMPLATE = new Uint8Array(PAGE_SIZE).fill(7);

function page(fill: number): Uint8Array {
  return new Uint8Array(PAGE_SIZE).fill(fill);
}

function frames(txid: number, pages: ReadonlyArray<readonly [number, number]>, truncate = 0): Command {
  const pageData = new Uint8Array(pages.length * PAGE_SIZE);
  pages.forEach(([, fill], position) => pageData.set(page(fill), position * PAGE_SIZE));
  return {
    kind: "frames",
    txid,
    filename: "db",
    pageSize: PAGE_SIZE,
    pageNumbers: pages.map(([number]) => number),
    pageData,
    truncate,
    isCommit: truncate > 0,
  };
}

function entries(commands: readonly Command[]): LogEntry[] {
  return commands.map((command, position) => ({
    index: position + 1,
    term: 1,
    kind: "command",
    data: encodeCommand(command),
  }));
}

function imageOf(model: CommittedDatabases): number[] {
  const image = model.image("db", TEMPLATE) ?? new Uint8Array();
  return Array.from({ length: image.length / PAGE_SIZE }, (_, position) => image[position * PAGE_SIZE] as number);
}

describe("the committed log's databases", () => {
  it("show a transaction's frames only with its commit, drop undone and abandoned ones, and size to the commit", () => {
    const model = new CommittedDatabases();
    const log = entries([
      { kind: "open", name: "db" },
      frames(1, [[2, 20]]),
      frames(
        1,
        [
          [1, 11],
          [3, 30],
        ],
        3,
      ),
      frames(2, [[2, 21]]),
      { kind: "undo", txid: 2 },
      frames(3, [[3, 31]]),
      frames(4, [[1, 12]], 2),
      { kind: "checkpoint", name: "db" },
    ]);
    const shown: number[][] = [];
    for (const entry of log) {
      model.applied(entry);
      shown.push(imageOf(model));
    }
    expect(shown[0]).toEqual([7]);
    expect(shown[1]).toEqual([7]);
    expect(shown[2]).toEqual([11, 20, 30]);
    expect(shown[4]).toEqual([11, 20, 30]);
    // Transaction 3 was abandoned (4's frames came next on the database); 4 shrinks the database to 2 pages.
    expect(shown[6]).toEqual([12, 20]);
    expect(shown[7]).toEqual([12, 20]);
    expect(model.index).toBe(log.length);
  });

  it("folds entries in index order whatever order they were applied in, and once", () => {
    const log = entries([{ kind: "open", name: "db" }, frames(1, [[1, 9]], 1), frames(2, [[1, 10]], 1)]);
    const model = new CommittedDatabases();
    for (const entry of [log[2], log[1], log[0], log[1]] as LogEntry[]) model.applied(entry);
    expect(model.index).toBe(3);
    expect(imageOf(model)).toEqual([10]);
    expect(model.problem).toBeUndefined();
  });

  it("checks every replica of dqlite-snapshot-catch-up, restored from a snapshot and restarted, against the log (seed 1)", async () => {
    const lines: string[] = [];
    const result = await runScenario(dqliteSnapshotCatchUp, {
      seed: 1,
      trace: { sink: (line) => void (line.includes("dqlite.checked-against-log") && lines.push(line)) },
    });
    expect(result.violations, describeRun(dqliteSnapshotCatchUp.name, 1, undefined, result, 400)).toEqual([]);
    const records = lines.map(
      (line) => JSON.parse(line) as { host?: string; kind: string; fields?: { checked?: boolean } },
    );
    const checked = new Set(
      records
        .filter((record) => record.kind === "dqlite.checked-against-log" && record.fields?.checked === true)
        .map((record) => record.host),
    );
    expect([...checked].sort()).toEqual(["n1", "n2", "n3"]);
  }, 120_000);

  it("names the node whose resurrected zombie lacks its frames (resurrect-without-frames, leadership-loss seed 13)", async () => {
    const result = await runScenario(leadershipLossScenario(), { seed: 13, variant: "resurrect-without-frames" });
    const mismatches = result.violations.filter(
      (violation) => violation.invariant === "dqlite-leadership-loss.matches-committed-log",
    );
    const deposed = result.stats.workload.deposed;
    expect(typeof deposed).toBe("string");
    expect(
      mismatches.map((violation) => violation.host),
      describeRun("dqlite-leadership-loss", 13, "resurrect-without-frames", result, 400),
    ).toEqual([deposed]);
  }, 120_000);
});
