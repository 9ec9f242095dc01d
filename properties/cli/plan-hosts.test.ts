/**
 * Invariant: a fault plan that names a host the scenario does not have is refused
 * (one `dst:` line, exit code 2) on every path that takes a plan (run --faults,
 * replay, shrink, the runs of a sweep), in every field that names a host; it never
 * runs as a plan whose events do nothing and passes.
 * Scenario: counter-quorum (hosts n1, n2, n3 and client), seed 1.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { counterQuorum } from "../../scenarios/counter/quorum.ts";
import { dst } from "./_support/dst-in-process.ts";
import { executeTask } from "../../src/cli/sweep/execute.ts";
import type { FaultEvent } from "../../src/sim/faults/plan.ts";
import type { Scenario } from "../../src/sim/runner.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-plan-hosts-"));

function planFile(name: string, faults: unknown[]): string {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify({ version: 1, faults }));
  return path;
}

function counterexampleFile(name: string, faults: FaultEvent[]): string {
  const path = join(scratch, name);
  const counterexample = {
    format: "dst-counterexample",
    version: 1,
    scenario: "counter-quorum",
    seed: 3,
    variant: "ack-before-fsync",
    buggify: false,
    faultPlan: { version: 1, faults },
    expected: {
      fingerprint: "0123456789abcdef",
      violations: [{ kind: "safety", invariant: "counter.x", time: 1, details: "" }],
    },
  };
  writeFileSync(path, JSON.stringify(counterexample));
  return path;
}

function expectRefused(result: { code: number; err: string[] }, host: string): void {
  expect(result.code).toBe(2);
  expect(result.err).toHaveLength(1);
  expect(result.err[0]).toMatch(/^dst: /);
  expect(result.err[0]).toContain(`unknown host '${host}'`);
}

const UNKNOWN_HOST_EVENTS: Array<[string, unknown]> = [
  ["crash", { atMs: 100, kind: "crash", host: "n9" }],
  ["restart", { atMs: 100, kind: "restart", host: "n9" }],
  ["isolate", { atMs: 100, kind: "isolate", host: "n9" }],
  ["pause", { atMs: 100, kind: "pause", host: "n9", durationMs: 50 }],
  ["clock-skew", { atMs: 100, kind: "clock-skew", host: "n9", offsetMs: 5 }],
  [
    "partition group",
    {
      atMs: 100,
      kind: "partition",
      groups: [
        ["n1", "n2"],
        ["n3", "n9"],
      ],
    },
  ],
  ["clog from", { atMs: 100, kind: "clog", from: "n9", to: "n1", durationMs: 50 }],
  ["clog to", { atMs: 100, kind: "clog", from: "n1", to: "n9", durationMs: 50 }],
  ["link-quality from", { atMs: 100, kind: "link-quality", from: "n9", to: "n1", lossProbability: 0.5 }],
  ["link-quality to", { atMs: 100, kind: "link-quality", from: "n1", to: "n9", lossProbability: 0.5 }],
  [
    "disk-faults",
    { atMs: 100, kind: "disk-faults", host: "n9", rates: { writeErrorProbability: 0.5 }, durationMs: 50 },
  ],
];

describe("a fault plan naming a host the scenario lacks is refused", () => {
  for (const [name, event] of UNKNOWN_HOST_EVENTS) {
    it(`dst run --faults: ${name}`, async () => {
      expectRefused(
        await dst("run", "counter-quorum", "--seed", "1", "--faults", planFile(`${name}.json`, [event])),
        "n9",
      );
    });
  }

  it("dst run --faults takes a plan that faults a host outside the swarm's hosts (the client)", async () => {
    const result = await dst(
      "run",
      "counter-quorum",
      "--seed",
      "1",
      "--faults",
      planFile("client.json", [{ atMs: 100, kind: "pause", host: "client", durationMs: 50 }]),
      "--out",
      scratch,
    );
    expect(result.err).toEqual([]);
    expect([0, 1]).toContain(result.code);
  });

  it("dst replay of a counterexample whose plan names an unknown host", async () => {
    expectRefused(
      await dst("replay", counterexampleFile("replay.json", [{ atMs: 100, kind: "crash", host: "n9" }])),
      "n9",
    );
  });

  it("dst shrink of a counterexample whose plan names an unknown host", async () => {
    expectRefused(
      await dst(
        "shrink",
        counterexampleFile("shrink.json", [{ atMs: 100, kind: "crash", host: "n7" }]),
        "--max-runs",
        "3",
      ),
      "n7",
    );
  });

  it("a sweep's run of a scenario whose swarm hosts name a host it never adds is refused, not failed", async () => {
    // Seed 5: the swarm enables crashes (seeds 1 and 2 draw no faults at all).
    const misdeclared: Scenario = { ...counterQuorum, swarm: { hosts: ["n7", "n8", "n9"], kinds: ["crash"] } };
    const answer = await executeTask(
      { id: 0, scenario: misdeclared.name, seed: 5, checkDeterminism: false },
      () => misdeclared,
    );
    expect(answer).toMatchObject({ ok: false, refused: true });
    expect(answer.ok ? "" : answer.error).toMatch(/unknown host 'n[789]'/);
  });
});
