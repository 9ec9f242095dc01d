/**
 * Invariant: the determinism block (src/lint/determinism.mjs), pointed at a user's folder, rejects every ambient
 * source of time, randomness, timers and real I/O written in it, and accepts the same code written against the Env;
 * files outside the folder are not its business. The project's own config applies it to src/impl.
 */
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { determinism } from "../../src/lint/determinism.mjs";

/** A user's project: TypeScript parsing, and the block on src/my-system only. */
const userLint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [
    { files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } },
    determinism({ files: ["src/my-system/**/*.ts"] }),
  ],
});

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await userLint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => message.ruleId ?? `fatal: ${message.message}`);
}

const AMBIENT: Record<string, string> = {
  "Date.now()": "export const now = Date.now();",
  "new Date()": "export const now = new Date();",
  "performance.now()": "export const now = performance.now();",
  "Math.random()": "export const coin = Math.random() < 0.5;",
  setTimeout: "setTimeout(() => undefined, 10);",
  setImmediate: "setImmediate(() => undefined);",
  queueMicrotask: "queueMicrotask(() => undefined);",
  "process.hrtime": "export const t = process.hrtime.bigint();",
  "process.env": "export const home = process.env.HOME;",
  "globalThis.crypto": "export const id = globalThis.crypto.randomUUID();",
  "AbortSignal.timeout": "export const signal = AbortSignal.timeout(10);",
  "AbortSignal.any (it keeps the run's world)": "export const signal = AbortSignal.any([]);",
  "node:fs": 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;',
  "fs/promises": 'import { readFile } from "fs/promises";\nexport const f = readFile;',
  "node:net": 'import { connect } from "node:net";\nexport const c = connect;',
  "node:crypto": 'import { randomBytes } from "node:crypto";\nexport const r = randomBytes;',
  "node:timers/promises": 'import { setTimeout as sleep } from "node:timers/promises";\nexport const s = sleep;',
  worker_threads: 'import { Worker } from "node:worker_threads";\nexport const w = Worker;',
  seedrandom: 'import seedrandom from "seedrandom";\nexport const r = seedrandom;',
};

describe("the determinism lint block", () => {
  for (const [what, code] of Object.entries(AMBIENT)) {
    it(`rejects ${what} in the user's simulated code`, async () => {
      const ids = await ruleIds(code, "src/my-system/node.ts");
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.every((id) => id.startsWith("no-restricted-"))).toBe(true);
    });
  }

  it("accepts the same work done through the Env", async () => {
    const code = [
      'import type { Env } from "dst-harness";',
      "export async function tick(env: Env): Promise<number> {",
      "  await env.clock.sleep(10);",
      "  return env.clock.now() + env.random.int(0, 9);",
      "}",
    ].join("\n");
    expect(await ruleIds(code, "src/my-system/node.ts")).toEqual([]);
  });

  it("leaves files outside the folder it was given alone", async () => {
    expect(await ruleIds("export const now = Date.now();", "test/helpers.ts")).toEqual([]);
  });

  it("is what the project's own lint applies to src/impl", async () => {
    const project = new ESLint({ cwd: process.cwd() });
    const [result] = await project.lintText("export const now = Date.now();\n", { filePath: "src/impl/example.ts" });
    expect((result?.messages ?? []).map((message) => message.ruleId)).toContain("no-restricted-globals");
  });
});
