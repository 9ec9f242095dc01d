/**
 * The page's script: the browser modules in `client/` joined into one inline
 * script. The modules are plain ES modules (so lint checks their imports and
 * names); joining drops their `import` lines and `export` keywords and wraps the
 * whole in one function scope. Top-level names are therefore unique across them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../sim/package-root.ts";

/** The modules in dependency order (each after the ones it imports). */
export const CLIENT_MODULES: readonly string[] = [
  "palette.js",
  "time-axis.js",
  "view-data.js",
  "view-state.js",
  "viewport.js",
  "diagram-layout.js",
  "draw-background.js",
  "draw-traffic.js",
  "draw-marks.js",
  "draw-violation-operations.js",
  "hit-testing.js",
  "event-list.js",
  "filters.js",
  "details.js",
  "legend.js",
  "summary.js",
  "violations.js",
  "diagram.js",
  "main.js",
];

let cached: string | undefined;

/** The joined script (read once per process). */
export function clientScript(): string {
  if (cached !== undefined) return cached;
  const parts = CLIENT_MODULES.map((name) => {
    const source = readFileSync(join(packageRoot(), "src", "cli", "view", "client", name), "utf8");
    return `// ---- ${name}\n${stripModuleSyntax(source, name)}`;
  });
  cached = `"use strict";\n(() => {\n${parts.join("\n")}\n})();\n`;
  return cached;
}

/** Drops import lines and export keywords; anything else module-only is refused (it would not run inline). */
export function stripModuleSyntax(source: string, name: string): string {
  // An import of a sibling module, on one line or spread over several (as Prettier writes a long one).
  const withoutImports = source.replace(/^import\s[^;]*?\sfrom\s+"\.\/[\w-]+\.js";[ \t]*\n?/gm, "");
  const text = withoutImports.replace(/^export (?=(async )?function |const |let |class )/gm, "");
  if (/^\s*(import|export)\b/m.test(text))
    throw new Error(
      `client module ${name}: only relative imports of sibling modules and 'export' declarations are supported`,
    );
  if (text.includes("</script")) throw new Error(`client module ${name}: must not contain "</script"`);
  return text;
}
