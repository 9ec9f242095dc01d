/**
 * The scenarios the `dst` command knows: a project's own, from its config file, or,
 * with none, the scenarios of the systems bundled with dst (scenarios/index.ts).
 *
 * A project names its scenarios in a config module: `--config <file>`, else the
 * first of CONFIG_FILE_NAMES in the current directory. The module exports
 * `{ scenarios: Scenario[] }` as its default export (defineConfig types it), or a
 * named `scenarios` array. TypeScript configs are loaded through tsx. A config that
 * cannot be loaded or exports no valid scenarios is a `ConfigError` (exit 2).
 *
 * A module that exports scenarios by name without a config's shape (a scenario
 * module) is read as the list of its exported scenarios.
 *
 * The bundled scenarios are imported only when no config is found: a project that
 * tests its own system never loads the sample systems (nor wa-sqlite, which only
 * they need). Sweep and hunt workers load the same config as the command that
 * started them (pool.ts hands it over), so every thread resolves the same names.
 *
 * Counterexamples name the module their scenario came from (`module`, a path
 * relative to the project's directory: moduleReference), so the commands on a
 * counterexample (replay, shrink, view, export) find it again without --config:
 * catalogueForCounterexample.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Scenario } from "../sim/runner.ts";

/** Config files looked for in the current directory, in this order. */
export const CONFIG_FILE_NAMES: readonly string[] = [
  "dst.config.mjs",
  "dst.config.js",
  "dst.config.ts",
  "dst.config.mts",
];

/** What a config module exports (as its default export, or `scenarios` as a named one). */
export interface DstConfig {
  readonly scenarios: readonly Scenario[];
}

/** A config file that cannot be found, loaded or understood: bad input, exit 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface ScenarioCatalogue {
  readonly scenarios: readonly Scenario[];
  /** The config module they came from (absolute path); undefined for the bundled systems' scenarios. */
  readonly configPath: string | undefined;
  find(name: string): Scenario | undefined;
}

/** Where to look for a config: an explicit file (relative to `cwd`), else `cwd` itself. */
export interface CatalogueOptions {
  readonly config?: string | undefined;
  readonly cwd?: string | undefined;
}

let selected: ScenarioCatalogue | undefined;
let builtIn: Promise<ScenarioCatalogue> | undefined;

/** The config file that applies: `options.config` resolved, else the first CONFIG_FILE_NAMES in the directory. */
export function findConfigFile(options: CatalogueOptions = {}): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  if (options.config !== undefined) {
    const path = isAbsolute(options.config) ? options.config : resolve(cwd, options.config);
    if (!existsSync(path) || !statSync(path).isFile()) throw new ConfigError(`config file ${path} does not exist`);
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => join(cwd, name)).find((path) => existsSync(path));
}

/** Loads the catalogue `options` name (a config's scenarios, or the bundled ones) without selecting it. */
export async function loadCatalogue(options: CatalogueOptions = {}): Promise<ScenarioCatalogue> {
  const path = findConfigFile(options);
  return path === undefined ? builtInCatalogue() : catalogueOf(await importConfig(path), path);
}

/**
 * Makes `catalogue` the one the commands use (the CLI's entry and each worker thread call this once); undefined
 * selects none, for the commands on a counterexample, which find its scenario's module (catalogueForCounterexample).
 */
export function selectCatalogue(catalogue: ScenarioCatalogue | undefined): void {
  selected = catalogue;
}

/** The selected catalogue, or the bundled scenarios when none was selected (a command called from a test). */
export async function activeCatalogue(): Promise<ScenarioCatalogue> {
  return selected ?? builtInCatalogue();
}

/** The selected catalogue, for the synchronous commands, which run only after the CLI's entry selected one. */
export function selectedCatalogue(): ScenarioCatalogue {
  if (selected === undefined) throw new Error("no scenario catalogue selected (loadCatalogue, then selectCatalogue)");
  return selected;
}

/** The bundled systems' scenarios, imported once, on first use. */
function builtInCatalogue(): Promise<ScenarioCatalogue> {
  builtIn ??= import("../../scenarios/index.ts").then(
    ({ SCENARIOS }) => catalogueOf({ scenarios: SCENARIOS }, undefined),
    (error: unknown) => {
      builtIn = undefined;
      throw new ConfigError(
        `no ${CONFIG_FILE_NAMES[0]} (or ${CONFIG_FILE_NAMES.slice(1).join(", ")}) here, and the bundled systems' ` +
          `scenarios cannot be loaded (${describe(error)}); write a config naming your scenarios, or pass --config <file>`,
      );
    },
  );
  return builtIn;
}

async function importConfig(path: string): Promise<unknown> {
  const extension = extname(path);
  try {
    if (extension === ".ts" || extension === ".mts" || extension === ".cts" || extension === ".tsx") {
      const { register } = await import("tsx/esm/api");
      register();
    }
    return await import(pathToFileURL(path).href);
  } catch (error) {
    const commonJs = commonJsPackage(path);
    if (commonJs !== undefined)
      throw new ConfigError(
        `cannot load config ${path}: ${commonJs} has no "type": "module", so Node loads the project's .ts and .js ` +
          `files as CommonJS, and dst-harness (and a scenario written as its README shows) is ES modules: ` +
          `run \`npm pkg set type=module\` in ${dirname(commonJs)} (Node said: ${describe(error)})`,
      );
    throw new ConfigError(`cannot load config ${path}: ${describe(error)}`);
  }
}

/**
 * The package.json that makes a config's project CommonJS (it has no "type": "module"), if it does: why a config
 * failed to load, where Node's own error (a require() cycle, an import outside a module) says nothing of the cause.
 */
