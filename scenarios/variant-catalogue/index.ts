/**
 * The variant catalogue: every named broken variant in the project, with the
 * scenario whose sweep catches it (`dst variants` runs those sweeps), or why no
 * sweep can and the property test that catches it. The catalogue test
 * (properties/scenarios/variant-catalogue/catalogue.test.ts) keeps it complete: every variant
 * set in the code is listed here, entry by entry; every scenario named offers its
 * variant; every property file named exists.
 */
import type { CatalogueEntry } from "./entry.ts";
import { GAZETTE_ETCD_ENTRIES } from "./gazette-etcd.ts";
import { SIMULATOR_ENTRIES } from "./simulator.ts";
import { SYSTEM_ENTRIES } from "./systems.ts";

export { entryKey, PENDING_PLUMBING, VARIANT_COMPONENTS, VARIANT_SEEDS_MAX } from "./entry.ts";
export type { CatalogueEntry, PendingEntry, PropertyEntry, SweptEntry, VariantComponent } from "./entry.ts";

/** Every entry, in the order `dst variants` runs them: the cheap systems first, the simulator's last. */
export const VARIANT_CATALOGUE: readonly CatalogueEntry[] = [
  ...SYSTEM_ENTRIES,
  ...GAZETTE_ETCD_ENTRIES,
  ...SIMULATOR_ENTRIES,
];
