/**
 * Invariant: `dst replay` tells its outcomes apart by exit code, so a script can trust
 * it: 0 a passing counterexample passes identically, 1 its violations reproduced
 * exactly, 3 it recorded violations and the run now passes, 4 the run diverged from
 * the recording (another fingerprint, or other violations); a replay that did not
 * reproduce says whether the code changed since the counterexample was written.
 * Runs: counter-quorum seed 3 with ack-before-fsync (fails), seed 1 (passes).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_REPLAY_DIVERGED, EXIT_REPLAY_NOW_PASSES, EXIT_VIOLATION } from "../../src/cli/main.ts";
import { dst } from "./_support/dst-in-process.ts";
import type { Counterexample } from "../../src/sim/counterexample.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-replay-outcomes-"));

/** Writes an edited copy of a counterexample; resolves with its path. */
function edited(name: string, counterexample: Counterexample, edit: (copy: Counterexample) => void): string {
  const copy = structuredClone(counterexample);
  edit(copy);
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify(copy));
  return path;
}

/** Another valid fingerprint: the last hex digit changed. */
function otherFingerprint(fingerprint: string): string {
  return `${fingerprint.slice(0, -1)}${fingerprint.endsWith("0") ? "1" : "0"}`;
}

describe("dst replay exit codes", () => {
  let failing: Counterexample;
  let passing: Counterexample;
  beforeAll(async () => {
    expect(
      (await dst("run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", scratch)).code,
    ).toBe(EXIT_VIOLATION);
    failing = JSON.parse(
      readFileSync(join(scratch, "counter-quorum-seed-3-ack-before-fsync.counterexample.json"), "utf8"),
    ) as Counterexample;
    // A passing run writes no counterexample: take the failing one's shape with the shipping code and its own result.
    const json = await dst("run", "counter-quorum", "--seed", "1", "--json");
    expect(json.code).toBe(EXIT_OK);
    const result = JSON.parse(json.out[0] as string) as {
      fingerprint: string;
      faultPlan: Counterexample["faultPlan"];
      wireMode: Counterexample["wireMode"];
    };
    passing = {
      ...failing,
      seed: 1,
      faultPlan: result.faultPlan,
      wireMode: result.wireMode,
      expected: { fingerprint: result.fingerprint, violations: [] },
    };
    delete passing.variant;
  });

  it("0: a passing counterexample passes identically", async () => {
    const replay = await dst(
      "replay",
      edited("passing.json", passing, () => undefined),
    );
    expect(replay.code).toBe(EXIT_OK);
    expect(replay.out.join("\n")).toMatch(/reproduced exactly/);
  });

  it("1: a failing counterexample reproduces its violations exactly", async () => {
    const replay = await dst(
      "replay",
      edited("failing.json", failing, () => undefined),
    );
    expect(replay.code).toBe(EXIT_VIOLATION);
    expect(replay.out.join("\n")).toMatch(/reproduced exactly/);
    expect(replay.out.join("\n")).not.toMatch(/^code:/m);
  });

  it("3: a failing counterexample whose run now passes (here: without its broken variant), and the code is unchanged", async () => {
    const replay = await dst(
      "replay",
      edited("fixed.json", failing, (copy) => delete copy.variant),
    );
    expect(replay.code).toBe(EXIT_REPLAY_NOW_PASSES);
    const text = replay.out.join("\n");
    expect(text).toMatch(/the run now passes/);
    expect(text).toMatch(/^code: unchanged since the counterexample was written/m);
  });

  it("4: another fingerprint than recorded, and the code changed", async () => {
    const path = edited("diverged.json", failing, (copy) => {
      copy.expected.fingerprint = otherFingerprint(copy.expected.fingerprint);
      copy.codeVersion = { ...copy.codeVersion, sourcesSha256: "0".repeat(64) };
    });
    const replay = await dst("replay", path);
    expect(replay.code).toBe(EXIT_REPLAY_DIVERGED);
    const text = replay.out.join("\n");
    expect(text).toMatch(/differs from the recorded .*diverged from the recording/);
    expect(text).toMatch(/^code: changed since the counterexample was written \(sources differ/m);
  });

  it("4: the same fingerprint with other violations (an edited file), and no recorded code version", async () => {
    const path = edited("other-violations.json", failing, (copy) => {
      (copy.expected.violations[0] as Counterexample["expected"]["violations"][number]).details = "something else";
      delete copy.codeVersion;
    });
    const replay = await dst("replay", path);
    expect(replay.code).toBe(EXIT_REPLAY_DIVERGED);
    const text = replay.out.join("\n");
    expect(text).toMatch(/other violations than the 1 recorded/);
    expect(text).toMatch(/^code: the counterexample does not record the code that made it/m);
  });

  it("4: a passing counterexample whose run passes with another fingerprint", async () => {
    const replay = await dst(
      "replay",
      edited(
        "passing-diverged.json",
        passing,
        (copy) => (copy.expected.fingerprint = otherFingerprint(copy.expected.fingerprint)),
      ),
    );
    expect(replay.code).toBe(EXIT_REPLAY_DIVERGED);
  });

  it("--json names the outcome and whether the code changed", async () => {
    const replay = await dst(
      "replay",
      "--json",
      edited("json.json", failing, (copy) => delete copy.variant),
    );
    expect(replay.code).toBe(EXIT_REPLAY_NOW_PASSES);
    expect(JSON.parse(replay.out[0] as string)).toMatchObject({
      outcome: "now-passes",
      reproduced: false,
      code: { changed: false },
    });
  });
});