export function commonJsPackage(path: string): string | undefined {
  const manifest = nearestPackageJson(dirname(path));
  return manifest === undefined || packageType(manifest) === "module" ? undefined : manifest;
}

function nearestPackageJson(directory: string): string | undefined {
  for (let current = directory; ; current = dirname(current)) {
    const manifest = join(current, "package.json");
    if (existsSync(manifest)) return manifest;
    if (dirname(current) === current) return undefined;
  }
}

function packageType(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: unknown }).type;
  } catch {
    return undefined; // an unreadable package.json: Node's own error says so
  }
}

/**
 * How a counterexample names the module its scenario came from: the path relative to `cwd` (the project's directory,
 * where dst and vitest run), with forward slashes; the absolute path when it lies outside. `module` is a path or a
 * file: URL (`import.meta.url`).
 */
export function moduleReference(module: string, cwd: string = process.cwd()): string {
  const absolute = module.startsWith("file:") ? fileURLToPath(module) : resolve(cwd, module);
  const relativePath = relative(cwd, absolute);
  if (relativePath === "" || relativePath.startsWith("..") || isAbsolute(relativePath)) return absolute;
  return relativePath.split(sep).join("/");
}

/**
 * The file a counterexample's module reference names: an absolute reference as it is; a relative one under the
 * nearest directory above the counterexample that holds it (the file lives in its project), else under `cwd`.
 */
export function findReferencedModule(
  reference: string,
  counterexamplePath: string,
  cwd: string = process.cwd(),
): string | undefined {
  if (isAbsolute(reference)) return existsSync(reference) ? reference : undefined;
  for (let directory = dirname(resolve(cwd, counterexamplePath)); ; directory = dirname(directory)) {
    const candidate = resolve(directory, reference);
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) break;
  }
  const inCwd = resolve(cwd, reference);
  return existsSync(inCwd) ? inCwd : undefined;
}

/** The module reference of the selected catalogue's config, for the counterexamples a command writes. */
export async function activeModuleReference(): Promise<string | undefined> {
  const { configPath } = await activeCatalogue();
  return configPath === undefined ? undefined : moduleReference(configPath);
}

/**
 * The catalogue a counterexample's scenario is found in: the selected one (--config), else the module the
 * counterexample names (`module`, found by findReferencedModule), else the config in the current directory or the
 * bundled scenarios. A named module that cannot be found is a ConfigError saying so.
 */
export async function catalogueForCounterexample(
  module: string | undefined,
  counterexamplePath: string,
): Promise<ScenarioCatalogue> {
  if (selected !== undefined) return selected;
  if (module === undefined) return loadCatalogue();
  const path = findReferencedModule(module, counterexamplePath);
  if (path === undefined)
    throw new ConfigError(
      `${counterexamplePath} names the module ${module}, which is not found above it nor in the current directory; ` +
        `pass --config <the module that exports its scenario>`,
    );
  return loadCatalogue({ config: path });
}

/** Validates what a config module exports: a non-empty array of scenarios with distinct names. */
export function catalogueOf(exported: unknown, path: string | undefined): ScenarioCatalogue {
  const where = path ?? "the bundled scenarios";
  const scenarios = scenariosExported(exported);
  if (!Array.isArray(scenarios))
    throw new ConfigError(
      `${where} exports no scenarios: expected \`export default { scenarios: [...] }\` (or a named \`scenarios\` array)`,
    );
  if (scenarios.length === 0) throw new ConfigError(`${where} exports an empty list of scenarios`);
  const byName = new Map<string, Scenario>();
  scenarios.forEach((scenario: unknown, index) => {
    const problem = scenarioProblem(scenario);
    if (problem !== undefined) throw new ConfigError(`${where}: scenario ${index + 1} ${problem}`);
    const { name } = scenario as Scenario;
    if (byName.has(name)) throw new ConfigError(`${where}: two scenarios are named "${name}"`);
    byName.set(name, scenario as Scenario);
  });
  return { scenarios: [...byName.values()], configPath: path, find: (name) => byName.get(name) };
}

/** A config's scenarios (default export, or a named `scenarios`), else a scenario module's exported scenarios. */
function scenariosExported(exported: unknown): unknown {
  if (typeof exported !== "object" || exported === null) return undefined;
  const module = exported as { default?: unknown; scenarios?: unknown };
  const fromDefault =
    typeof module.default === "object" && module.default !== null
      ? (module.default as { scenarios?: unknown }).scenarios
      : undefined;
  const listed = fromDefault ?? module.scenarios;
  if (listed !== undefined) return listed;
  const named = Object.entries(exported)
    .filter(([name]) => name !== "default")
    .map(([, value]) => value as unknown)
    .filter((value) => scenarioProblem(value) === undefined);
  return named.length > 0 ? named : undefined;
}

/** Why `value` is not a scenario the runner can run, or undefined. */
function scenarioProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "is not an object";
  const scenario = value as Partial<Record<keyof Scenario, unknown>>;
  if (typeof scenario.name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(scenario.name))
    return "has no kebab-case `name`";
  if (scenario.name === "all") return 'is named "all", which dst sweep and dst hunt reserve';
  if (typeof scenario.description !== "string") return `("${scenario.name}") has no \`description\``;
  if (typeof scenario.setup !== "function") return `("${scenario.name}") has no \`setup\` function`;
  for (const field of ["safetyMs", "livenessMs"] as const) {
    const ms = scenario[field];
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)
      return `("${scenario.name}") has no non-negative \`${field}\``;
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split("\n")[0] ?? ""}` : String(error);
}
