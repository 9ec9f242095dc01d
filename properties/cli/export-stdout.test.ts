/**
 * Invariant: `dst export` without `-o`, or with `-o -`, writes the export to standard
 * output and nothing else there (as Unix tools do), the same bytes `-o file` writes.
 * Run: counter-quorum seed 1, traced.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dst } from "./_support/dst-in-process.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-export-stdout-"));
const trace = join(scratch, "run.jsonl");

describe("dst export to standard output", () => {
  let written = "";
  beforeAll(async () => {
    expect((await dst("run", "counter-quorum", "--seed", "1", "--trace", trace)).code).toBe(0);
    const file = join(scratch, "run.chrome.json");
    expect((await dst("export", "--format", "chrome", trace, "-o", file)).code).toBe(0);
    written = readFileSync(file, "utf8");
  });

  for (const flags of [[], ["-o", "-"]]) {
    it(`with ${flags.length === 0 ? "no -o" : "-o -"}: the export alone, as -o writes it`, async () => {
      const result = await dst("export", "--format", "chrome", trace, ...flags);
      expect(result.code).toBe(0);
      expect(result.err).toEqual([]);
      expect(result.out).toHaveLength(1);
      expect(`${result.out[0]}\n`).toBe(written);
      expect((JSON.parse(result.out[0] as string) as { traceEvents: unknown[] }).traceEvents.length).toBeGreaterThan(
        1000,
      );
    });
  }

  it("through the real command, the whole export reaches a pipe", () => {
    const child = spawnSync(process.execPath, [resolve("bin/dst.mjs"), "export", "--format", "chrome", trace], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe("");
    expect(child.stdout).toBe(written);
  });
});
