/**
 * Counters of what a simulated disk did.
 *
 * Faults injected: none; the counts of injected faults are in DiskFaultCounts.
 */
import type { DiskFaultCounts } from "./disk-faults.ts";

/** Operation counters, mutated by the disk as operations complete. */
export interface DiskCounters {
  /** Operations that completed, whatever their outcome. */
  operations: number;
  /** Reads (read, readFile) that returned data. */
  reads: number;
  /** Writes (write, writeFile, truncate) that reported success, lost ones included. */
  writes: number;
  /** File syncs that succeeded. */
  syncs: number;
  /** Directory syncs that succeeded. */
  directorySyncs: number;
  /** Bytes returned by reads. */
  bytesRead: number;
  /** Bytes stored by writes (lost and failed writes excluded). */
  bytesWritten: number;
  crashes: number;
}

/** A picture of a disk's activity and space. */
export interface DiskStats extends DiskCounters {
  usedBytes: number;
  capacityBytes: number;
  injectedFaults: DiskFaultCounts;
}

export function emptyDiskCounters(): DiskCounters {
  return { operations: 0, reads: 0, writes: 0, syncs: 0, directorySyncs: 0, bytesRead: 0, bytesWritten: 0, crashes: 0 };
}
