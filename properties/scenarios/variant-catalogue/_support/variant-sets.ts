/**
 * The variant sets of the code, for the catalogue test: each set with the catalogue
 * component it belongs to and its names, enumerated at run time where the set is a
 * value (an object or an array) and from the source where it is only a union type;
 * the simulator's whole-run fixtures from their modules' exports; and a scan of the
 * sources that finds every variant-set declaration, known or not.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { COUNTER_BROKEN_VARIANTS } from "../../../../scenarios/counter/quorum.ts";
import { AGENT_BROKEN_VARIANTS } from "../../../../scenarios/bmdb/provisioning.ts";
import { BMDB_BROKEN_VARIANTS } from "../../../../scenarios/bmdb/variants.ts";
import { DQLITE_BROKEN_VARIANTS, DQLITE_CLUSTER_BROKEN_VARIANTS } from "../../../../scenarios/dqlite/cluster.ts";
import { CLIENT_BROKEN_VARIANTS } from "../../../../scenarios/dqlite/register.ts";
import {
  DATABASE_FILES_BROKEN_VARIANTS,
  DQLITE_FSM_BROKEN_VARIANTS,
  DQLITE_LEADER_BROKEN_VARIANTS,
} from "../../../../scenarios/dqlite/variants.ts";
import { PIPE_BROKEN_VARIANTS } from "../../../../scenarios/backedpipe/variants.ts";
import {
  LESSOR_BROKEN_VARIANTS,
  SERVER_BROKEN_VARIANTS,
  STORE_BROKEN_VARIANTS,
  WATCH_BROKEN_VARIANTS,
} from "../../../../scenarios/etcd/variants.ts";
import { BROKEN_NODE_VARIANTS, BROKEN_VARIANTS } from "../../../../scenarios/raft-kv/variants.ts";
import {
  ALLOCATOR_BROKEN_VARIANTS,
  INDEX_BROKEN_VARIANTS,
  INDEX_REFRESH_BROKEN_VARIANTS,
  LIST_APPLY_BROKEN_VARIANTS,
  REPLICATION_BROKEN_VARIANTS,
  SPOOL_BROKEN_VARIANTS,
} from "../../../../scenarios/gazette/variants/broker.ts";
import type { VariantComponent } from "../../../../scenarios/variant-catalogue/index.ts";
import { packageRoot } from "../../../../src/sim/package-root.ts";
import { BROKEN_BACKOFF_VARIANTS } from "../../../bmdb/_fixtures/broken-backoff.ts";
import {
  ANNOUNCE_BROKEN_VARIANTS,
  COVER_SET_BROKEN_VARIANTS,
  KEYSPACE_BROKEN_VARIANTS,
  PERSISTER_BROKEN_VARIANTS,
  READ_BROKEN_VARIANTS,
  RESOLVER_BROKEN_VARIANTS,
  STORE_BROKEN_VARIANTS as FRAGMENT_STORE_BROKEN_VARIANTS,
} from "../../../gazette/_fixtures/broken-broker.ts";
import * as brokenChecker from "../../../sim/check/_fixtures/broken-checker.ts";
import { BROKEN_READERS } from "../../../dqlite/wal/_fixtures/broken-wal-format.ts";
import { brokenDisks } from "../../../sim/_fixtures/broken-disks.ts";
import * as frameCopies from "../../../sim/_fixtures/broken-frame-copies.ts";
import * as idSwapping from "../../../sim/_fixtures/id-swapping-transport.ts";
import * as clocks from "../../../sim/_fixtures/kernel-clocks.ts";
import * as determinism from "../../../sim/_fixtures/kernel-determinism.ts";
import * as faultPlans from "../../../sim/_fixtures/kernel-fault-plans.ts";
import * as networks from "../../../sim/_fixtures/kernel-networks.ts";
import * as processes from "../../../sim/_fixtures/kernel-processes.ts";
import * as randoms from "../../../sim/_fixtures/kernel-randoms.ts";
import * as schedulers from "../../../sim/_fixtures/kernel-schedulers.ts";
import * as cappedSupervisor from "../../harness/_fixtures/capped-supervisor.ts";
import * as wipeWithoutRemoval from "../../raft-kv/_fixtures/wipe-without-removal.ts";

/** A variant set declared in the code: `aggregate` when it only combines sets listed on their own. */
export interface CataloguedSet {
  readonly component: VariantComponent | "aggregate";
  /** From the repository root. */
  readonly file: string;
  /** The exported constant or union type that declares it. */
  readonly declaration: string;
  readonly names: () => readonly string[];
}

