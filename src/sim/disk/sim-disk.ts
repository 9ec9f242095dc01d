/**
 * One host's simulated disk: a memfs volume with live contents, a model of what is
 * durable, random faults, latency, traces and counters. Processes use it through
 * `view(context)`, the Env's Disk for one incarnation.
 *
 * Faults injected (all decided by draws from the Random given at construction, so a
 * seed replays them exactly):
 * - loss of everything volatile at `crash()`: unsynced file data, and directory
 *   entries (create, rename, unlink, mkdir) whose directory was not synced;
 * - torn writes at a crash: a file may keep a prefix of its unsynced writes, the
 *   last cut at a 512-byte sector boundary;
 * - EIO on read, write/truncate and sync/syncDirectory; nothing changes;
 * - ENOSPC from real space accounting against `capacityBytes`; nothing changes;
 * - silent corruption on read: one byte of the returned copy flipped, never the stored data;
 * - lost writes: reported as success, not applied;
 * - latency per operation, so concurrent operations may complete out of order.
 * Not a fault: `wipe()`, an operator's replacement of the whole disk by an empty one.
 *
 * Every operation takes effect when it completes, inside an event owned by the
 * calling incarnation: if it dies first, or the disk crashes first, the operation
 * never happened and its promise never settles.
 */
import type { Disk } from "../env.ts";
import { DiskError } from "../env.ts";
import type { ProcessContext } from "../process-context.ts";
import type { Random } from "../random.ts";
import { DiskEngine } from "./disk-engine.ts";
import type { DiskEngineParts } from "./disk-engine.ts";
import { DiskFaultInjector } from "./disk-faults.ts";
import type { DiskFaults, DiskTrace } from "./disk-faults.ts";
import { DiskLatencySampler } from "./disk-latency.ts";
import type { DiskLatency } from "./disk-latency.ts";
import { traceKindOf } from "./disk-request.ts";
import type { DiskPort, DiskRequest } from "./disk-request.ts";
import type { DiskSnapshot } from "./disk-snapshot.ts";
import { DiskState } from "./disk-state.ts";
import { emptyDiskCounters } from "./disk-stats.ts";
import type { DiskCounters, DiskStats } from "./disk-stats.ts";
import { DiskView } from "./disk-view.ts";

/** Default capacity: 1 GiB. */
export const DEFAULT_DISK_CAPACITY_BYTES = 1024 * 1024 * 1024;

export interface SimDiskOptions {
  /** The disk's stream (e.g. the host's `random.fork("disk")`); every decision draws from forks of it. */
  random: Random;
  /** Space for file contents, in bytes (the sum of file sizes). Default 1 GiB. */
  capacityBytes?: number;
  /** Latency distributions per class; missing ones take DEFAULT_DISK_LATENCY's. */
  latency?: Partial<DiskLatency>;
  /** Faults enabled from the start (default none). */
  faults?: Partial<DiskFaults>;
  /**
   * Receives one event per completed operation ("disk.write", ...), per fault ("disk.fault") and per crash
   * ("disk.crash").
   */
  trace?: DiskTrace;
}

export class SimDisk {
  protected readonly state: DiskState;
  protected readonly engine: DiskEngine;
  private readonly faultInjector: DiskFaultInjector;
  private readonly latency: DiskLatencySampler;
  private readonly counters: DiskCounters = emptyDiskCounters();
  private readonly crashRandom: Random;
  private readonly trace: DiskTrace;
  /** Incremented at every crash: views and operations of an older generation are dead. */
  private generation = 0;
  private temporaryCount = 0;

  constructor(options: SimDiskOptions) {
    this.trace = options.trace ?? (() => undefined);
    this.state = new DiskState(options.capacityBytes ?? DEFAULT_DISK_CAPACITY_BYTES);
    this.faultInjector = new DiskFaultInjector(options.random.fork("faults"), this.trace);
    if (options.faults !== undefined) this.faultInjector.set(options.faults);
    this.latency = new DiskLatencySampler(options.random.fork("latency"), options.latency);
    this.crashRandom = options.random.fork("crash");
    this.engine = this.createEngine({ state: this.state, faults: this.faultInjector, counters: this.counters });
  }

