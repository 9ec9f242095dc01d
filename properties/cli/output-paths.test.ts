/**
 * Invariant: an output path a command cannot write (a directory, a path in a missing
 * directory, a file where a directory is needed) ends the command with one `dst:` line
 * and exit code 2, never a stack trace and exit 1 (which reads as "violations"), and
 * it is found before the run, sweep or shrink starts.
 * Scenario: counter-quorum, seed 1 (passes) and seed 3 with ack-before-fsync (fails).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dst } from "./_support/dst-in-process.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-output-paths-"));
const directory = join(scratch, "a-directory");
mkdirSync(directory);
const missing = join(scratch, "missing", "file.json");
const regularFile = join(scratch, "a-file");
writeFileSync(regularFile, "");
/** Where `dst run --out scratch` writes the failing run's counterexample. */
const failingCounterexample = join(scratch, "counter-quorum-seed-3-ack-before-fsync.counterexample.json");

function expectRefused(result: { code: number; err: string[] }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.err).toHaveLength(1);
  expect(result.err[0]).toMatch(/^dst: cannot (write|create)/);
  expect(result.err[0]).toMatch(message);
}

describe("dst: output paths it cannot write are one line and exit 2", () => {
  it("run --trace to a directory, through the real command (no stack trace)", () => {
    const child = spawnSync(
      process.execPath,
      [resolve("bin/dst.mjs"), "run", "counter-quorum", "--seed", "1", "--trace", directory],
      { encoding: "utf8" },
    );
    expect(child.status).toBe(2);
    expect(child.stderr.trimEnd().split("\n")).toEqual([`dst: cannot write trace ${directory}: it is a directory`]);
    expect(child.stdout).toBe(""); // refused before the run
  });

  it("sweep --out in a missing directory, through the real command", () => {
    const child = spawnSync(
      process.execPath,
      [resolve("bin/dst.mjs"), "sweep", "counter-quorum", "--seeds", "1..1", "--no-progress", "--out", missing],
      { encoding: "utf8" },
    );
    expect(child.status).toBe(2);
    expect(child.stderr.trimEnd().split("\n")).toEqual([
      `dst: cannot write sweep results ${missing}: directory ${join(scratch, "missing")} does not exist`,
    ]);
  });

  it("run --trace in a missing directory", async () => {
    expectRefused(await dst("run", "counter-quorum", "--seed", "1", "--trace", missing), /does not exist/);
  });

  it("sweep --out to a directory", async () => {
    expectRefused(
      await dst("sweep", "counter-quorum", "--seeds", "1..1", "--no-progress", "--out", directory),
      /it is a directory/,
    );
  });

  it("sweep --counterexamples where a file is", async () => {
    expectRefused(
      await dst("sweep", "counter-quorum", "--seeds", "1..1", "--no-progress", "--counterexamples", regularFile),
      /counterexamples/,
    );
  });

  it("a failing run whose --out is a file, or missing, is refused before it runs", async () => {
    for (const out of [regularFile, join(scratch, "missing")]) {
      const result = await dst("run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", out);
      expectRefused(result, /cannot write counterexamples to/);
      expect(result.out).toEqual([]);
    }
  });

  it("shrink --out in a missing directory is refused before shrinking", async () => {
    const run = await dst("run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", scratch);
    expect(run.code).toBe(1);
    const result = await dst("shrink", failingCounterexample, "--out", missing, "--max-runs", "3");
    expectRefused(result, /minimal counterexample .*does not exist/);
    expect(result.out).toEqual([]);
  });

  it("merge --out to a directory", async () => {
    const results = join(scratch, "results.jsonl");
    expect((await dst("sweep", "counter-quorum", "--seeds", "1..1", "--no-progress", "--out", results)).code).toBe(0);
    expectRefused(await dst("merge", results, "--out", directory), /it is a directory/);
  });

  // Root writes anywhere but where the kernel itself refuses: as root, sysfs plays the read-only directory.
  it("a run whose --out directory is read-only (EACCES), and a shrink whose output cannot be written", async () => {
    const asRoot = process.getuid?.() === 0;
    const readOnly = asRoot ? "/sys" : join(scratch, "read-only");
    const input = join(scratch, "input.counterexample.json");
    expect(
      (await dst("run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", scratch)).code,
    ).toBe(1);
    copyFileSync(failingCounterexample, input);
    if (!asRoot) {
      mkdirSync(readOnly);
      chmodSync(readOnly, 0o500);
    }
    try {
      expectRefused(
        await dst("run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", readOnly),
        /EACCES/,
      );
      expectRefused(
        await dst("shrink", input, "--max-runs", "3", "--out", join(readOnly, "input.counterexample.min.json")),
        /input\.counterexample\.min\.json: EACCES/,
      );
    } finally {
      if (!asRoot) chmodSync(readOnly, 0o700);
    }
  });
});
