/**
 * Invariant: `dst --version` (and `-V`) prints one line, the package's version from
 * package.json and, when the package is a git checkout, the commit checked out, and
 * exits 0; the real command prints the same.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { packageRoot } from "../../src/sim/package-root.ts";

const version = (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;

function checkedOutCommit(): string | undefined {
  try {
    return execFileSync("git", ["-C", packageRoot(), "rev-parse", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined; // no git, or not a checkout: the line names no commit
  }
}

describe("dst --version", () => {
  const commit = checkedOutCommit();
  const expected = `dst ${version}${commit === undefined ? "" : ` (git commit ${commit})`}`;

  for (const flag of ["--version", "-V"]) {
    it(flag, async () => {
      const out: string[] = [];
      const err: string[] = [];
      expect(await main([flag], { out: (text) => out.push(text), err: (text) => err.push(text) })).toBe(0);
      expect(out).toEqual([expected]);
      expect(err).toEqual([]);
    });
  }

  it("through the real command", () => {
    const child = spawnSync(process.execPath, [resolve("bin/dst.mjs"), "--version"], { encoding: "utf8" });
    expect(child.status).toBe(0);
    expect(child.stdout).toBe(`${expected}\n`);
  });
});
