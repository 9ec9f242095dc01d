/**
 * Invariant: the variant catalogue (scenarios/variant-catalogue) lists every named
 * broken variant of the code, entry by entry, and every entry can be trusted: a
 * swept entry's scenario offers its variant, a property entry's test file exists and
 * names the variant (or the set it belongs to), and only Gazette and etcd entries
 * may still be pending their plumbing.
 * Method: the variant sets are enumerated at run time (imported), the simulator's
 * fixtures from their modules' exports, the scenarios' own `variants` from the
 * registry; and a scan of the sources for variant-set declarations (any exported
 * `*BROKEN*` constant or `*Broken*` union type in src/impl, scenarios/ and the
 * properties' fixtures) fails on a set this test does not know, so a new set cannot
 * stay out of the catalogue.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../../scenarios/index.ts";
import {
  VARIANT_CATALOGUE,
  VARIANT_COMPONENTS,
  entryKey,
  type VariantComponent,
} from "../../../scenarios/variant-catalogue/index.ts";
import { packageRoot } from "../../../src/sim/package-root.ts";
import {
  CATALOGUED_SETS,
  scanVariantSets,
  SIMULATOR_FIXTURE_FILES_OUTSIDE_RUNS,
  SIMULATOR_FIXTURES,
  type CataloguedSet,
} from "./_support/variant-sets.ts";

const ROOT = packageRoot();

/** The variant names the code gives each component. */
function codeNamesByComponent(): Map<VariantComponent, Set<string>> {
  const names = new Map<VariantComponent, Set<string>>();
  const add = (component: VariantComponent, name: string) =>
    names.set(component, (names.get(component) ?? new Set()).add(name));
  for (const set of CATALOGUED_SETS)
    if (set.component !== "aggregate") for (const name of set.names()) add(set.component, name);
  for (const fixture of SIMULATOR_FIXTURES) for (const name of fixture.names()) add(fixture.component, name);
  return names;
}

describe("the variant catalogue", () => {
  it("lists every variant the code names, component by component, and nothing else", () => {
    const code = codeNamesByComponent();
    for (const component of Object.keys(VARIANT_COMPONENTS) as VariantComponent[]) {
      const catalogued = VARIANT_CATALOGUE.filter((entry) => entry.component === component)
        .map((entry) => entry.variant)
        .sort();
      expect(catalogued, `catalogue entries of ${component} (${VARIANT_COMPONENTS[component].definedIn})`).toEqual(
        [...(code.get(component) ?? [])].sort(),
      );
    }
  });

  it("knows every variant set declared in the sources, and every set it knows is still there", () => {
    const scanned = scanVariantSets(ROOT)
      .map((set) => `${set.file}#${set.declaration}`)
      .sort();
    const known = CATALOGUED_SETS.map((set) => `${set.file}#${set.declaration}`).sort();
    expect(
      scanned,
      "a variant set declared in the code that the catalogue test does not know: catalogue its variants, then add it to CATALOGUED_SETS",
    ).toEqual(known);
  });

  it("classifies every simulator fixture file: a broken part of a run, or a tool of a property", () => {
    const folder = "properties/sim/_fixtures";
    const files = readdirSync(join(ROOT, folder))
      .map((name) => `${folder}/${name}`)
      .sort();
    const classified = new Set([
      ...SIMULATOR_FIXTURES.map((fixture) => fixture.file),
      ...Object.keys(SIMULATOR_FIXTURE_FILES_OUTSIDE_RUNS),
    ]);
    expect(files, "a simulator fixture file neither catalogued nor classified as outside runs").toEqual(
      [...classified].filter((file) => file.startsWith(`${folder}/`)).sort(),
    );
  });

  it("catalogues every name of the sets that combine others (under any component)", () => {
    const catalogued = new Set(VARIANT_CATALOGUE.map((entry) => entry.variant));
    const aggregates = CATALOGUED_SETS.filter((set): set is CataloguedSet => set.component === "aggregate");
    for (const set of aggregates)
      for (const name of set.names())
        expect(catalogued.has(name), `${name} of ${set.file}#${set.declaration}`).toBe(true);
  });

  it("catalogues every variant a scenario offers", () => {
    const catalogued = new Set(VARIANT_CATALOGUE.map((entry) => entry.variant));
    for (const scenario of SCENARIOS) {
      for (const variant of Object.keys(scenario.variants ?? {}))
        expect(catalogued.has(variant), `${scenario.name} offers ${variant}`).toBe(true);
    }
  });

  it("names, for each swept entry, a scenario that offers its variant", () => {
    for (const entry of VARIANT_CATALOGUE) {
      if (entry.kind !== "swept") continue;
      const scenario = SCENARIOS.find((candidate) => candidate.name === entry.scenario);
      expect(scenario, `${entryKey(entry)}: scenario ${entry.scenario}`).toBeDefined();
      expect(
        scenario?.variants?.[entry.variant],
        `${entryKey(entry)}: ${entry.scenario} offers no such variant`,
      ).toBeDefined();
    }
  });

  it("names, for each property entry, a test file that exists and names the variant or its set", () => {
    const setNames = new Map<VariantComponent, string[]>();
    for (const set of [...CATALOGUED_SETS, ...SIMULATOR_FIXTURES])
      if (set.component !== "aggregate")
        setNames.set(set.component, [...(setNames.get(set.component) ?? []), set.declaration]);
    for (const entry of VARIANT_CATALOGUE) {
      if (entry.kind !== "property") continue;
      const path = join(ROOT, entry.property);
      expect(
        existsSync(path) && entry.property.endsWith(".test.ts"),
        `${entryKey(entry)}: ${entry.property} is no test file`,
      ).toBe(true);
      const text = readFileSync(path, "utf8");
      const named = [entry.variant, ...(setNames.get(entry.component) ?? [])].some((name) => text.includes(name));
      expect(named, `${entryKey(entry)}: ${entry.property} names neither the variant nor its set`).toBe(true);
      expect(entry.reason.length, `${entryKey(entry)}: a reason`).toBeGreaterThan(20);
    }
  });

  it("leaves only Gazette and etcd entries pending, and lists each variant of a component once", () => {
    for (const entry of VARIANT_CATALOGUE) {
      if (entry.kind === "pending")
        expect(["gazette", "etcd"], `${entryKey(entry)} is pending`).toContain(
          VARIANT_COMPONENTS[entry.component].system,
        );
    }
    const keys = VARIANT_CATALOGUE.map(entryKey);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });
});
