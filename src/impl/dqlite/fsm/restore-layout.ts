/**
 * Where `DqliteFsm.restore` writes each database of a snapshot: every database's
 * file and WAL under its own name. A seam for testing (DqliteFsmOptions.restoreLayout):
 * a restore that pairs files by position mislays them between databases, a
 * multi-database bug invisible to any run whose snapshots hold one database
 * (scenarios/dqlite/variants.ts, "restore-swaps-wals").
 */
import type { DatabaseSnapshot } from "./snapshot-format.ts";

/** The databases to write, in order, for the databases a snapshot holds. */
export type RestoreLayout = (databases: readonly DatabaseSnapshot[]) => readonly DatabaseSnapshot[];

/** The shipping layout: each database's files as the snapshot holds them. */
export const restoreEachUnderItsName: RestoreLayout = (databases) => databases;
