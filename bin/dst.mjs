#!/usr/bin/env node
// The `dst` command. It runs the bundle in dist/ (bin/build.mjs, made by npm ci and
// npm install), rebuilt first when a source it was built from changed since; with
// no bundle and no way to build one, or with DST_FROM_SOURCES=1, it loads the
// TypeScript sources through tsx instead (the same code, a second slower to start).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist", "cli.mjs");
const BUILD_INFO = join(ROOT, "dist", "build-info.json");
// The TypeScript sources: present in a checkout, absent from an installed package (which ships src/lint only).
const SOURCES = join(ROOT, "src", "cli", "main.ts");

// A reader that goes away (`dst sweep ... | head`) ends the output quietly, not with a trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));

async function loadMain() {
  if (process.env.DST_FROM_SOURCES !== "1" && (await bundleReady()))
    return (await import(pathToFileURL(CLI).href)).main;
  const { register } = await import("tsx/esm/api");
  register();
  return (await import("../src/cli/main.ts")).main;
}

/** True when dist/ holds a bundle built from the sources as they are (rebuilding it if a source changed). */
async function bundleReady() {
  if (existsSync(CLI) && existsSync(BUILD_INFO) && !sourcesChanged()) return true;
  if (!existsSync(SOURCES)) return existsSync(CLI);
  try {
    const { build } = await import("./build.mjs");
    await build();
    return true;
  } catch {
    return false; // no esbuild here (an install without dev dependencies): run the sources
  }
}

/**
 * Whether any source the bundle was built from changed, moved or went away (none to compare in an install without
 * sources).
 */
function sourcesChanged() {
  if (!existsSync(SOURCES)) return false;
  let info;
  try {
    info = JSON.parse(readFileSync(BUILD_INFO, "utf8"));
  } catch {
    return true;
  }
  if (info?.format !== "dst-build" || !Array.isArray(info.inputs)) return true;
  for (const input of info.inputs) {
    let stat;
    try {
      stat = statSync(join(ROOT, input.path));
    } catch {
      return true;
    }
    if (stat.size !== input.size || stat.mtimeMs !== input.mtimeMs) return true;
  }
  return false;
}
