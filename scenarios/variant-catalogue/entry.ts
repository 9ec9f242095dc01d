/**
 * One entry of the variant catalogue: a named broken variant, the component whose
 * code names it, and how it is caught. Either a scenario sweep catches it (`swept`:
 * `dst variants` searches the scenario's seeds for the first that fails), or no sweep
 * can, and the entry says why and which property test catches it (`property`).
 * Gazette and etcd entries may still wait for their plumbing (`pending`).
 */

/** Seeds a sweep may take to catch a variant at most (issue 20: "a sweep of at most 200 seeds"). */
export const VARIANT_SEEDS_MAX = 200;

/** The marker of a Gazette or etcd entry whose plumbing into a scenario is not done yet. */
export const PENDING_PLUMBING = "gazette/etcd plumbing";

/** The components whose broken variants the catalogue lists, and the file that names each set. */
export const VARIANT_COMPONENTS = {
  "raft-core": {
    system: "raft",
    definedIn: "scenarios/raft-kv/variants.ts (BROKEN_VARIANTS, through the core's rules)",
  },
  "raft-node": {
    system: "raft",
    definedIn: "scenarios/raft-kv/variants.ts (BROKEN_NODE_VARIANTS, RaftNode subclasses)",
  },
  "dqlite-leader": { system: "dqlite", definedIn: "scenarios/dqlite/variants.ts (DQLITE_LEADER_BROKEN_VARIANTS)" },
  "dqlite-fsm": { system: "dqlite", definedIn: "scenarios/dqlite/variants.ts (DQLITE_FSM_BROKEN_VARIANTS)" },
  "dqlite-database-files": {
    system: "dqlite",
    definedIn: "scenarios/dqlite/variants.ts (DATABASE_FILES_BROKEN_VARIANTS)",
  },
  "dqlite-cluster": { system: "dqlite", definedIn: "scenarios/dqlite/cluster.ts (DQLITE_CLUSTER_BROKEN_VARIANTS)" },
  "dqlite-client": { system: "dqlite", definedIn: "scenarios/dqlite/register.ts (CLIENT_BROKEN_VARIANTS)" },
  "dqlite-wal-reader": {
    system: "dqlite",
    definedIn: "properties/dqlite/wal/_fixtures/broken-wal-format.ts (BROKEN_READERS)",
  },
  "bmdb-session": { system: "bmdb", definedIn: "scenarios/bmdb/variants.ts (BMDB_BROKEN_VARIANTS)" },
  "bmdb-agent": { system: "bmdb", definedIn: "scenarios/bmdb/provisioning.ts (AGENT_BROKEN_VARIANTS)" },
  "bmdb-backoff": {
    system: "bmdb",
    definedIn: "properties/bmdb/_fixtures/broken-backoff.ts (BROKEN_BACKOFF_VARIANTS)",
  },
  counter: { system: "counter", definedIn: "scenarios/counter/quorum.ts (COUNTER_BROKEN_VARIANTS)" },
  backedpipe: { system: "backedpipe", definedIn: "scenarios/backedpipe/variants.ts (PIPE_BROKEN_VARIANTS)" },
  "etcd-server": {
    system: "etcd",
    definedIn: "scenarios/etcd/variants.ts (SERVER_BROKEN_VARIANTS, a ReadIndex subclass)",
  },
  "etcd-lessor": {
    system: "etcd",
    definedIn: "scenarios/etcd/variants.ts (LESSOR_BROKEN_VARIANTS, a Lessor subclass)",
  },
  "etcd-mvcc": {
    system: "etcd",
    definedIn: "scenarios/etcd/variants.ts (STORE_BROKEN_VARIANTS, MvccStore subclasses)",
  },
  "etcd-watch": {
    system: "etcd",
    definedIn: "scenarios/etcd/variants.ts (WATCH_BROKEN_VARIANTS, WatchResume strategies)",
  },
  "gazette-allocator": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/broker.ts (ALLOCATOR_BROKEN_VARIANTS)",
  },
  "gazette-announce": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (ANNOUNCE_BROKEN_VARIANTS)",
  },
  "gazette-keyspace": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (KEYSPACE_BROKEN_VARIANTS)",
  },
  "gazette-list-apply": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/broker.ts (LIST_APPLY_BROKEN_VARIANTS)",
  },
  "gazette-resolver": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (RESOLVER_BROKEN_VARIANTS)",
  },
  "gazette-replication": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/broker.ts (REPLICATION_BROKEN_VARIANTS)",
  },
  "gazette-read": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (READ_BROKEN_VARIANTS)",
  },
  "gazette-fragment-index": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/broker.ts (INDEX_BROKEN_VARIANTS)",
  },
  "gazette-index-refresh": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/broker.ts (INDEX_REFRESH_BROKEN_VARIANTS)",
  },
  "gazette-cover-set": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (COVER_SET_BROKEN_VARIANTS)",
  },
  "gazette-spool": { system: "gazette", definedIn: "scenarios/gazette/variants/broker.ts (SPOOL_BROKEN_VARIANTS)" },
  "gazette-fragment-store": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (STORE_BROKEN_VARIANTS)",
  },
  "gazette-persister": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-broker.ts (PERSISTER_BROKEN_VARIANTS)",
  },
  "gazette-append-service": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/client.ts (AppendServiceBrokenVariant)",
  },
  "gazette-appender": { system: "gazette", definedIn: "scenarios/gazette/variants/client.ts (AppenderBrokenVariant)" },
  "gazette-polled-list": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/client.ts (PolledListBrokenVariant)",
  },
  "gazette-reader": { system: "gazette", definedIn: "scenarios/gazette/variants/client.ts (ReaderBrokenVariant)" },
  "gazette-retry-reader": {
    system: "gazette",
    definedIn: "scenarios/gazette/variants/client.ts (RetryReaderBrokenVariant)",
  },
  "gazette-route-cache": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-client.ts (RouteCacheBrokenVariant)",
  },
  "gazette-fragment-reader": {
    system: "gazette",
    definedIn: "properties/gazette/_fixtures/broken-client.ts (FragmentReaderBrokenVariant)",
  },
  "sim-world": {
    system: "simulator",
    definedIn: "properties/sim/_fixtures/kernel-{clocks,determinism,networks,processes}.ts (broken worlds)",
  },
  "sim-scheduler": {
    system: "simulator",
    definedIn: "properties/sim/_fixtures/kernel-schedulers.ts (broken schedulers, in a world by worldWithScheduler)",
  },
  "sim-random": {
    system: "simulator",
    definedIn: "properties/sim/_fixtures/kernel-randoms.ts (broken random streams)",
  },
  "sim-disk": { system: "simulator", definedIn: "properties/sim/_fixtures/broken-disks.ts (brokenDisks)" },
  "sim-rpc": {
    system: "simulator",
    definedIn: "properties/sim/_fixtures/{broken-frame-copies,id-swapping-transport}.ts",
  },
  "sim-swarm": { system: "simulator", definedIn: "properties/sim/_fixtures/kernel-fault-plans.ts (swarm generators)" },
  "sim-checker": { system: "simulator", definedIn: "properties/sim/check/_fixtures/broken-checker.ts" },
  "scenario-supervisor": {
    system: "simulator",
    definedIn: "properties/scenarios/harness/_fixtures/capped-supervisor.ts",
  },
  "scenario-operator": {
    system: "simulator",
    definedIn: "properties/scenarios/raft-kv/_fixtures/wipe-without-removal.ts",
  },
} as const satisfies Readonly<Record<string, { system: string; definedIn: string }>>;

