/**
 * The simulated disk: one per host (see sim-disk.ts for the faults it injects).
 */
export { SimDisk, DEFAULT_DISK_CAPACITY_BYTES } from "./sim-disk.ts";
export type { SimDiskOptions } from "./sim-disk.ts";
export { NO_DISK_FAULTS } from "./disk-faults.ts";
export type { DiskFaults, DiskFaultCounts, DiskTrace } from "./disk-faults.ts";
export { DEFAULT_DISK_LATENCY } from "./disk-latency.ts";
export type { DiskLatency, DiskLatencyKind } from "./disk-latency.ts";
export type { DiskStats } from "./disk-stats.ts";
export type { DiskSnapshot } from "./disk-snapshot.ts";
export { snapshotsEqual, bytesEqual } from "./disk-snapshot.ts";
export { SECTOR_SIZE_BYTES } from "./pending-writes.ts";
