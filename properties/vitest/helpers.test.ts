/**
 * The vitest helper (src/vitest), one sentence each:
 * - A failing seed (findFailure, expectScenarioPasses) writes its counterexample, and,
 *   from its replay, its trace (the very lines `dst run --trace` writes for that run)
 *   and its HTML view; the message prints the replay command and both paths; `dst
 *   replay` of the file reproduces the failure exactly.
 * - The property helper (findPropertyFailure, expectScenarioProperty) passes the
 *   correct counter on generated fault plans, and catches the planted bug
 *   (ack-before-fsync), shrunk: the counterexample holds the shrunk plan, and `dst
 *   replay` of it reproduces the failure exactly.
 * - A helper that never reports, or reports without its files, fails the checks
 *   these tests make (caught(), shown on such helpers).
 * - The counterexample names the module given (`module`), as a path relative to the
 *   current directory.
 * - A swarm whose hosts depend on a knob gets plans over the hosts of the knob's
 *   default, and its runs fix that knob (drawn per seed instead, a run with fewer
 *   hosts refuses a plan naming another: shown with the knob left to the seeds).
 * Seeds: counter-quorum seed 3 with ack-before-fsync (caught there); the property's
 * fast-check seed is derived from the scenario's name and variant.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { counterQuorum } from "../../scenarios/counter/quorum.ts";
import { main } from "../../src/cli/main.ts";
import { parseCounterexample } from "../../src/sim/counterexample.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario } from "../../src/sim/runner.ts";
import {
  expectScenarioPasses,
  expectScenarioProperty,
  findFailure,
  findPropertyFailure,
  ScenarioFailure,
  type ScenarioFailureReport,
} from "../../src/vitest/index.ts";

const VARIANT = "ack-before-fsync";

async function dst(...argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => out.push(text) });
  return { code, out: out.join("\n") };
}

/** What every report of a caught failure must hold: its files, named in its message, and a replay that reproduces. */
async function caught(report: ScenarioFailureReport | undefined): Promise<ScenarioFailureReport> {
  if (report === undefined) throw new Error("the helper reported no failure");
  for (const path of [report.counterexamplePath, report.tracePath, report.viewPath]) {
    if (path === undefined || !existsSync(path)) throw new Error(`a file of the failure is missing: ${path}`);
  }
  for (const what of ["npx dst replay ", "npx dst shrink ", ".trace.jsonl", ".html"])
    if (!report.message.includes(what)) throw new Error(`the message lacks ${what}: ${report.message}`);
  const replay = await dst("replay", report.counterexamplePath);
  if (replay.code !== 1 || !replay.out.includes("reproduced exactly"))
    throw new Error(`dst replay did not reproduce the failure (exit ${replay.code}): ${replay.out}`);
  return report;
}

describe("the seed helpers", () => {
  const directory = mkdtempSync(join(tmpdir(), "dst-vitest-seeds-"));

  it("a failing seed writes its counterexample, trace and view; dst replay reproduces it", async () => {
    const report = await caught(
      await findFailure(counterQuorum, { seeds: "3..3", variant: VARIANT, counterexamples: directory }),
    );
    expect(report.seed).toBe(3);
    expect(report.result.violations[0]?.invariant).toMatch(/^counter\./);
    expect(readFileSync(report.viewPath!, "utf8")).toMatch(/^<!doctype html>/i);
    // The trace is what `dst run --trace` writes for the same run, line for line.
    const tracePath = join(directory, "run-trace.jsonl");
    const run = await dst("run", "counter-quorum", "--seed", "3", "--variant", VARIANT, "--trace", tracePath);
    expect(run.code).toBe(1);
    expect(readFileSync(report.tracePath!, "utf8")).toBe(readFileSync(tracePath, "utf8"));
  });

  it("expectScenarioPasses throws a ScenarioFailure with the report; passing seeds resolve", async () => {
    const failing = expectScenarioPasses(counterQuorum, { seeds: [3], variant: VARIANT, counterexamples: directory });
    await expect(failing).rejects.toBeInstanceOf(ScenarioFailure);
    await expect(failing).rejects.toThrow(/npx dst replay .*\.counterexample\.json/);
    expect(await expectScenarioPasses(counterQuorum, { seeds: "1..2" })).toHaveLength(2);
  });

  it("the counterexample names the module given, relative to the current directory", async () => {
    const report = await findFailure(counterQuorum, {
      seeds: [3],
      variant: VARIANT,
      counterexamples: directory,
      module: new URL("../../scenarios/counter/quorum.ts", import.meta.url).href,
      trace: false,
    });
    const counterexample = parseCounterexample(JSON.parse(readFileSync(report!.counterexamplePath, "utf8")));
    expect(counterexample.module).toBe("scenarios/counter/quorum.ts");
    expect(report?.tracePath).toBeUndefined();
  });
});