  /**
   * The Env's Disk for one process incarnation. Its operations complete through
   * `context`; when the incarnation dies its open files are closed and nothing it
   * started settles. A crash of the disk ends every view made before it.
   */
  view(context: ProcessContext): Disk {
    const generation = this.generation;
    const port: DiskPort = {
      perform: (request, body) => this.perform(context, generation, request, () => body(this.engine)),
      temporaryPath: (path) => `${path}.tmp-${++this.temporaryCount}`,
    };
    const view = new DiskView(port);
    context.onDeath(() => {
      if (generation === this.generation) view.closeAllFiles((file) => this.state.close(file));
    });
    return view;
  }

  /**
   * The host lost power: the volume is rebuilt from the durable state only (or a torn
   * prefix of unsynced writes, when torn writes are enabled), from draws of `random`
   * (by default the disk's own crash stream). Every view and handle made before, and
   * every operation in flight, is dead: it never settles and never takes effect.
   */
  crash(random: Random = this.crashRandom): void {
    this.generation++;
    const report = this.state.recover({ random, probability: this.faultInjector.faults.tornWriteProbability });
    this.faultInjector.noteTornWrites(report.tornFiles);
    this.counters.crashes++;
    this.trace("disk.crash", { files: report.files, directories: report.directories, tornFiles: report.tornFiles });
  }

  /**
   * The operator replaced the disk by a new, empty and healthy one: no file, no
   * fault in force. As at a crash, every view and handle made before, and every
   * operation in flight, is dead.
   */
  wipe(): void {
    this.generation++;
    this.faultInjector.clear();
    const report = this.state.wipe();
    this.trace("disk.wipe", { files: report.files, directories: report.directories });
  }

  /** Enables, changes or disables (probability 0) the given faults; the others are kept. */
  setFaults(faults: Partial<DiskFaults>): void {
    this.faultInjector.set(faults);
  }

  /** Disables every fault (the undo of setFaults). */
  clearFaults(): void {
    this.faultInjector.clear();
  }

  /** The fault probabilities in force. */
  get faults(): Readonly<DiskFaults> {
    return this.faultInjector.faults;
  }

  /** Changes the capacity (ENOSPC once the sum of file sizes would exceed it); files already stored stay. */
  setCapacity(capacityBytes: number): void {
    this.state.setCapacity(capacityBytes);
  }

  stats(): DiskStats {
    return {
      ...this.counters,
      usedBytes: this.state.usedBytes,
      capacityBytes: this.state.capacityBytes,
      injectedFaults: this.faultInjector.injected(),
    };
  }

  /** What a crash without torn writes would leave (for tests and checkers). */
  durableSnapshot(): DiskSnapshot {
    return this.state.durableSnapshot();
  }

  /** The live contents (for tests and checkers). */
  liveSnapshot(): DiskSnapshot {
    return this.state.liveSnapshot();
  }

  /**
   * Runs `callback` after `delayMs` as an event owned by `context`: never, if the
   * incarnation dies first. The one place where disk operations are scheduled.
   */
  protected complete(context: ProcessContext, delayMs: number, callback: () => void): void {
    void context.complete(delayMs, callback);
  }

  /** Builds the engine that runs operation bodies (called once, from the constructor). */
  protected createEngine(parts: DiskEngineParts): DiskEngine {
    return new DiskEngine(parts);
  }

  private perform<T>(context: ProcessContext, generation: number, request: DiskRequest, body: () => T): Promise<T> {
    if (generation !== this.generation) return new Promise<T>(() => undefined);
    const delayMs = this.latency.draw(request.latency);
    return new Promise<T>((resolve, reject) => {
      this.complete(context, delayMs, () => {
        if (generation !== this.generation) return;
        this.counters.operations++;
        let result: T;
        try {
          result = body();
        } catch (error) {
          const outcome = error instanceof DiskError ? error.code : "bug";
          this.trace(traceKindOf(request.operation), { ...request.fields, outcome });
          reject(error);
          return;
        }
        this.trace(traceKindOf(request.operation), { ...request.fields, outcome: "ok" });
        resolve(result);
      });
    });
  }
}
