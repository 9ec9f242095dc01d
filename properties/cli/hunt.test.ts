/**
 * Invariants of hunting: `dst hunt` stops at the first failing seed (every finished
 * run before it passed, none after it is recorded), writes a counterexample that
 * `dst replay` reproduces and prints the seed and replay command (exit 1); with no
 * failure it ends when the budget is spent (exit 0), having started one run per
 * worker at once and none after the budget; bad input exits 2; `dst run`
 * without --seed draws a seed, prints it, and that seed replays exactly. No test
 * asserts how many runs fit in a budget: that is the machine's speed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../scenarios/index.ts";
import { huntCommand, type HuntDraws } from "../../src/cli/commands/hunt.ts";
import { parseDuration, UsageError } from "../../src/cli/input.ts";
import { main } from "../../src/cli/main.ts";
import type { SweepRecord } from "../../src/cli/sweep/sweep-record.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-hunt-"));

async function dst(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join("\n"), err };
}

const recordsOf = (path: string): SweepRecord[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as SweepRecord);

/** Draws seeds from a fixed list (cycling) and scenario indices from another: a hunt that replays. */
function fixedDraws(
  seeds: readonly number[],
  scenarioIndices: readonly number[] = [0],
): HuntDraws & { drawnScenarios: number[] } {
  let seed = 0;
  let scenario = 0;
  const drawnScenarios: number[] = [];
  return {
    drawnScenarios,
    seed: () => seeds[seed++ % seeds.length] as number,
    scenarioIndex: () => {
      const index = scenarioIndices[scenario++ % scenarioIndices.length] as number;
      drawnScenarios.push(index);
      return index;
    },
  };
}

