/**
 * The disks of a world: one SimDisk per host, as the runner's DiskSystem (the world
 * creates, crashes and views them; the fault plan switches their faults).
 *
 * Faults injected: those of SimDisk (sim-disk.ts), as the plan's `disk-faults`
 * events set them: EIO, silent read corruption, lost writes, torn writes at a
 * crash, and ENOSPC by shrinking the capacity. Each `setDiskFaults(host, undefined)`
 * undoes them: faults off, capacity back to its initial value.
 */
import type { Disk } from "../env.ts";
import type { DiskFaultTarget } from "../faults/apply.ts";
import type { DiskFaultRates } from "../faults/plan.ts";
import type { ProcessContext } from "../process-context.ts";
import type { Random } from "../random.ts";
import type { DiskProvider } from "../world-env.ts";
import type { DiskLatency } from "./disk-latency.ts";
import { DEFAULT_DISK_CAPACITY_BYTES, SimDisk } from "./sim-disk.ts";

export interface SimDiskSystemOptions {
  /** Each disk's capacity in bytes (default 1 GiB); a plan may shrink it for a while. */
  capacityBytes?: number;
  latency?: Partial<DiskLatency>;
  /** Receives each disk's trace events with the host's name (wire it to the world's trace). */
  trace?: (host: string, kind: string, fields: Record<string, unknown>) => void;
}

export class SimDiskSystem implements DiskProvider, DiskFaultTarget {
  private readonly disks = new Map<string, SimDisk>();
  private readonly capacityBytes: number;

  constructor(private readonly options: SimDiskSystemOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? DEFAULT_DISK_CAPACITY_BYTES;
  }

  /**
   * Gives `host` a fresh, empty disk drawing from `random`, tracing to `worldTrace`
   * (the world's trace, so disk events count in the fingerprint) or else to the
   * system's own `trace` option. Throws if it has one.
   */
  create(host: string, random: Random, worldTrace?: (kind: string, fields: Record<string, unknown>) => void): void {
    if (this.disks.has(host)) throw new Error(`host ${host} already has a disk`);
    const ownTrace = this.options.trace;
    const trace =
      worldTrace !== undefined
        ? (_host: string, kind: string, fields: Record<string, unknown>) => worldTrace(kind, fields)
        : ownTrace;
    const disk = new SimDisk({
      random,
      capacityBytes: this.capacityBytes,
      ...(this.options.latency !== undefined ? { latency: this.options.latency } : {}),
      ...(trace !== undefined
        ? { trace: (kind: string, fields: Record<string, unknown>) => trace(host, kind, fields) }
        : {}),
    });
    this.disks.set(host, disk);
  }

  /** The host crashed: its disk drops everything volatile. */
  crash(host: string): void {
    this.disk(host).crash();
  }

  /**
   * The host's disk is replaced by a new, empty one: no file, no fault, the initial capacity (an operator's remedy).
   */
  wipe(host: string): void {
    const disk = this.disk(host);
    disk.wipe();
    disk.setCapacity(this.capacityBytes);
  }

  view(host: string, incarnation: ProcessContext): Disk {
    return this.disk(host).view(incarnation);
  }

  /** Sets the host's disk faults to `rates` (missing rates are 0), or turns them all off. */
  setDiskFaults(host: string, rates: DiskFaultRates | undefined): void {
    const disk = this.disk(host);
    if (rates === undefined) {
      disk.clearFaults();
      disk.setCapacity(this.capacityBytes);
      return;
    }
    disk.setFaults({
      readErrorProbability: rates.readErrorProbability ?? 0,
      writeErrorProbability: rates.writeErrorProbability ?? 0,
      syncErrorProbability: rates.syncErrorProbability ?? 0,
      readCorruptionProbability: rates.readCorruptionProbability ?? 0,
      lostWriteProbability: rates.lostWriteProbability ?? 0,
      tornWriteProbability: rates.tornWrites === true ? 1 : 0,
    });
    disk.setCapacity(rates.capacityBytes ?? this.capacityBytes);
  }

  /** The host's disk (for checkers and tests). Throws for a host without one. */
  disk(host: string): SimDisk {
    const disk = this.disks.get(host);
    if (disk === undefined) throw new Error(`host ${host} has no disk`);
    return disk;
  }
}

/** A fresh disk system for one run. */
export function createSimDisks(options: SimDiskSystemOptions = {}): SimDiskSystem {
  return new SimDiskSystem(options);
}
