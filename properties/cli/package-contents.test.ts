/**
 * What `npm pack` ships: the bundles, their declarations, the command, the view's
 * client scripts and the lint rules; never a test, a benchmark, a fixture, reference
 * data, the sources of the systems or an example. The package.json's exports name
 * files the pack contains.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface PackEntry {
  files: Array<{ path: string }>;
}

/** The file list of `npm pack --dry-run`, with dist/ built first when a fresh checkout has none. */
function packedFiles(): string[] {
  if (!existsSync("dist/types/src/index.d.ts") || !existsSync("dist/index.mjs"))
    execFileSync(process.execPath, ["bin/build.mjs"], { stdio: "ignore" });
  const json = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return (JSON.parse(json) as PackEntry[])[0]!.files.map((file) => file.path).sort();
}

describe("npm pack", () => {
  const files = packedFiles();

  it("ships the command, the bundles, their declarations and the lint rules", () => {
    for (const path of [
      "bin/dst.mjs",
      "dist/cli.mjs",
      "dist/sweep-worker.mjs",
      "dist/index.mjs",
      "dist/vitest.mjs",
      "dist/types/src/index.d.ts",
      "dist/types/src/vitest/index.d.ts",
      "src/lint/determinism.mjs",
      "src/cli/view/client/main.js",
      "package.json",
      "README.md",
    ])
      expect(files).toContain(path);
  });

  it("ships no tests, benchmarks, fixtures, reference data, TypeScript sources or examples", () => {
    const unwanted = files.filter(
      (path) =>
        /^(properties|bench|testdata|scenarios|examples|\.ci|out)\//.test(path) ||
        /(^|\/)(_fixtures|_support|testdata)\//.test(path) ||
        /\.test\.[cm]?[jt]s$/.test(path) ||
        (/\.[cm]?ts$/.test(path) && !/\.d\.[cm]?ts$/.test(path)),
    );
    expect(unwanted).toEqual([]);
  });

  it("every export names a packed file", () => {
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = Object.values(manifest.exports).flatMap((target) =>
      typeof target === "string" ? [target] : Object.values(target),
    );
    for (const target of targets) expect(files).toContain(target.replace(/^\.\//, ""));
  });
});
