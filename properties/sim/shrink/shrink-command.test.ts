/**
 * Invariants of `dst shrink` (src/cli/commands/shrink.ts), one sentence each:
 * - It writes the minimal counterexample next to its input (or to --out), prints the
 *   sizes before and after and the replay command, and `dst replay` of that file
 *   reproduces it exactly.
 * - Bad input (malformed --max-runs, a counterexample that does not fail) throws a
 *   UsageError or CounterexampleError, which the CLI turns into exit code 2.
 * Seed: counter-quorum seed 3, variant ack-before-fsync.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { counterQuorum } from "../../../scenarios/counter/quorum.ts";
import { replayCommand } from "../../../src/cli/commands/replay.ts";
import { minimalPath, shrinkCommand } from "../../../src/cli/commands/shrink.ts";
import { UsageError } from "../../../src/cli/input.ts";
import { counterexampleOf, CounterexampleError } from "../../../src/sim/counterexample.ts";
import { runScenario, type RunOptions } from "../../../src/sim/runner.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-shrink-"));

function collector(): { out: string[]; err: string[]; output: { out(text: string): void; err(text: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (text) => out.push(text), err: (text) => err.push(text) } };
}

async function writeCounterexample(name: string, options: RunOptions): Promise<string> {
  const result = await runScenario(counterQuorum, options);
  const path = join(scratch, name);
  writeFileSync(path, `${JSON.stringify(counterexampleOf(result, options), null, 2)}\n`);
  return path;
}

describe("dst shrink", () => {
  it("writes <input>.min.json, prints before/after and the replay command; the file replays exactly", async () => {
    const input = await writeCounterexample("counter-quorum-seed-3-ack-before-fsync.counterexample.json", {
      seed: 3,
      variant: "ack-before-fsync",
    });
    const { out, output } = collector();
    const code = await shrinkCommand(input, { maxRuns: "50" }, output);
    const minimal = minimalPath(input);
    expect(code).toBe(0);
    expect(minimal).toBe(join(scratch, "counter-quorum-seed-3-ack-before-fsync.counterexample.min.json"));
    expect(existsSync(minimal)).toBe(true);
    const text = out.join("\n");
    expect(text).toMatch(/^before: faults \d+, operations \d+, first violation at [\d.]+ ms, safety phase \d+ ms$/m);
    expect(text).toMatch(/^after: +faults [0-2], /m);
    expect(text).toContain(`npx dst replay ${minimal}`);
    const replay = collector();
    await replayCommand(minimal, { json: false }, replay.output);
    expect(replay.out.join("\n")).toMatch(/reproduced exactly/);
  });

  it("writes to --out when given", async () => {
    const input = await writeCounterexample("crash.json", {
      seed: 1,
      variant: "ack-before-fsync",
      safetyMs: 500,
      faults: {
        version: 1,
        faults: [
          { atMs: 100, kind: "crash", host: "n1" },
          { atMs: 200, kind: "restart", host: "n1" },
        ],
      },
    });
    const out = join(scratch, "chosen.json");
    const code = await shrinkCommand(input, { out, maxRuns: "20" }, collector().output);
    expect(code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(scratch, "crash.min.json"))).toBe(false);
  });

  it("rejects a malformed --max-runs with a UsageError", async () => {
    for (const maxRuns of ["0", "12x", "-3", "99999999999"]) {
      await expect(shrinkCommand(join(scratch, "absent.json"), { maxRuns }, collector().output)).rejects.toThrow(
        UsageError,
      );
    }
  });

  it("rejects a counterexample that does not fail with a CounterexampleError", async () => {
    const input = await writeCounterexample("passing.json", {
      seed: 1,
      safetyMs: 200,
      livenessMs: 2_000,
      faults: { version: 1, faults: [] },
    });
    const attempt = shrinkCommand(input, { maxRuns: "5" }, collector().output);
    await expect(attempt).rejects.toThrow(CounterexampleError);
    await expect(attempt).rejects.toThrow(/counterexample does not fail/);
  });
});