describe("the property helper", () => {
  const directory = mkdtempSync(join(tmpdir(), "dst-vitest-property-"));

  it("passes the correct counter on generated fault plans", async () => {
    await expectScenarioProperty(counterQuorum, { numRuns: 6, counterexamples: directory });
    expect(readdirSync(directory)).toEqual([]);
  });

  it("catches the planted bug, shrinks it, and its counterexample replays exactly", async () => {
    const report = await findPropertyFailure(counterQuorum, {
      variant: VARIANT,
      numRuns: 20,
      shrinkRunsMax: 40,
      counterexamples: directory,
    });
    await caught(report);
    expect(report!.shrinks).toBeGreaterThan(0);
    expect(report!.runs).toBeLessThanOrEqual(20 + 40);
    const counterexample = parseCounterexample(JSON.parse(readFileSync(report!.counterexamplePath, "utf8")));
    expect(counterexample.faultPlan).toEqual(report!.plan);
    expect(counterexample.seed).toBe(report!.seed);
    expect(report!.message).toMatch(
      /failed a generated fault plan \(fast-check seed \d+; \d+ runs, shrunk \d+ times\)/,
    );
    // The same cases, the same shrunk case: the property's seed is fixed.
    const again = await findPropertyFailure(counterQuorum, {
      variant: VARIANT,
      numRuns: 20,
      shrinkRunsMax: 40,
      counterexamples: directory,
      trace: false,
    });
    expect(again?.plan).toEqual(report!.plan);
  });
});

describe("the checks above fail on a helper that does not report", () => {
  it("one that never reports", async () => {
    await expect(caught(undefined)).rejects.toThrow(/reported no failure/);
  });

  it("one that reports without its trace and view", async () => {
    const directory = mkdtempSync(join(tmpdir(), "dst-vitest-broken-"));
    const report = await findFailure(counterQuorum, {
      seeds: [3],
      variant: VARIANT,
      counterexamples: directory,
      trace: false,
    });
    await expect(caught(report)).rejects.toThrow(/a file of the failure is missing/);
  });
});

describe("a swarm whose hosts are a function of a knob", () => {
  /** s1..sN, N a knob of default 3; the variant "loud" fails once s3 was crashed. */
  const servers = (knob: KnobReader) => Array.from({ length: knob<number>("servers") }, (_, index) => `s${index + 1}`);
  const sized: Scenario = {
    name: "sized",
    description: "N idle hosts, N a knob",
    safetyMs: 500,
    livenessMs: 100,
    knobs: { servers: pickKnob([2, 3], 3) },
    swarm: { hosts: servers, kinds: ["crash", "pause"] },
    variants: { loud: "reports a violation once s3 restarted" },
    setup(context) {
      let restarts = 0;
      for (const host of servers(context.knob))
        context.world
          .addHost(host, async (env) => {
            if (env.host === "s3" && env.lifetime.incarnation > 1) restarts++;
            for (;;) await env.clock.sleep(50);
          })
          .start();
      return {
        check() {
          if (context.variant === "loud" && restarts > 0)
            context.world.violate({ invariant: "sized.loud", kind: "safety", host: "s3", details: "s3 restarted" });
        },
        progress: () => true,
      };
    },
  };

  it("plans name the default's hosts and the runs fix the knob", async () => {
    await expectScenarioProperty(sized, { numRuns: 30, counterexamples: mkdtempSync(join(tmpdir(), "dst-sized-")) });
    const report = await findPropertyFailure(sized, {
      variant: "loud",
      numRuns: 30,
      counterexamples: mkdtempSync(join(tmpdir(), "dst-sized-")),
      trace: false,
    });
    expect(report?.result.stats.knobs).toEqual({ servers: 3 });
    expect(report?.plan.faults.map((fault) => fault.kind)).toEqual(["crash", "restart"]);
  });

  it("left to the seeds' draws (the knob unfixed), a run refuses a plan naming a host it lacks", async () => {
    const unfixed: Scenario = { ...sized, swarm: { hosts: ["s1", "s2", "s3"], kinds: ["crash", "pause"] } };
    const attempt = expectScenarioProperty(unfixed, { numRuns: 30, plan: { hosts: ["s3"] } });
    await expect(attempt).rejects.toThrow(/the property failed on a run that threw/);
    await expect(attempt).rejects.toThrow(/unknown host 's3'/);
  });
});
