/**
 * Invariant: lint rejects every kind of ambient nondeterminism in src/impl, and any
 * import of src/impl from src/sim; it accepts code that uses only the Env.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: process.cwd() });

async function errorsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.severity === 2)
    .map((message) => message.ruleId ?? message.message);
}

const forbiddenInImpl: Array<[string, string]> = [
  ["Date.now", "export const t = Date.now();"],
  ["new Date", "export const t = new Date();"],
  ["performance.now", "export const t = performance.now();"],
  ["Math.random", "export const r = Math.random();"],
  ["setTimeout", "setTimeout(() => undefined, 1);"],
  ["setInterval", "setInterval(() => undefined, 1);"],
  ["setImmediate", "setImmediate(() => undefined);"],
  ["process.hrtime", "export const t = process.hrtime();"],
  ["globalThis.Date", "export const t = globalThis.Date.now();"],
  ["AbortSignal.timeout", "export const s = AbortSignal.timeout(10);"],
  ["AbortSignal.any (it keeps the run's world)", "export const s = AbortSignal.any([]);"],
  ["node:fs", 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;'],
  ["fs", 'import * as fs from "fs";\nexport const f = fs;'],
  ["node:net", 'import * as net from "node:net";\nexport const n = net;'],
  ["node:crypto", 'import { randomBytes } from "node:crypto";\nexport const r = randomBytes;'],
  ["node:worker_threads", 'import { Worker } from "node:worker_threads";\nexport const w = Worker;'],
  ["crypto global", "export const r = crypto.getRandomValues(new Uint8Array(4));"],
  ["simulator internals", 'import { World } from "../../sim/world.ts";\nexport const w = World;'],
];

describe("determinism lint", () => {
  for (const [name, code] of forbiddenInImpl) {
    it(`rejects ${name} in src/impl`, async () => {
      expect(await errorsFor(code, "src/impl/example/probe.ts")).not.toEqual([]);
    });
  }

  it("accepts an implementation that uses only the Env", async () => {
    const code =
      'import type { Env } from "../../sim/env.ts";\nexport async function main(env: Env): Promise<number> {\n  await env.clock.sleep(1);\n  return env.clock.now() + env.random.next();\n}\n';
    expect(await errorsFor(code, "src/impl/example/ok.ts")).toEqual([]);
  });

  it("allows the same ambient calls outside src/impl (the simulator's own runner and the CLI)", async () => {
    expect(await errorsFor("export const t = performance.now();\n", "src/cli/example.ts")).toEqual([]);
  });

  it("rejects src/sim importing src/impl", async () => {
    const code = 'import { runReplica } from "../impl/counter/replica.ts";\nexport const r = runReplica;\n';
    expect(await errorsFor(code, "src/sim/example.ts")).toContain("no-restricted-imports");
  });
});
