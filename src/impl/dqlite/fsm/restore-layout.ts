/**
 * Where `DqliteFsm.restore` writes each database of a snapshot: every database's
 * file and WAL under its own name. The seam exists for one test fixture, a restore
 * that pairs files by position and so mislays them between databases; it is a
 * multi-database bug, invisible to any run whose snapshots hold one database.
 */
import type { DatabaseSnapshot } from "./snapshot-format.ts";

/** The databases to write, in order, for the databases a snapshot holds. */
export type RestoreLayout = (databases: readonly DatabaseSnapshot[]) => readonly DatabaseSnapshot[];

/** The shipping layout: each database's files as the snapshot holds them. */
export const restoreEachUnderItsName: RestoreLayout = (databases) => databases;

/**
 * Test fixture only ("restore-swaps-wals"): the first two databases get each
 * other's WAL, as a restore that took the files and the WALs from two lists in
 * different orders would. A snapshot of fewer than two databases is unaffected.
 */
export const restoreSwappingFirstWals: RestoreLayout = (databases) => {
  const [first, second, ...rest] = databases;
  if (first === undefined || second === undefined) return databases;
  return [{ ...first, wal: second.wal }, { ...second, wal: first.wal }, ...rest];
};
