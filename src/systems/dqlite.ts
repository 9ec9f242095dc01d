/**
 * dst-harness/systems/dqlite: the dqlite cluster kit (scenarios/dqlite/cluster.ts:
 * startDqliteCluster, its knobs and scenario base, settle and quiesce, the reads of
 * every replica: rowsOnNode, replicaRows, checkReplicas, integrityCheck) and the
 * system itself (runDqliteServer, DqliteClient). Needs wa-sqlite, an optional peer
 * dependency: `npm install wa-sqlite@1.0.0`.
 */
export * from "../../scenarios/dqlite/cluster.ts";
export * from "../impl/dqlite/index.ts";
