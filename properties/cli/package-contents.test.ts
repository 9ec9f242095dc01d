/**
 * What `npm pack` ships: the bundles, their declarations, the command, the view's
 * client scripts and the lint rules; never a test, a benchmark, a fixture, reference
 * data, the sources of the systems or an example. The package.json's exports name
 * files the pack contains. The kits of the systems that do not need wa-sqlite (an
 * optional peer dependency) never import it, however their chunks are split.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";

interface PackEntry {
  files: Array<{ path: string }>;
}

/** The file list of `npm pack --dry-run`, with dist/ built first when a fresh checkout has none. */
function packedFiles(): string[] {
  if (!existsSync("dist/types/src/systems/raft-kv.d.ts") || !existsSync("dist/systems/raft-kv.mjs"))
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
      ...["harness", "raft-kv", "etcd", "gazette", "dqlite"].flatMap((name) => [
        `dist/systems/${name}.mjs`,
        `dist/types/src/systems/${name}.d.ts`,
      ]),
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

  it("the kits but dqlite's reach no wa-sqlite import (dqlite's does)", () => {
    const packages = (entry: string) => {
      const reached = new Set<string>();
      const bare = new Set<string>();
      const pending = [resolve(entry)];
      while (pending.length > 0) {
        const file = pending.pop()!;
        if (reached.has(file)) continue;
        reached.add(file);
        // esbuild begins each static import at the start of a line: `import { a,\n b } from "x";` or `import "x";`.
        const text = readFileSync(file, "utf8");
        for (const [, specifier] of text.matchAll(/^(?:import|export)\b[^;"]*?(?:from\s*)?"([^"]+)";/gm))
          if (specifier!.startsWith(".")) pending.push(resolve(dirname(file), specifier!));
          else bare.add(specifier!);
      }
      return [...bare];
    };
    for (const name of ["harness", "raft-kv", "etcd", "gazette"])
      expect(packages(`dist/systems/${name}.mjs`).filter((specifier) => specifier.startsWith("wa-sqlite"))).toEqual([]);
    expect(packages("dist/systems/dqlite.mjs")).toContain("wa-sqlite");
  });
});
