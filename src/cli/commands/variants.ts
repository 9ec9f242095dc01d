/**
 * `dst variants`: the variant catalogue as a table. For every swept entry, its
 * scenario's seeds in order until the first on which the variant fails and the
 * unmodified code passes (the sweep's worker pool runs them; the seed reported does
 * not depend on the number of workers); then the entries no sweep can reach, with
 * their reason and property, and the pending ones. Exits 1 when a swept entry is
 * not caught within the seed range, so it can gate.
 */
import { SingleBar } from "cli-progress";
import { findScenario } from "../../../scenarios/index.ts";
import {
  VARIANT_CATALOGUE,
  VARIANT_COMPONENTS,
  VARIANT_SEEDS_MAX,
  entryKey,
  type CatalogueEntry,
  type PendingEntry,
  type PropertyEntry,
  type SweptEntry,
} from "../../../scenarios/variant-catalogue/index.ts";
import { EXIT_OK, EXIT_VIOLATION } from "../exit-codes.ts";
import { parseSeedRange, UsageError } from "../input.ts";
import type { Output } from "../main.ts";
import { driveSearches } from "../variants/drive.ts";
import { reportJson, reportText, type VariantsReport } from "../variants/report.ts";
import { VariantsResultsFile } from "../variants/results-file.ts";
import { parseWorkers } from "./sweep.ts";

export interface VariantsCommandOptions {
  seeds: string;
  only?: string[];
  workers?: string;
  json?: boolean;
  out?: string;
  progress: boolean;
}

/** The default seed range: issue 20's bound on a catching sweep. */
export const VARIANT_SEEDS_DEFAULT = `1..${VARIANT_SEEDS_MAX}`;

export async function variantsCommand(options: VariantsCommandOptions, output: Output): Promise<number> {
  const seeds = parseSeedRange(options.seeds);
  const workers = parseWorkers(options.workers);
  const entries = selectEntries(VARIANT_CATALOGUE, options.only ?? []);
  const resultsFile = options.out === undefined ? undefined : new VariantsResultsFile(options.out);
  const swept = entries.filter((entry): entry is SweptEntry => entry.kind === "swept");
  for (const entry of swept) requireOffered(entry);
  resultsFile?.begin();
  const bar =
    options.progress && process.stderr.isTTY && swept.length > 0
      ? new SingleBar({ format: "{bar} {value}/{total} variants | last: {last}", hideCursor: true })
      : undefined;
  bar?.start(swept.length, 0, { last: "-" });
  const start = performance.now();
  let settled = 0;
  const results = await driveSearches(swept, {
    seeds,
    workers,
    onSettled: (result) => {
      resultsFile?.settled(result);
      bar?.update(++settled, {
        last: `${result.entry.variant} ${result.outcome.caught ? `seed ${result.outcome.seed}` : "not caught"}`,
      });
    },
  });
  bar?.stop();
  const report: VariantsReport = {
    seeds,
    workers,
    wallMs: performance.now() - start,
    swept: results,
    property: entries.filter((entry): entry is PropertyEntry => entry.kind === "property"),
    pending: entries.filter((entry): entry is PendingEntry => entry.kind === "pending"),
  };
  resultsFile?.finish(report);
  output.out(options.json === true ? reportJson(report) : reportText(report));
  return results.every((result) => result.outcome.caught) ? EXIT_OK : EXIT_VIOLATION;
}

/**
 * The entries `--only` names, in catalogue order (all without it). A name selects
 * every entry whose variant, `component/variant`, component or system it is; a name
 * that selects nothing is refused.
 */
export function selectEntries(catalogue: readonly CatalogueEntry[], only: readonly string[]): CatalogueEntry[] {
  const names = only
    .flatMap((text) => text.split(","))
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0) return [...catalogue];
  const matches = (entry: CatalogueEntry, name: string) =>
    entry.variant === name ||
    entryKey(entry) === name ||
    entry.component === name ||
    VARIANT_COMPONENTS[entry.component].system === name;
  for (const name of names) {
    if (!catalogue.some((entry) => matches(entry, name))) {
      throw new UsageError(
        `--only "${name}" names no catalogue entry (a variant, component/variant, component or system: dst variants --json lists them)`,
      );
    }
  }
  return catalogue.filter((entry) => names.some((name) => matches(entry, name)));
}

/** A swept entry's scenario must exist and offer its variant: a catalogue that says otherwise is a defect. */
function requireOffered(entry: SweptEntry): void {
  const scenario = findScenario(entry.scenario);
  if (scenario?.variants?.[entry.variant] === undefined) {
    throw new Error(
      `variant catalogue: ${entryKey(entry)} names scenario ${entry.scenario}, which does not offer that variant`,
    );
  }
}
