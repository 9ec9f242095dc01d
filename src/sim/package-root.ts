/**
 * Where this package lives on disk, whether it runs from its TypeScript sources
 * or from the bundles in dist/ (bin/build.mjs): the nearest directory above this
 * module that holds the package's package.json. Files the tools read at run time
 * (the checker's reference data, the view's client scripts, the sources that the
 * coverage report scans) are found from here, never from a module's own URL,
 * which bundling moves.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's name in its package.json. */
export const PACKAGE_NAME = "dst-harness";

let cached: string | undefined;

/** The package's root directory. Throws if no package.json of this package is above this module. */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let directory = dirname(fileURLToPath(import.meta.url));
  while (true) {
    const manifest = join(directory, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME
    ) {
      cached = directory;
      return directory;
    }
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error(`no package.json of ${PACKAGE_NAME} above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}