const keys = (set: object) => () => Object.keys(set);

/** A set declared only as a union type: its names come from the source. */
function union(component: VariantComponent | "aggregate", file: string, declaration: string): CataloguedSet {
  return {
    component,
    file,
    declaration,
    names: () => {
      const found = scanVariantSets(packageRoot()).find((set) => set.file === file && set.declaration === declaration);
      if (found?.unionNames === undefined) throw new Error(`${file}: no union type ${declaration}`);
      return found.unionNames;
    },
  };
}

const GAZETTE_BROKER_VARIANTS = "scenarios/gazette/variants/broker.ts";
const GAZETTE_BROKER_FIXTURES = "properties/gazette/_fixtures/broken-broker.ts";
const GAZETTE_CLIENT_VARIANTS = "scenarios/gazette/variants/client.ts";
const GAZETTE_CLIENT_FIXTURES = "properties/gazette/_fixtures/broken-client.ts";

/** Every variant set declared in src/impl, scenarios/ and the properties' fixtures. */
export const CATALOGUED_SETS: readonly CataloguedSet[] = [
  {
    component: "raft-core",
    file: "scenarios/raft-kv/variants.ts",
    declaration: "BROKEN_VARIANTS",
    names: keys(BROKEN_VARIANTS),
  },
  {
    component: "raft-node",
    file: "scenarios/raft-kv/variants.ts",
    declaration: "BROKEN_NODE_VARIANTS",
    names: keys(BROKEN_NODE_VARIANTS),
  },
  {
    component: "dqlite-leader",
    file: "scenarios/dqlite/variants.ts",
    declaration: "DQLITE_LEADER_BROKEN_VARIANTS",
    names: keys(DQLITE_LEADER_BROKEN_VARIANTS),
  },
  {
    component: "dqlite-fsm",
    file: "scenarios/dqlite/variants.ts",
    declaration: "DQLITE_FSM_BROKEN_VARIANTS",
    names: keys(DQLITE_FSM_BROKEN_VARIANTS),
  },
  {
    component: "dqlite-database-files",
    file: "scenarios/dqlite/variants.ts",
    declaration: "DATABASE_FILES_BROKEN_VARIANTS",
    names: keys(DATABASE_FILES_BROKEN_VARIANTS),
  },
  {
    component: "dqlite-cluster",
    file: "scenarios/dqlite/cluster.ts",
    declaration: "DQLITE_CLUSTER_BROKEN_VARIANTS",
    names: keys(DQLITE_CLUSTER_BROKEN_VARIANTS),
  },
  {
    component: "aggregate",
    file: "scenarios/dqlite/cluster.ts",
    declaration: "DQLITE_BROKEN_VARIANTS",
    names: keys(DQLITE_BROKEN_VARIANTS),
  },
  {
    component: "dqlite-client",
    file: "scenarios/dqlite/register.ts",
    declaration: "CLIENT_BROKEN_VARIANTS",
    names: keys(CLIENT_BROKEN_VARIANTS),
  },
  {
    component: "dqlite-wal-reader",
    file: "properties/dqlite/wal/_fixtures/broken-wal-format.ts",
    declaration: "BROKEN_READERS",
    names: () => BROKEN_READERS,
  },
  union("aggregate", "properties/dqlite/wal/_fixtures/broken-wal-format.ts", "BrokenReader"),
  {
    component: "bmdb-session",
    file: "scenarios/bmdb/variants.ts",
    declaration: "BMDB_BROKEN_VARIANTS",
    names: keys(BMDB_BROKEN_VARIANTS),
  },
  {
    component: "bmdb-agent",
    file: "scenarios/bmdb/provisioning.ts",
    declaration: "AGENT_BROKEN_VARIANTS",
    names: keys(AGENT_BROKEN_VARIANTS),
  },
  {
    component: "bmdb-backoff",
    file: "properties/bmdb/_fixtures/broken-backoff.ts",
    declaration: "BROKEN_BACKOFF_VARIANTS",
    names: keys(BROKEN_BACKOFF_VARIANTS),
  },
  {
    component: "counter",
    file: "scenarios/counter/quorum.ts",
    declaration: "COUNTER_BROKEN_VARIANTS",
    names: keys(COUNTER_BROKEN_VARIANTS),
  },
  {
    component: "backedpipe",
    file: "scenarios/backedpipe/variants.ts",
    declaration: "PIPE_BROKEN_VARIANTS",
    names: keys(PIPE_BROKEN_VARIANTS),
  },
  {
    component: "etcd-server",
    file: "scenarios/etcd/variants.ts",
    declaration: "SERVER_BROKEN_VARIANTS",
    // The server's set also names its lessor's and store's variants, catalogued under those components.
    names: () =>
      Object.keys(SERVER_BROKEN_VARIANTS).filter(
        (name) => !(name in LESSOR_BROKEN_VARIANTS) && !(name in STORE_BROKEN_VARIANTS),
      ),
  },
  {
    component: "etcd-lessor",
    file: "scenarios/etcd/variants.ts",
    declaration: "LESSOR_BROKEN_VARIANTS",
    names: keys(LESSOR_BROKEN_VARIANTS),
  },
  {
    component: "etcd-mvcc",
    file: "scenarios/etcd/variants.ts",
    declaration: "STORE_BROKEN_VARIANTS",
    names: keys(STORE_BROKEN_VARIANTS),
  },
  {
    component: "etcd-watch",
    file: "scenarios/etcd/variants.ts",
    declaration: "WATCH_BROKEN_VARIANTS",
    names: keys(WATCH_BROKEN_VARIANTS),
  },
  {
    component: "gazette-allocator",
    file: GAZETTE_BROKER_VARIANTS,
    declaration: "ALLOCATOR_BROKEN_VARIANTS",
    names: keys(ALLOCATOR_BROKEN_VARIANTS),
  },
  {
    component: "gazette-announce",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "ANNOUNCE_BROKEN_VARIANTS",
    names: keys(ANNOUNCE_BROKEN_VARIANTS),
  },
  {
    component: "gazette-keyspace",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "KEYSPACE_BROKEN_VARIANTS",
    names: keys(KEYSPACE_BROKEN_VARIANTS),
  },
  {
    component: "gazette-list-apply",
    file: GAZETTE_BROKER_VARIANTS,
    declaration: "LIST_APPLY_BROKEN_VARIANTS",
    names: keys(LIST_APPLY_BROKEN_VARIANTS),
  },
  {
    component: "gazette-resolver",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "RESOLVER_BROKEN_VARIANTS",
    names: keys(RESOLVER_BROKEN_VARIANTS),
  },
  {
    component: "gazette-replication",
    file: GAZETTE_BROKER_VARIANTS,
    declaration: "REPLICATION_BROKEN_VARIANTS",
    names: keys(REPLICATION_BROKEN_VARIANTS),
  },
  {
    component: "gazette-read",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "READ_BROKEN_VARIANTS",
    names: keys(READ_BROKEN_VARIANTS),
  },
  {
    component: "gazette-fragment-index",
    file: GAZETTE_BROKER_VARIANTS,
    declaration: "INDEX_BROKEN_VARIANTS",
    names: keys(INDEX_BROKEN_VARIANTS),
  },
  {
    component: "gazette-index-refresh",
    file: GAZETTE_BROKER_VARIANTS,
    declaration: "INDEX_REFRESH_BROKEN_VARIANTS",
    names: keys(INDEX_REFRESH_BROKEN_VARIANTS),
  },
  {
    component: "gazette-cover-set",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "COVER_SET_BROKEN_VARIANTS",
    names: keys(COVER_SET_BROKEN_VARIANTS),
  },
  {
    component: "gazette-spool",
    file: GAZETTE_BROKER_VARIANTS,
    declaration: "SPOOL_BROKEN_VARIANTS",
    names: keys(SPOOL_BROKEN_VARIANTS),
  },
  {
    component: "gazette-fragment-store",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "STORE_BROKEN_VARIANTS",
    names: keys(FRAGMENT_STORE_BROKEN_VARIANTS),
  },
  {
    component: "gazette-persister",
    file: GAZETTE_BROKER_FIXTURES,
    declaration: "PERSISTER_BROKEN_VARIANTS",
    names: keys(PERSISTER_BROKEN_VARIANTS),
  },
  union("gazette-append-service", GAZETTE_CLIENT_VARIANTS, "AppendServiceBrokenVariant"),
  union("gazette-appender", GAZETTE_CLIENT_VARIANTS, "AppenderBrokenVariant"),
  union("gazette-polled-list", GAZETTE_CLIENT_VARIANTS, "PolledListBrokenVariant"),
  union("gazette-reader", GAZETTE_CLIENT_VARIANTS, "ReaderBrokenVariant"),
  union("gazette-retry-reader", GAZETTE_CLIENT_VARIANTS, "RetryReaderBrokenVariant"),
  union("gazette-route-cache", GAZETTE_CLIENT_FIXTURES, "RouteCacheBrokenVariant"),
  union("gazette-fragment-reader", GAZETTE_CLIENT_FIXTURES, "FragmentReaderBrokenVariant"),
];

