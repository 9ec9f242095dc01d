/**
 * Invariants of sweeps: results are one valid JSON line per run in seed order; the
 * shards of a range merge into exactly the unsharded sweep; worker threads give the
 * same records as one thread; a rerun that differs is reported with the first
 * differing trace record; every probe hit at run time is in the static registry;
 * --buggify is recorded per run and kept in replay commands and merges.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseShard, summarizeSweep } from "../../src/cli/commands/sweep.ts";
import { findBuiltPointNames, scanPoints } from "../../src/cli/coverage/points.ts";
import { UsageError } from "../../src/cli/input.ts";
import { main } from "../../src/cli/main.ts";
import { executeTask } from "../../src/cli/sweep/execute.ts";
import { mergeRecords, readSweepRecords } from "../../src/cli/sweep/records-file.ts";
import type { Scenario } from "../../src/sim/runner.ts";
import type { SweepRecord } from "../../src/cli/sweep/sweep-record.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-sweep-"));
const quiet = { out: () => undefined, err: () => undefined };
const fingerprints = (path: string) => readSweepRecords(path).map((record) => `${record.seed}:${record.fingerprint}`);

describe("dst sweep", () => {
  it("shards 1/2 and 2/2 merge into the unsharded sweep, and 2 workers equal 1", async () => {
    const whole = join(scratch, "whole.jsonl");
    const first = join(scratch, "shard-1.jsonl");
    const second = join(scratch, "shard-2.jsonl");
    expect(
      await main(
        ["sweep", "counter-quorum", "--seeds", "1..4", "--workers", "2", "--no-progress", "--out", whole],
        quiet,
      ),
    ).toBe(0);
    expect(
      await main(
        [
          "sweep",
          "counter-quorum",
          "--seeds",
          "1..4",
          "--workers",
          "1",
          "--shard",
          "1/2",
          "--no-progress",
          "--out",
          first,
        ],
        quiet,
      ),
    ).toBe(0);
    expect(
      await main(
        [
          "sweep",
          "counter-quorum",
          "--seeds",
          "1..4",
          "--workers",
          "1",
          "--shard",
          "2/2",
          "--no-progress",
          "--out",
          second,
        ],
        quiet,
      ),
    ).toBe(0);
    expect(fingerprints(whole).map((entry) => entry.split(":")[0])).toEqual(["1", "2", "3", "4"]);
    const merged = mergeRecords([first, second].map((path) => ({ path, records: readSweepRecords(path) })));
    expect(merged.map((record) => `${record.seed}:${record.fingerprint}`)).toEqual(fingerprints(whole));
  });

  it("a broken variant's failures are grouped with their smallest seed and replay command", async () => {
    const out: string[] = [];
    const code = await main(
      [
        "sweep",
        "counter-quorum",
        "--seeds",
        "1..3",
        "--workers",
        "1",
        "--variant",
        "ack-before-fsync",
        "--no-progress",
      ],
      { out: (text) => out.push(text), err: () => undefined },
    );
    expect(code).toBe(1);
    expect(out.join("\n")).toMatch(
      /\| \d+ \| counter-quorum: safety counter\.[a-z-]+.* \| 3 \| npx dst run counter-quorum --seed 3 --variant ack-before-fsync \|/,
    );
  });

  it("merge refuses the same seed with two fingerprints", () => {
    const path = join(scratch, "whole.jsonl");
    const [record] = readSweepRecords(path);
    const forged = join(scratch, "forged.jsonl");
    writeFileSync(forged, `${JSON.stringify({ ...record, fingerprint: "0000000000000000" })}\n`);
    expect(() => mergeRecords([path, forged].map((file) => ({ path: file, records: readSweepRecords(file) })))).toThrow(
      /different fingerprints/,
    );
  });

  it("malformed shards and result lines are usage errors", () => {
    for (const shard of ["0/2", "3/2", "1/0", "a/b", "1"]) expect(() => parseShard(shard)).toThrow(UsageError);
    const bad = join(scratch, "bad.jsonl");
    writeFileSync(bad, '{"scenario":"x","seed":1,"outcome":"weird","violations":[],"probes":{},"fingerprint":"a"}\n');
    expect(() => readSweepRecords(bad)).toThrow(/bad\.jsonl:1: not a sweep record/);
  });

  it("--check-determinism names the first differing trace record of a nondeterministic scenario", async () => {
    let calls = 0;
    const leaky: Scenario = {
      name: "leaky-global",
      description: "reads process-wide state: deliberately nondeterministic",
      safetyMs: 10,
      livenessMs: 10,
      setup: ({ world }) => {
        calls++;
        world.addHost("a", async (env) => env.trace("leak", { calls })).start();
        return { progress: () => true };
      },
    };
    const answer = await executeTask({ id: 0, scenario: "leaky-global", seed: 1, checkDeterminism: true }, () => leaky);
    expect(answer.ok && answer.nondeterminism?.first).toMatch(/"kind":"app.leak".*"calls":1/);
    expect(answer.ok && answer.nondeterminism?.second).toMatch(/"calls":2/);
    const steady = await executeTask({ id: 0, scenario: "counter-quorum", seed: 3, checkDeterminism: true });
    expect(steady.ok && steady.nondeterminism).toBeUndefined();
  });

  it("--buggify runs every seed with buggify points (recorded; the replay command and the merge keep it apart)", async () => {
    const path = join(scratch, "buggify.jsonl");
    const out: string[] = [];
    expect(
      await main(
        [
          "sweep",
          "raft-kv-linearizable",
          "--seeds",
          "3..4",
          "--workers",
          "1",
          "--buggify",
          "--no-progress",
          "--out",
          path,
        ],
        { out: (text) => out.push(text), err: () => undefined },
      ),
    ).toBe(0);
    const records = readSweepRecords(path);
    expect(records.map((record) => record.buggify)).toEqual([true, true]);
    expect(records.some((record) => Object.keys(record.probes).some((name) => name.startsWith("buggify:raft.")))).toBe(
      true,
    );
    expect(out.join("\n")).toMatch(/\| buggify raft\.(delay-fsync|drop-outbound-message) \| [12] \|/);
    const plain = join(scratch, "plain.jsonl");
    expect(
      await main(
        ["sweep", "raft-kv-linearizable", "--seeds", "3..4", "--workers", "1", "--no-progress", "--out", plain],
        quiet,
      ),
    ).toBe(0);
    expect(readSweepRecords(plain).map((record) => record.buggify)).toEqual([undefined, undefined]);
    // The same seeds with and without buggify are different runs, not a conflict.
    expect(mergeRecords([path, plain].map((file) => ({ path: file, records: readSweepRecords(file) })))).toHaveLength(
      4,
    );
    const failing = {
      ...(records[0] as SweepRecord),
      outcome: "safety" as const,
      violations: [{ kind: "safety" as const, invariant: "raft.example", time: 1, details: "example" }],
    };
    expect(summarizeSweep([failing])).toContain(`npx dst run raft-kv-linearizable --seed 3 --buggify |`);
  });

  it("every point's name is a literal, so the registry is complete (a built name is found)", () => {
    expect(findBuiltPointNames()).toEqual([]);
    const fixture = join(scratch, "built-names");
    mkdirSync(fixture, { recursive: true });
    writeFileSync(
      join(fixture, "built.ts"),
      [
        "env.probe(`pipe.surfaced.${code}`);",
        'probe(state, "raft." + name);',
        'env.probe("pipe.literal");',
        'env.probe(first ? "gazette.a" : "gazette.b");',
        "env.probe(",
        '  "pipe.spread-over-lines",',
        ");",
      ].join("\n"),
    );
    expect(findBuiltPointNames([fixture]).map((location) => location.replace(/^.*built\.ts/, "built.ts"))).toEqual([
      "built.ts:1",
      "built.ts:2",
      "built.ts:4",
    ]);
    // A call Prettier spread over several lines is still found, at the line of its name's call.
    expect(
      scanPoints([fixture]).map(
        (point) => `${point.name} ${point.locations.join(",").replace(/^.*built\.ts/, "built.ts")}`,
      ),
    ).toEqual(["pipe.literal built.ts:3", "pipe.spread-over-lines built.ts:5"]);
  });

  it("every probe hit in a sweep is in the static registry", () => {
    const known = new Set(scanPoints().map((point) => point.name));
    const records = readSweepRecords(join(scratch, "whole.jsonl"));
    for (const record of records)
      for (const name of Object.keys(record.probes))
        expect(known, `${name} missing from the registry`).toContain(name.replace(/^buggify:/, ""));
    expect(readFileSync(join(scratch, "whole.jsonl"), "utf8").trim().split("\n")).toHaveLength(4);
  });
});
