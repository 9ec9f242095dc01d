/**
 * A project's own scenarios through its config: every command resolves names in the
 * config's scenarios (sweep workers too, loading the same module), and a config that
 * cannot be loaded or names no valid scenarios is one line on stderr and exit 2 (a
 * project that loads it as CommonJS is told to set "type": "module").
 * A counterexample names the module its scenario came from, and replay, shrink and
 * view find it there without --config (a file without it cannot be replayed so: shown).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dst } from "./_support/dst-in-process.ts";
import { findReferencedModule, loadCatalogue, moduleReference } from "../../src/cli/scenario-catalogue.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-user-config-"));
const file = (name: string, text: string) => {
  const path = join(scratch, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
};

/** A user's scenario in plain JavaScript: one host ticks; the variant `broken` reports a violation. */
const SCENARIO = `
export const userTicks = {
  name: "user-ticks",
  description: "a user's scenario: one host ticks",
  safetyMs: 1000,
  livenessMs: 1000,
  swarm: { hosts: ["ticker"], kinds: ["pause", "clock-skew"] },
  variants: { broken: "reports a violation after five ticks" },
  setup(context) {
    let ticks = 0;
    context.world.addHost("ticker", async (env) => { for (;;) { await env.clock.sleep(10); ticks++; } }).start();
    return {
      check() {
        if (context.variant === "broken" && ticks > 5)
          context.world.violate({ invariant: "user.ticked", kind: "safety", host: "ticker", details: "ticked" });
      },
      progress: () => ticks > 0,
    };
  },
};
`;
const config = file("project/dst.config.mjs", `${SCENARIO}\nexport default { scenarios: [userTicks] };\n`);

describe("dst on a project's own scenarios (--config)", () => {
  it("list shows the config's scenarios only", async () => {
    const { code, out } = await dst("list", "--config", config);
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^user-ticks\s+a user's scenario/);
    expect(out.join("\n")).not.toMatch(/counter-quorum/);
  });

  it("run passes, a broken variant fails, replay and shrink work on its counterexample", async () => {
    expect((await dst("run", "user-ticks", "--seed", "1", "--config", config)).code).toBe(0);
    const outDir = join(scratch, "run");
    mkdirSync(outDir);
    const failing = await dst(
      "run",
      "user-ticks",
      "--seed",
      "1",
      "--variant",
      "broken",
      "--out",
      outDir,
      "--config",
      config,
    );
    expect(failing.code).toBe(1);
    const counterexample = join(outDir, readdirSync(outDir)[0] as string);
    expect(failing.out.join("\n")).toContain(`npx dst replay ${counterexample}`);
    expect((await dst("replay", counterexample, "--config", config)).code).toBe(1);
    const minimal = join(outDir, "minimal.json");
    expect((await dst("shrink", counterexample, "--out", minimal, "--max-runs", "20", "--config", config)).code).toBe(
      0,
    );
    expect((await dst("replay", minimal, "--config", config)).code).toBe(1);
  });

  it("sweep workers load the same config; its counterexamples name it", async () => {
    const out = join(scratch, "sweep.jsonl");
    const counterexamples = join(scratch, "sweep-counterexamples");
    const argv = ["sweep", "user-ticks", "--seeds", "1..4", "--variant", "broken", "--workers", "2", "--no-progress"];
    const { code } = await dst(...argv, "--out", out, "--counterexamples", counterexamples, "--config", config);
    expect(code).toBe(1);
    expect(existsSync(out)).toBe(true);
    const written = readdirSync(counterexamples);
    expect(written.length).toBeGreaterThan(0);
    for (const name of written)
      expect((JSON.parse(readFileSync(join(counterexamples, name), "utf8")) as { module?: string }).module).toBe(
        moduleReference(config),
      );
  });

  it("the config in the current directory is found; without one, the bundled scenarios", async () => {
    const found = await loadCatalogue({ cwd: join(scratch, "project") });
    expect(found.configPath).toBe(config);
    expect(found.scenarios.map((scenario) => scenario.name)).toEqual(["user-ticks"]);
    const bundled = await loadCatalogue({ cwd: mkdtempSync(join(tmpdir(), "dst-no-config-")) });
    expect(bundled.configPath).toBeUndefined();
    expect(bundled.find("counter-quorum")).toBeDefined();
  });

  it("a TypeScript config and a named `scenarios` export", async () => {
    const ts = file("ts/dst.config.ts", `${SCENARIO}\nexport const scenarios: unknown[] = [userTicks];\n`);
    const { code, out } = await dst("list", "--config", ts);
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^user-ticks/);
  });
});

