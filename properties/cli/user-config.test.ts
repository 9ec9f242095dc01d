/**
 * A project's own scenarios through its config: every command resolves names in the
 * config's scenarios (sweep workers too, loading the same module), and a config that
 * cannot be loaded or names no valid scenarios is one line on stderr and exit 2.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { loadCatalogue } from "../../src/cli/scenario-catalogue.ts";

async function dst(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out, err };
}

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

  it("sweep workers load the same config", async () => {
    const out = join(scratch, "sweep.jsonl");
    const argv = ["sweep", "user-ticks", "--seeds", "1..4", "--variant", "broken", "--workers", "2", "--no-progress"];
    const { code } = await dst(...argv, "--out", out, "--config", config);
    expect(code).toBe(1);
    expect(existsSync(out)).toBe(true);
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