/** The exported names of a fixture module that end with `suffix` (all of them for ""). */
const exportsOf =
  (module: object, suffix = "") =>
  () =>
    Object.keys(module).filter((name) => name.endsWith(suffix));
/** The exported classes of a fixture module whose names end with `suffix`. */
const classesOf = (module: object, suffix: string) => () =>
  exportsOf(module, suffix)().filter((name) => /^[A-Z]/.test(name));

/** Fixtures of one component, exported by one module. */
export interface FixtureSet extends CataloguedSet {
  readonly component: VariantComponent;
}

/** The simulator's fixtures that apply to a whole run, by the module that exports them. */
export const SIMULATOR_FIXTURES: readonly FixtureSet[] = [
  {
    component: "sim-world",
    file: "properties/sim/_fixtures/kernel-clocks.ts",
    declaration: "kernel-clocks",
    names: exportsOf(clocks, "World"),
  },
  {
    component: "sim-world",
    file: "properties/sim/_fixtures/kernel-determinism.ts",
    declaration: "kernel-determinism",
    names: exportsOf(determinism, "World"),
  },
  {
    component: "sim-world",
    file: "properties/sim/_fixtures/kernel-networks.ts",
    declaration: "kernel-networks",
    names: exportsOf(networks, "World"),
  },
  {
    component: "sim-world",
    file: "properties/sim/_fixtures/kernel-processes.ts",
    declaration: "kernel-processes",
    names: exportsOf(processes, "World"),
  },
  {
    component: "sim-scheduler",
    file: "properties/sim/_fixtures/kernel-schedulers.ts",
    declaration: "worldWithScheduler",
    names: classesOf(schedulers, "Scheduler"),
  },
  {
    component: "sim-random",
    file: "properties/sim/_fixtures/kernel-randoms.ts",
    declaration: "kernel-randoms",
    names: classesOf(randoms, "Random"),
  },
  {
    component: "sim-disk",
    file: "properties/sim/_fixtures/broken-disks.ts",
    declaration: "brokenDisks",
    names: keys(brokenDisks),
  },
  {
    component: "sim-rpc",
    file: "properties/sim/_fixtures/broken-frame-copies.ts",
    declaration: "broken-frame-copies",
    names: exportsOf(frameCopies),
  },
  {
    component: "sim-rpc",
    file: "properties/sim/_fixtures/id-swapping-transport.ts",
    declaration: "id-swapping-transport",
    names: exportsOf(idSwapping),
  },
  {
    component: "sim-swarm",
    file: "properties/sim/_fixtures/kernel-fault-plans.ts",
    declaration: "kernel-fault-plans",
    names: exportsOf(faultPlans, "SwarmPlan"),
  },
  {
    component: "sim-checker",
    file: "properties/sim/check/_fixtures/broken-checker.ts",
    declaration: "broken-checker",
    names: exportsOf(brokenChecker),
  },
  {
    component: "scenario-supervisor",
    file: "properties/scenarios/harness/_fixtures/capped-supervisor.ts",
    declaration: "capped-supervisor",
    names: exportsOf(cappedSupervisor),
  },
  {
    component: "scenario-operator",
    file: "properties/scenarios/raft-kv/_fixtures/wipe-without-removal.ts",
    declaration: "wipe-without-removal",
    names: exportsOf(wipeWithoutRemoval),
  },
];

