/**
 * The broken variants of Gazette's server side (brokers and fragment store), by
 * name, and how a scenario's variant reaches the part it breaks: every broker
 * of the run gets it through BrokerOptions.brokenVariants (the store's through
 * its own options). A scenario offers the ones its workload and faults exercise
 * (`pickVariants`); the names are unique across the parts.
 */
import { ALLOCATOR_BROKEN_VARIANTS, type AllocatorBrokenVariant } from "../../src/impl/gazette/broker/allocator.ts";
import { ANNOUNCE_BROKEN_VARIANTS, type AnnounceBrokenVariant } from "../../src/impl/gazette/broker/announce.ts";
import { REPLICATION_BROKEN_VARIANTS, type ReplicationBrokenVariant } from "../../src/impl/gazette/broker/append.ts";
import type { BrokerOptions } from "../../src/impl/gazette/broker/broker.ts";
import { COVER_SET_BROKEN_VARIANTS, type CoverSetBrokenVariant } from "../../src/impl/gazette/broker/fragment/cover-set.ts";
import { INDEX_REFRESH_BROKEN_VARIANTS, type IndexRefreshBrokenVariant } from "../../src/impl/gazette/broker/fragment/index-refresh.ts";
import { INDEX_BROKEN_VARIANTS, type IndexBrokenVariant } from "../../src/impl/gazette/broker/fragment/index.ts";
import { PERSISTER_BROKEN_VARIANTS, type PersisterBrokenVariant } from "../../src/impl/gazette/broker/fragment/persister.ts";
import { SPOOL_BROKEN_VARIANTS, type SpoolBrokenVariant } from "../../src/impl/gazette/broker/fragment/spool.ts";
import { STORE_BROKEN_VARIANTS, type StoreBrokenVariant } from "../../src/impl/gazette/broker/fragment/store.ts";
import { KEYSPACE_BROKEN_VARIANTS, type KeySpaceBrokenVariant } from "../../src/impl/gazette/broker/keyspace.ts";
import { LIST_APPLY_BROKEN_VARIANTS, type ListApplyBrokenVariant } from "../../src/impl/gazette/broker/list-apply.ts";
import { READ_BROKEN_VARIANTS, type ReadBrokenVariant } from "../../src/impl/gazette/broker/read.ts";
import { RESOLVER_BROKEN_VARIANTS, type ResolverBrokenVariant } from "../../src/impl/gazette/broker/resolver.ts";

type BrokerVariants = NonNullable<BrokerOptions["brokenVariants"]>;

/** Each part's variants, and the BrokerOptions field that carries them. */
const BROKER_PARTS: ReadonlyArray<readonly [keyof BrokerVariants, Readonly<Record<string, string>>]> = [
  ["replication", REPLICATION_BROKEN_VARIANTS],
  ["read", READ_BROKEN_VARIANTS],
  ["index", INDEX_BROKEN_VARIANTS],
  ["indexRefresh", INDEX_REFRESH_BROKEN_VARIANTS],
  ["allocator", ALLOCATOR_BROKEN_VARIANTS],
  ["keyspace", KEYSPACE_BROKEN_VARIANTS],
  ["announce", ANNOUNCE_BROKEN_VARIANTS],
  ["resolver", RESOLVER_BROKEN_VARIANTS],
  ["listApply", LIST_APPLY_BROKEN_VARIANTS],
  ["persister", PERSISTER_BROKEN_VARIANTS],
  ["spool", SPOOL_BROKEN_VARIANTS],
  ["coverSet", COVER_SET_BROKEN_VARIANTS],
];

/** Every broken variant of the brokers and the fragment store, by name, with what it breaks. */
export const GAZETTE_SERVER_VARIANTS: Readonly<Record<GazetteServerVariant, string>> = {
  ...REPLICATION_BROKEN_VARIANTS,
  ...READ_BROKEN_VARIANTS,
  ...INDEX_BROKEN_VARIANTS,
  ...INDEX_REFRESH_BROKEN_VARIANTS,
  ...ALLOCATOR_BROKEN_VARIANTS,
  ...KEYSPACE_BROKEN_VARIANTS,
  ...ANNOUNCE_BROKEN_VARIANTS,
  ...RESOLVER_BROKEN_VARIANTS,
  ...LIST_APPLY_BROKEN_VARIANTS,
  ...PERSISTER_BROKEN_VARIANTS,
  ...SPOOL_BROKEN_VARIANTS,
  ...COVER_SET_BROKEN_VARIANTS,
  ...STORE_BROKEN_VARIANTS,
};

export type GazetteServerVariant =
  | ReplicationBrokenVariant
  | ReadBrokenVariant
  | IndexBrokenVariant
  | IndexRefreshBrokenVariant
  | AllocatorBrokenVariant
  | KeySpaceBrokenVariant
  | AnnounceBrokenVariant
  | ResolverBrokenVariant
  | ListApplyBrokenVariant
  | PersisterBrokenVariant
  | SpoolBrokenVariant
  | CoverSetBrokenVariant
  | StoreBrokenVariant;

/** The brokers' options for a run's variant (undefined when it is none of theirs). */
export function brokerVariantsOf(variant: string | undefined): BrokerVariants | undefined {
  if (variant === undefined) return undefined;
  const part = BROKER_PARTS.find(([, variants]) => variant in variants);
  return part === undefined ? undefined : ({ [part[0]]: variant } as BrokerVariants);
}

/** The fragment store's variant for a run's variant (undefined when it is none of its). */
export function storeVariantOf(variant: string | undefined): StoreBrokenVariant | undefined {
  return variant !== undefined && variant in STORE_BROKEN_VARIANTS ? (variant as StoreBrokenVariant) : undefined;
}

/** The named server variants, with their descriptions, for a scenario's `variants`. */
export function pickVariants(names: readonly GazetteServerVariant[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, GAZETTE_SERVER_VARIANTS[name]]));
}