describe("a counterexample names the module of its scenario", () => {
  const outDir = join(scratch, "named");
  mkdirSync(outDir);
  const failingRun = async () => {
    const argv = ["run", "user-ticks", "--seed", "2", "--variant", "broken", "--out", outDir, "--config", config];
    expect((await dst(...argv)).code).toBe(1);
    return join(outDir, "user-ticks-seed-2-broken.counterexample.json");
  };

  it("dst run records the config; replay, shrink and view find it without --config", async () => {
    const counterexample = await failingRun();
    const recorded = JSON.parse(readFileSync(counterexample, "utf8")) as { module?: string };
    expect(recorded.module).toBe(moduleReference(config));
    const replay = await dst("replay", counterexample);
    expect(replay.code).toBe(1);
    expect(replay.out.join("\n")).toMatch(/reproduced exactly/);
    const minimal = join(outDir, "minimal.json");
    expect((await dst("shrink", counterexample, "--out", minimal, "--max-runs", "10")).code).toBe(0);
    expect((JSON.parse(readFileSync(minimal, "utf8")) as { module?: string }).module).toBe(recorded.module);
    expect((await dst("replay", minimal)).code).toBe(1);
    expect((await dst("view", counterexample, "-o", join(outDir, "run.html"))).code).toBe(0);
  });

  it("without the module (a file written before it was recorded) the scenario is not found without --config", async () => {
    const counterexample = await failingRun();
    const { module: _module, ...old } = JSON.parse(readFileSync(counterexample, "utf8")) as Record<string, unknown>;
    const oldPath = join(outDir, "old.counterexample.json");
    writeFileSync(oldPath, JSON.stringify(old));
    const replay = await dst("replay", oldPath);
    expect(replay.code).toBe(2);
    expect(replay.err.join("\n")).toMatch(/unknown scenario "user-ticks"/);
    expect((await dst("replay", oldPath, "--config", config)).code).toBe(1);
  });

  it("a scenario module (not a config) is read as its exported scenarios", async () => {
    const counterexample = await failingRun();
    const module = file("scenario-module/user-ticks.mjs", SCENARIO);
    const recorded = JSON.parse(readFileSync(counterexample, "utf8")) as Record<string, unknown>;
    const path = join(outDir, "from-module.counterexample.json");
    writeFileSync(path, JSON.stringify({ ...recorded, module: moduleReference(module) }));
    expect((await dst("replay", path)).code).toBe(1);
  });

  it("a relative module is found above the counterexample, else in the current directory", () => {
    const project = join(scratch, "relative-project");
    const configPath = file("relative-project/dst.config.mjs", "export default {};\n");
    file("relative-project/out/x.counterexample.json", "{}");
    expect(moduleReference(configPath, project)).toBe("dst.config.mjs");
    expect(moduleReference(join(project, "test", "m.ts"), project)).toBe("test/m.ts");
    expect(moduleReference(join(scratch, "elsewhere.ts"), project)).toBe(join(scratch, "elsewhere.ts"));
    const counterexample = join(project, "out", "x.counterexample.json");
    expect(findReferencedModule("dst.config.mjs", counterexample, tmpdir())).toBe(configPath);
    expect(findReferencedModule("dst.config.mjs", join(tmpdir(), "x.json"), project)).toBe(configPath);
    expect(findReferencedModule("absent.mjs", counterexample, project)).toBeUndefined();
  });

  it("a named module that cannot be found is one line, exit 2", async () => {
    const counterexample = await failingRun();
    const recorded = JSON.parse(readFileSync(counterexample, "utf8")) as Record<string, unknown>;
    const path = join(outDir, "lost.counterexample.json");
    writeFileSync(path, JSON.stringify({ ...recorded, module: "no/such/module.ts" }));
    const replay = await dst("replay", path);
    expect(replay.code).toBe(2);
    expect(replay.err).toEqual([expect.stringMatching(/names the module no\/such\/module\.ts, which is not found/)]);
  });
});

