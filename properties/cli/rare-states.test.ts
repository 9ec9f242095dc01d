/**
 * Invariants of rare states: every scenario declares the rare states it exists to
 * reach, each marked by a probe that exists in the sources; a sweep reports, per
 * scenario and state, the runs that reached it and the share, and GAP below 1%;
 * gaps are reported without failing unless --fail-on-gaps asks (exit 5).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../scenarios/index.ts";
import { scanPoints } from "../../src/cli/coverage/points.ts";
import { formatRareStates, rareStatesOf } from "../../src/cli/coverage/rare-states.ts";
import { EXIT_OK, EXIT_RARE_STATE_GAPS, EXIT_VIOLATION } from "../../src/cli/exit-codes.ts";
import { main } from "../../src/cli/main.ts";
import type { Scenario } from "../../src/sim/runner.ts";
import type { SweepRecord } from "../../src/cli/sweep/sweep-record.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-rare-states-"));

async function dst(...argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => out.push(text) });
  return { code, out: out.join("\n") };
}

/** A passing run of `scenario` on `seed` that hit each of `probes` three times. */
function record(
  scenario: string,
  seed: number,
  probes: readonly string[],
  extra: Partial<SweepRecord> = {},
): SweepRecord {
  return {
    scenario,
    seed,
    faultMix: "explicit",
    faults: 0,
    outcome: "ok",
    violations: [],
    fingerprint: seed.toString(16).padStart(16, "0"),
    stats: { virtualTimeMs: 1, events: 1, traceRecords: 1, wallMs: 1, workload: {} },
    probes: Object.fromEntries(probes.map((probe) => [probe, 3])),
    ...extra,
  };
}

const declaring: Scenario = {
  name: "demo-rare",
  description: "declares two rare states",
  safetyMs: 1,
  livenessMs: 1,
  rareStates: { common: "demo.common", scarce: "demo.scarce" },
  setup: () => ({ progress: () => true }),
};

describe("rare states", () => {
  it("every scenario declares rare states, each marked by a probe in the sources", () => {
    const probes = new Set(
      scanPoints()
        .filter((point) => point.kind === "probe")
        .map((point) => point.name),
    );
    for (const scenario of SCENARIOS) {
      const states = Object.entries(scenario.rareStates ?? {});
      expect(states.length, `${scenario.name} declares no rare state`).toBeGreaterThan(0);
      for (const [state, probe] of states)
        expect(probes, `${scenario.name} ${state}: no probe "${probe}"`).toContain(probe);
    }
  });

  it("counts runs (not hits) per scenario and state; GAP exactly below 1%", () => {
    const hundred = Array.from({ length: 100 }, (_, index) =>
      record("demo-rare", index + 1, index === 0 ? ["demo.common", "demo.scarce"] : ["demo.common"]),
    );
    const [common, scarce] = rareStatesOf([...hundred, record("other", 1, ["demo.scarce"])], [declaring]);
    expect(common).toMatchObject({
      state: "common",
      probe: "demo.common",
      runs: 100,
      runsReached: 100,
      fraction: 1,
      gap: false,
    });
    expect(scarce).toMatchObject({ state: "scarce", runs: 100, runsReached: 1, fraction: 0.01, gap: false });
    const hundredAndOne = [...hundred, record("demo-rare", 101, [])];
    expect(rareStatesOf(hundredAndOne, [declaring])[1]).toMatchObject({ runs: 101, runsReached: 1, gap: true });
    // Scenarios without runs, or without declared states, add no row.
    expect(rareStatesOf([record("other", 1, [])], [declaring])).toEqual([]);
  });

  it("a gap's line names the probe and suggests --buggify unless every run had it", () => {
    const plain = formatRareStates(rareStatesOf([record("demo-rare", 1, ["demo.common"])], [declaring]));
    expect(plain).toMatch(/^rare states: 1 of 2 declared states are gaps/);
    expect(plain).toContain("| demo-rare | common | demo.common | 1/1 | 100.0% |  |");
    expect(plain).toContain(
      "| demo-rare | scarce | demo.scarce | 0/1 | 0.0% | GAP: no run hit probe demo.scarce; try --buggify |",
    );
    const buggified = formatRareStates(rareStatesOf([record("demo-rare", 1, [], { buggify: true })], [declaring]));
    expect(buggified).toContain("GAP: no run hit probe demo.scarce, even with --buggify |");
  });

  it("merge and coverage print the table; gaps exit 0, or 5 with --fail-on-gaps; a failed run still exits 1", async () => {
    const path = join(scratch, "runs.jsonl");
    // counter-quorum declares counter.recovered-from-backups, which these runs do not reach.
    writeFileSync(
      path,
      [1, 2]
        .map((seed) => JSON.stringify(record("counter-quorum", seed, ["counter.increment-without-quorum"])))
        .join("\n"),
    );
    const merged = await dst("merge", path);
    expect(merged.code).toBe(EXIT_OK);
    expect(merged.out).toMatch(
      /\| counter-quorum \| increment-refused-without-quorum \| counter\.increment-without-quorum \| 2\/2 \| 100\.0% \| {2}\|/,
    );
    expect(merged.out).toMatch(
      /\| counter-quorum \| primary-recovered-from-backups \| counter\.recovered-from-backups \| 0\/2 \| 0\.0% \| GAP: no run hit probe counter\.recovered-from-backups; try --buggify \|/,
    );
    expect((await dst("merge", path, "--fail-on-gaps")).code).toBe(EXIT_RARE_STATE_GAPS);
    const coverage = await dst("coverage", path);
    expect(coverage.out).toContain("GAP: no run hit probe counter.recovered-from-backups");
    const json = JSON.parse((await dst("coverage", path, "--json")).out) as {
      rareStates: Array<{ state: string; gap: boolean }>;
    };
    expect(json.rareStates.map((entry) => [entry.state, entry.gap])).toEqual([
      ["increment-refused-without-quorum", false],
      ["primary-recovered-from-backups", true],
    ]);
    const failed = join(scratch, "failed.jsonl");
    const violation = { kind: "safety" as const, invariant: "counter.example", time: 1, details: "example" };
    writeFileSync(
      failed,
      JSON.stringify(record("counter-quorum", 3, [], { outcome: "safety", violations: [violation] })),
    );
    expect((await dst("merge", failed, "--fail-on-gaps")).code).toBe(EXIT_VIOLATION);
  });

  it("a sweep prints the table for its scenario and exits 0 with gaps, 5 with --fail-on-gaps", async () => {
    const sweep = await dst("sweep", "counter-quorum", "--seeds", "1..2", "--workers", "1", "--no-progress");
    expect(sweep.code).toBe(EXIT_OK);
    expect(sweep.out).toMatch(
      /\| counter-quorum \| primary-recovered-from-backups \| counter\.recovered-from-backups \| 0\/2 \| 0\.0% \| GAP/,
    );
    expect(sweep.out).not.toMatch(/\| pipe-flaky-link \|/);
    expect(
      (await dst("sweep", "counter-quorum", "--seeds", "1..2", "--workers", "1", "--no-progress", "--fail-on-gaps"))
        .code,
    ).toBe(EXIT_RARE_STATE_GAPS);
  });
});
