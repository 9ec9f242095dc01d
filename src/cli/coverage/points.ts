/**
 * The static registry of rare-path points: every `probe("system.point")` and
 * `buggify("system.point")` in src/impl and scenarios/, found by scanning the source. Point names
 * are string literals by convention (`system.point-name`), so the scan is complete;
 * a test checks that every point hit at run time is in it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { packageRoot } from "../../sim/package-root.ts";

export type PointKind = "probe" | "buggify";

export interface Point {
  kind: PointKind;
  name: string;
  /** Source locations, "file:line", relative to the repository. */
  locations: string[];
}

const REPOSITORY_ROOT = packageRoot();
export const IMPLEMENTATION_ROOT = join(REPOSITORY_ROOT, "src", "impl");
/** Where points live: the systems, and the scenarios' own workloads. */
export const POINT_ROOTS = [IMPLEMENTATION_ROOT, join(REPOSITORY_ROOT, "scenarios")];

/**
 * A call of a probe or buggify function (`probe(`, `#probe(`, `probe?.(`,
 * `env.buggify(`), optionally after one identifier argument (`probe(state, "…")`),
 * whose argument is a literal dotted name.
 */
const POINT_CALL =
  /(?:^|[^\w$])#?(probe|buggify)\s*(?:\?\.)?\(\s*(?:[A-Za-z_$][\w$.]*\s*,\s*)?(["'])([a-z][\w-]*(?:\.[\w-]+)+)\2/g;

/** The roots to scan for a catalogue's points: its config's directory, else src/impl and scenarios. */
export function pointRootsOf(catalogue: { readonly configPath: string | undefined }): readonly string[] {
  return catalogue.configPath === undefined ? POINT_ROOTS : [dirname(catalogue.configPath)];
}

/** Scans `roots` (default src/impl and scenarios) for points, sorted by kind and name. */
export function scanPoints(roots: readonly string[] = POINT_ROOTS): Point[] {
  const points = new Map<string, Point>();
  for (const { text, locationAt } of codeFiles(roots)) {
    for (const match of text.matchAll(POINT_CALL)) {
      const kind = match[1] as PointKind;
      const name = match[3] as string;
      const key = `${kind}:${name}`;
      const point = points.get(key) ?? { kind, name, locations: [] };
      point.locations.push(locationAt(match.index + match[0].indexOf(kind)));
      points.set(key, point);
    }
  }
  return [...points.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/**
 * A probe or buggify call whose name is built (a template literal, a concatenation, a condition): the scan cannot
 * see it.
 */
const BUILT_NAME_CALL =
  /(?:^|[^\w$])#?(?:probe|buggify)\s*(?:\?\.)?\(\s*(?:[A-Za-z_$][\w$.]*\s*,\s*)?(?:`|["'][^"']*["']\s*\+|[^"'\s)][^,)]*\?)/g;

/** "file:line" of every point whose name is not a literal, so the registry would miss it (should be none). */
export function findBuiltPointNames(roots: readonly string[] = POINT_ROOTS): string[] {
  return codeFiles(roots).flatMap(({ text, locationAt }) =>
    [...text.matchAll(BUILT_NAME_CALL)].map((match) => locationAt(match.index + match[0].search(/probe|buggify/))),
  );
}

/**
 * The code of every source file under `roots`, comment-only lines blanked (so a
 * call Prettier spreads over several lines is still one match), with a way to
 * turn an offset into its "file:line".
 */
function codeFiles(roots: readonly string[]): Array<{ text: string; locationAt(offset: number): string }> {
  return roots
    .flatMap((root) => sourceFiles(root))
    .map((file) => {
      const lines = readFileSync(file, "utf8")
        .split("\n")
        .map((line) => (/^\s*(\/\/|\*)/.test(line) ? "" : line));
      const text = lines.join("\n");
      const where = relative(REPOSITORY_ROOT, file);
      return { text, locationAt: (offset: number) => `${where}:${text.slice(0, offset).split("\n").length}` };
    });
}

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(directory, entry.name);
      if (entry.isDirectory() && (entry.name === "node_modules" || entry.name.startsWith("."))) continue;
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) files.push(path);
    }
  };
  if (existsSync(root)) visit(root); // an installed package ships no src/impl
  return files;
}