/**
 * The simulator's fixture files that are no broken part of a run, and why: the
 * catalogue test requires every file of properties/sim/_fixtures to be here or in
 * SIMULATOR_FIXTURES.
 */
export const SIMULATOR_FIXTURE_FILES_OUTSIDE_RUNS: Readonly<Record<string, string>> = {
  "properties/sim/_fixtures/disk-commands.ts": "commands that drive a disk in its property, not a broken disk",
  "properties/sim/_fixtures/disk-fault-commands.ts":
    "commands that drive a disk's faults in its property, not a broken disk",
  "properties/sim/_fixtures/disk-reference-model.ts": "the disk property's reference model",
  "properties/sim/_fixtures/disk-rig.ts": "the harness that runs a disk in its property",
  "properties/sim/_fixtures/key-decoders.ts":
    "a broken msgpack key cache, for the cache's own property (no run uses it)",
  "properties/sim/_fixtures/rpc-world.ts": "the world the RPC property runs in (a shipping world)",
};

/** A declaration the scan found: for a union type, its names too. */
export interface ScannedSet {
  readonly file: string;
  readonly declaration: string;
  readonly unionNames?: readonly string[];
}

const SCANNED_ROOTS = ["src/impl", "scenarios", "properties"];
/** `export const X_BROKEN_Y =` (any exported constant whose name holds BROKEN). */
const CONSTANT = /^export const ([A-Z0-9_]*BROKEN[A-Z0-9_]*)\b/gm;
/** `export type XBrokenY = ...;` (any exported type whose name holds Broken), up to its semicolon. */
const TYPE = /^export type (\w*Broken\w*)\s*=([^;]*);/gm;

/** Every variant-set declaration in src/impl, scenarios/ and the properties' `_fixtures` folders. */
export function scanVariantSets(root: string): ScannedSet[] {
  const found: ScannedSet[] = [];
  for (const path of SCANNED_ROOTS.flatMap((folder) => sourceFiles(join(root, folder)))) {
    const file = relative(root, path);
    if (file.startsWith("properties/") && !file.includes("/_fixtures/")) continue;
    const text = readFileSync(path, "utf8");
    for (const match of text.matchAll(CONSTANT)) found.push({ file, declaration: match[1] as string });
    for (const match of text.matchAll(TYPE)) {
      const body = match[2] as string;
      // A type derived from a constant (keyof typeof X, (typeof X)[number]) is the constant's set, found above.
      if (/\btypeof\b/.test(body)) continue;
      const names = [...body.replace(/\/\*[\s\S]*?\*\//g, "").matchAll(/"([^"]+)"/g)].map(
        (literal) => literal[1] as string,
      );
      if (names.length > 0) found.push({ file, declaration: match[1] as string, unionNames: names });
    }
  }
  return found;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}