describe("dst hunt", () => {
  it("stops at the first failing seed: seeds 1, 2, 3, ... of ack-before-fsync stop at 3, the smallest failing seed a sweep finds", async () => {
    const directory = mkdtempSync(join(scratch, "first-"));
    const out: string[] = [];
    const options = {
      time: "10m",
      workers: "1",
      variant: "ack-before-fsync",
      out: join(directory, "runs.jsonl"),
      counterexamples: directory,
      progress: false,
    };
    const code = await huntCommand(
      SCENARIOS.find((scenario) => scenario.name === "counter-quorum")!,
      options,
      { out: (text) => out.push(text), err: () => undefined },
      fixedDraws([1, 2, 3, 4, 5, 6]),
    );
    expect(code).toBe(1);
    expect(out.join("\n")).toMatch(
      /^FAILURE after 3 runs \(.*\): counter-quorum seed 3 \(variant ack-before-fsync\)$/m,
    );
    expect(recordsOf(join(directory, "runs.jsonl")).map((record) => `${record.seed}:${record.outcome}`)).toEqual([
      "1:ok",
      "2:ok",
      "3:safety",
    ]);
    expect(out.join("\n")).toContain("npx dst run counter-quorum --seed 3 --variant ack-before-fsync");
    expect(existsSync(join(directory, "counter-quorum-seed-3-ack-before-fsync.counterexample.json"))).toBe(true);
  });

  it("on fresh random seeds it stops at the first failure, prints the seed, and the counterexample replays exactly", async () => {
    const directory = mkdtempSync(join(scratch, "fresh-"));
    const results = join(directory, "runs.jsonl");
    const hunt = await dst(
      "hunt",
      "counter-quorum",
      "--variant",
      "ack-before-fsync",
      "--time",
      "10m",
      "--workers",
      "2",
      "--no-progress",
      "--out",
      results,
      "--counterexamples",
      directory,
    );
    expect(hunt.code).toBe(1);
    const [, runs, seed] =
      /^FAILURE after (\d+) runs? \(.*\): counter-quorum seed (\d+) \(variant ack-before-fsync\)$/m.exec(hunt.out) ??
      [];
    expect(seed, hunt.out).toBeDefined();
    // Every finished run is recorded; the failing one is the last: the hunt stopped there.
    const records = recordsOf(results);
    expect(records).toHaveLength(Number(runs));
    expect(records.slice(0, -1).every((record) => record.outcome === "ok")).toBe(true);
    expect(records.at(-1)).toMatchObject({ seed: Number(seed), variant: "ack-before-fsync" });
    expect(records.at(-1)?.outcome).not.toBe("ok");
    const written = readdirSync(directory).filter((name) => name.endsWith(".counterexample.json"));
    expect(written).toEqual([`counter-quorum-seed-${seed}-ack-before-fsync.counterexample.json`]);
    expect(hunt.out).toContain(`npx dst replay ${join(directory, written[0] as string)}`);
    const replay = await dst("replay", join(directory, written[0] as string));
    expect(replay.out).toMatch(/reproduced exactly/);
    expect(replay.code).toBe(1);
  });

  it("with no failure it ends when the budget is spent: exit 0, every finished run recorded, no counterexample", async () => {
    const directory = mkdtempSync(join(scratch, "budget-"));
    const out: string[] = [];
    const options = {
      time: "3s",
      workers: "1",
      out: join(directory, "runs.jsonl"),
      counterexamples: directory,
      progress: false,
    };
    // Seeds 1..4 of counter-quorum pass (properties/cli/sweep.test.ts): the hunt cannot stop early.
    const code = await huntCommand(
      SCENARIOS.find((scenario) => scenario.name === "counter-quorum")!,
      options,
      { out: (text) => out.push(text), err: () => undefined },
      fixedDraws([1, 2, 3, 4]),
    );
    expect(code).toBe(0);
    const [, runs] = /^no failure in (\d+) runs?: the budget of 3s is spent/m.exec(out.join("\n")) ?? [];
    expect(runs, out.join("\n")).toBeDefined();
    const records = recordsOf(join(directory, "runs.jsonl"));
    expect(records).toHaveLength(Number(runs));
    // Each worker starts its first run at once, whatever the budget.
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records.every((record, index) => record.outcome === "ok" && record.seed === (index % 4) + 1)).toBe(true);
    expect(readdirSync(directory).filter((name) => name.endsWith(".counterexample.json"))).toEqual([]);
  });

  it("with all, each seed runs the scenario drawn for it", async () => {
    const directory = mkdtempSync(join(scratch, "all-"));
    const names = ["pipe-flaky-link", "counter-quorum", "pipe-buffer-too-small"];
    const draws = fixedDraws(
      [1, 2],
      names.map((name) => SCENARIOS.findIndex((scenario) => scenario.name === name)),
    );
    const out: string[] = [];
    const options = {
      time: "3s",
      workers: "1",
      out: join(directory, "runs.jsonl"),
      counterexamples: directory,
      progress: false,
    };
    expect(await huntCommand("all", options, { out: (text) => out.push(text), err: () => undefined }, draws)).toBe(0);
    const records = recordsOf(join(directory, "runs.jsonl"));
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records.map((record) => record.scenario)).toEqual(
      draws.drawnScenarios.slice(0, records.length).map((index) => SCENARIOS[index]?.name),
    );
    expect(out.join("\n")).toMatch(/^runs per scenario: /m);
  });

  const refused: Array<[string, string[], RegExp]> = [
    ["a variant with all", ["hunt", "all", "--variant", "ack-before-fsync"], /--variant needs one scenario/],
    ["an unknown variant", ["hunt", "counter-quorum", "--variant", "nope"], /no variant "nope"/],
    ["a duration without a unit", ["hunt", "counter-quorum", "--time", "10"], /malformed --time "10"/],
    ["a zero budget", ["hunt", "counter-quorum", "--time", "0s"], /more than 0/],
    ["an unknown wire mode", ["hunt", "counter-quorum", "--wire", "pigeon"], /unknown wire mode/],
    ["no workers", ["hunt", "counter-quorum", "--workers", "0"], /malformed --workers/],
    ["an unknown scenario", ["hunt", "no-such-scenario"], /unknown scenario/],
  ];
  for (const [name, argv, message] of refused) {
    it(`refuses ${name} with exit 2 before any run`, async () => {
      const { code, err } = await dst(...argv, "--counterexamples", scratch);
      expect(code).toBe(2);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(message);
    });
  }

  it("reads budgets in ms, s, m and h, alone or combined, up to a week", () => {
    expect(
      ["500ms", "90s", "10m", "2h", "1h30m"].map((text) => parseDuration(text, "--time", 7 * 24 * 3_600_000)),
    ).toEqual([500, 90_000, 600_000, 7_200_000, 5_400_000]);
    for (const text of ["", "10", "m", "1.5h", "-3s", "10 m", "0m", "169h"])
      expect(() => parseDuration(text, "--time", 7 * 24 * 3_600_000), text).toThrow(UsageError);
  });
});

describe("dst run without --seed", () => {
  it("draws a seed, prints it first, and that seed replays exactly", async () => {
    const directory = mkdtempSync(join(scratch, "run-"));
    const run = await dst("run", "counter-quorum", "--out", directory);
    const [, seed] =
      /^seed (\d+) \(drawn at random; rerun with --seed \1\)$/.exec(run.out.split("\n")[0] as string) ?? [];
    expect(seed, run.out).toBeDefined();
    expect(run.out).toMatch(new RegExp(`^counter-quorum seed ${seed}: `, "m"));
    const json = await dst("run", "counter-quorum", "--json", "--out", directory);
    const drawn = JSON.parse(json.out) as { seed: number; fingerprint: string; seedDrawnAtRandom?: boolean };
    expect(drawn.seedDrawnAtRandom).toBe(true);
    const again = JSON.parse(
      (await dst("run", "counter-quorum", "--seed", String(drawn.seed), "--json", "--out", directory)).out,
    ) as { fingerprint: string; seedDrawnAtRandom?: boolean };
    expect(again.fingerprint).toBe(drawn.fingerprint);
    expect(again.seedDrawnAtRandom).toBeUndefined();
  });
});
