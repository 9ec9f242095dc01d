#!/usr/bin/env node
// Builds dist/: the `dst` command, the sweep worker and the package's public entries
// (index: the API; vitest: the test helper; systems/*: the bundled systems' cluster
// kits) as ES modules sharing their chunks (one copy of each module, whichever entry
// loaded it first), bundled from the TypeScript sources with esbuild; with `types`,
// their declarations in dist/types (tsc, then pruned to what the public entries
// reach); and dist/build-info.json, which lists
// every source the bundles were built from with its size and modification time, so
// that bin/dst.mjs can tell when a source changed since and rebuild. Run by `npm ci`
// and `npm install` (the prepare script), and by bin/dst.mjs when the sources changed
// (without the declarations: `npm run build` remakes them).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(ROOT, "dist");
export const BUILD_INFO = join(DIST, "build-info.json");
export const TYPES = join(DIST, "types");
/** The bundled systems' kits, one entry each (dqlite's alone needs wa-sqlite, which the others must not import). */
const SYSTEMS = ["harness", "raft-kv", "etcd", "gazette", "dqlite"];
/** The declarations of the package's public entries (package.json's exports point at them). */
const TYPE_ENTRIES = ["src/index.d.ts", "src/vitest/index.d.ts", ...SYSTEMS.map((name) => `src/systems/${name}.d.ts`)];

/**
 * Builds the bundles; returns the build info written. Each file is written to a
 * temporary name and renamed into place (build info last), so a `dst` starting
 * meanwhile loads either the old build or the new one, never half of one.
 * `clean` empties dist/ first (a full build); a rebuild keeps older chunks, which
 * a process that loaded the old build may still be importing. `types` also writes
 * the declarations (slow: the `dst` command's rebuilds leave them as they are).
 */
export async function build({ clean = false, types = false } = {}) {
  const { build: esbuild } = await import("esbuild");
  if (clean) rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, "chunks"), { recursive: true });
  mkdirSync(join(DIST, "systems"), { recursive: true });
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: {
      cli: "src/cli/main.ts",
      "sweep-worker": "src/cli/sweep/worker.ts",
      index: "src/index.ts",
      vitest: "src/vitest/index.ts",
      ...Object.fromEntries(SYSTEMS.map((name) => [`systems/${name}`, `src/systems/${name}.ts`])),
    },
    outdir: DIST,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Packages are bundled too (resolving and reading hundreds of package files
    // cost more at start-up than the code itself), except wa-sqlite, which reads
    // its .wasm file next to its own modules, esbuild, tsx (its loader hooks are
    // files of its own), and the peer dependencies, fast-check and vitest, which
    // must be the user's own copies (an arbitrary or a test of theirs meets ours).
    external: ["wa-sqlite", "wa-sqlite/*", "esbuild", "tsx", "tsx/*", "fast-check", "vitest"],
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
  if (types) buildTypes();
  const info = { format: "dst-build", version: 1, inputs };
  writeAtomically(BUILD_INFO, `${JSON.stringify(info)}\n`);
  return info;
}

/** Declarations of the public entries (tsconfig.build.json), keeping only the files they reach. */
function buildTypes() {
  rmSync(TYPES, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status})`);
  const reached = new Set();
  const pending = TYPE_ENTRIES.map((entry) => join(TYPES, entry));
  while (pending.length > 0) {
    const file = pending.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), specifier.replace(/\.ts$/, ".d.ts"));
      if (!existsSync(target)) throw new Error(`${relative(ROOT, file)}: no declaration for ${specifier}`);
      pending.push(target);
    }
  }
  for (const file of filesUnder(TYPES)) if (!reached.has(file)) rmSync(file);
}

function filesUnder(directory) {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === "") {
  const start = performance.now();
  const info = await build({ clean: true, types: !process.argv.includes("--no-types") });
  process.stdout.write(
    `dst: built dist/ from ${info.inputs.length} sources in ${Math.round(performance.now() - start)} ms\n`,
  );
}