describe("a TypeScript config in a CommonJS project (the command in its own process: vitest loads TypeScript itself)", () => {
  const config = `${SCENARIO}\nexport default { scenarios: [userTicks] };\n`;
  const dstProcess = (...argv: string[]) =>
    spawnSync(process.execPath, [resolve("bin/dst.mjs"), ...argv], { encoding: "utf8", timeout: 120_000 });

  // Node 20 loads it as CommonJS and fails; Node 24 detects its ES module syntax and loads it. Either way the user
  // never sees Node's own require() error: the ConfigError, or the config working.
  it("is a ConfigError saying to set type module (Node 20), or loads (a Node that detects ES module syntax)", () => {
    file("commonjs/package.json", JSON.stringify({ name: "commonjs-project", version: "1.0.0" }));
    const child = dstProcess("list", "--config", file("commonjs/dst.config.ts", config));
    if (Number(process.versions.node.split(".")[0]) < 22) expect(child.status).toBe(2);
    if (child.status === 0) {
      expect(child.stdout).toContain("user-ticks");
      return;
    }
    expect(child.status).toBe(2);
    expect(child.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/package\.json has no "type": "module".*run `npm pkg set type=module` in .*commonjs/),
    ]);
  });

  it("the same config in an ES module project loads", () => {
    file("esm/package.json", JSON.stringify({ name: "esm-project", version: "1.0.0", type: "module" }));
    const child = dstProcess("list", "--config", file("esm/dst.config.ts", config));
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^user-ticks/);
  });
});

describe("a config that cannot be used exits 2 with one line", () => {
  const cases: Array<[string, string | undefined, RegExp]> = [
    ["no such file", undefined, /config file .* does not exist/],
    ["exports nothing", "export const answer = 42;\n", /exports no scenarios/],
    ["an empty list", "export default { scenarios: [] };\n", /exports an empty list of scenarios/],
    ["a syntax error", "export default { scenarios: [ ;\n", /cannot load config .*(SyntaxError|invalid JS syntax)/],
    ["throws when loaded", 'throw new Error("boom");\n', /cannot load config .*boom/],
    [
      "a scenario without setup",
      'export default { scenarios: [{ name: "x", description: "d", safetyMs: 1, livenessMs: 1 }] };\n',
      /scenario 1 \("x"\) has no `setup` function/,
    ],
    ["a scenario that is not an object", "export default { scenarios: [42] };\n", /scenario 1 is not an object/],
    [
      "two scenarios of one name",
      `${SCENARIO}\nexport default { scenarios: [userTicks, userTicks] };\n`,
      /two scenarios are named "user-ticks"/,
    ],
  ];
  cases.forEach(([name, text, message], index) => {
    it(name, async () => {
      const path = text === undefined ? join(scratch, "absent.mjs") : file(`bad-${index}.mjs`, text);
      const { code, err } = await dst("list", "--config", path);
      expect(code).toBe(2);
      expect(err.length).toBe(1);
      expect(err[0]).toMatch(/^dst: /);
      expect(err[0]).toMatch(message);
    });
  });
});