export type VariantComponent = keyof typeof VARIANT_COMPONENTS;

interface EntryBase {
  /** The variant's name as its code spells it (a variant-set key, or the fixture's exported name). */
  readonly variant: string;
  readonly component: VariantComponent;
}

/**
 * A scenario sweep catches the variant: `dst <scenario> --variant <variant>` fails on some seed of
 * 1..VARIANT_SEEDS_MAX.
 */
export interface SweptEntry extends EntryBase {
  readonly kind: "swept";
  /** A scenario whose `variants` offers this variant: the cheapest one that catches it. */
  readonly scenario: string;
  /** Every run with buggify points on (both the variant's and the unmodified one). */
  readonly buggify?: boolean;
}

/** No scenario sweep can catch the variant: why not, and the property test that does. */
export interface PropertyEntry extends EntryBase {
  readonly kind: "property";
  /** Path of the property test file, from the repository root. */
  readonly property: string;
  readonly reason: string;
}

/** A Gazette or etcd variant no scenario offers yet (its plumbing is another change's). */
export interface PendingEntry extends EntryBase {
  readonly kind: "pending";
  readonly pending: typeof PENDING_PLUMBING;
}

export type CatalogueEntry = SweptEntry | PropertyEntry | PendingEntry;

/** A swept entry. */
export function swept(
  component: VariantComponent,
  variant: string,
  scenario: string,
  options: { buggify?: boolean } = {},
): SweptEntry {
  return { kind: "swept", component, variant, scenario, ...options };
}

/** A property entry. */
export function byProperty(
  component: VariantComponent,
  variant: string,
  property: string,
  reason: string,
): PropertyEntry {
  return { kind: "property", component, variant, property, reason };
}

/** A pending Gazette or etcd entry. */
export function pending(component: VariantComponent, variant: string): PendingEntry {
  return { kind: "pending", component, variant, pending: PENDING_PLUMBING };
}

/** `component/variant`: unique across the catalogue (two components may use one name). */
export function entryKey(entry: EntryBase): string {
  return `${entry.component}/${entry.variant}`;
}
