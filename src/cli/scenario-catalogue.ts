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
 * The bundled scenarios are imported only when no config is found: a project that
 * tests its own system never loads the sample systems (nor wa-sqlite, which only
 * they need). Sweep and hunt workers load the same config as the command that
 * started them (pool.ts hands it over), so every thread resolves the same names.
 */
import { existsSync, statSync } from "node:fs";
import { extname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
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

/** Makes `catalogue` the one the commands use (the CLI's entry and each worker thread call this once). */
export function selectCatalogue(catalogue: ScenarioCatalogue): void {
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
    throw new ConfigError(`cannot load config ${path}: ${describe(error)}`);
  }
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

function scenariosExported(exported: unknown): unknown {
  if (typeof exported !== "object" || exported === null) return undefined;
  const module = exported as { default?: unknown; scenarios?: unknown };
  const fromDefault =
    typeof module.default === "object" && module.default !== null
      ? (module.default as { scenarios?: unknown }).scenarios
      : undefined;
  return fromDefault ?? module.scenarios;
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
