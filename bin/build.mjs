#!/usr/bin/env node
// Builds dist/: the `dst` command and the sweep worker as two ES modules, bundled
// from the TypeScript sources with esbuild (packages stay external), and
// dist/build-info.json, which lists every source the bundles were built from with
// its size and modification time, so that bin/dst.mjs can tell when a source
// changed since and rebuild. Run by `npm ci` and `npm install` (the prepare
// script), and by bin/dst.mjs when the sources changed.
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(ROOT, "dist");
export const BUILD_INFO = join(DIST, "build-info.json");

/**
 * Builds the bundles; returns the build info written. Each file is written to a
 * temporary name and renamed into place (build info last), so a `dst` starting
 * meanwhile loads either the old build or the new one, never half of one.
 * `clean` empties dist/ first (a full build); a rebuild keeps older chunks, which
 * a process that loaded the old build may still be importing.
 */
export async function build({ clean = false } = {}) {
  const { build: esbuild } = await import("esbuild");
  if (clean) rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, "chunks"), { recursive: true });
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: { cli: "src/cli/main.ts", "sweep-worker": "src/cli/sweep/worker.ts" },
    outdir: DIST,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Packages are bundled too (resolving and reading hundreds of package files
    // cost more at start-up than the code itself), except wa-sqlite, which reads
    // its .wasm file next to its own modules, and esbuild.
    external: ["wa-sqlite", "wa-sqlite/*", "esbuild"],
    banner: {
      js: 'import { createRequire as __dstCreateRequire } from "node:module"; const require = __dstCreateRequire(import.meta.url);',
    },
    metafile: true,
    write: false,
    define: { DST_BUNDLED: "true" },
    logLevel: "warning",
    chunkNames: "chunks/[name]-[hash]",
  });
  // Chunks first, then the entry modules that import them.
  const outputs = [...result.outputFiles].sort(
    (left, right) => Number(!left.path.includes("/chunks/")) - Number(!right.path.includes("/chunks/")),
  );
  for (const file of outputs) writeAtomically(file.path, file.contents);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((path) => !path.startsWith("node_modules/"))
    .sort()
    .map((path) => {
      const stat = statSync(join(ROOT, path));
      return { path, size: stat.size, mtimeMs: stat.mtimeMs };
    });
  const info = { format: "dst-build", version: 1, inputs };
  writeAtomically(BUILD_INFO, `${JSON.stringify(info)}\n`);
  return info;
}

function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === "") {
  const start = performance.now();
  const info = await build({ clean: true });
  process.stdout.write(
    `dst: built dist/ from ${info.inputs.length} sources in ${Math.round(performance.now() - start)} ms\n`,
  );
}
