/**
 * Deliberately broken simulated disks, one bug each, to show that every property in
 * disk.test.ts fails when the disk breaks its contract. Test-only: nothing on the
 * shipping path knows these exist; they subclass SimDisk (or its engine) through
 * its protected extension points.
 */
import { DiskError } from "../../../src/sim/env.ts";
import type { ProcessContext } from "../../../src/sim/process-context.ts";
import { Random } from "../../../src/sim/random.ts";
import { DiskEngine } from "../../../src/sim/disk/disk-engine.ts";
import type { DiskEngineParts } from "../../../src/sim/disk/disk-engine.ts";
import type { OpenFile } from "../../../src/sim/disk/disk-state.ts";
import { SimDisk } from "../../../src/sim/disk/sim-disk.ts";
import type { SimDiskOptions } from "../../../src/sim/disk/sim-disk.ts";
import type { DiskFactory } from "./disk-rig.ts";

/** Durability bug: sync reports success and makes nothing durable. */
class SyncIsNoopEngine extends DiskEngine {
  override sync(file: OpenFile): void {
    this.state.requireOpen("sync", file);
  }
}

/** Durability bug: a directory sync reports success and makes no entry durable. */
class DirectorySyncIsNoopEngine extends DiskEngine {
  override syncDirectory(path: string): void {
    this.state.prepareSyncDirectory(path);
  }
}

/** Fault bug: a corrupted read writes the flipped byte back into the stored data. */
class CorruptionPersistsEngine extends DiskEngine {
  override read(file: OpenFile, position: number, length: number): Uint8Array {
    const before = this.faults.injected().readCorruptions;
    const data = super.read(file, position, length);
    if (this.faults.injected().readCorruptions > before) this.state.write(file, position, data);
    return data;
  }
}

/** Fault bug: a write that fails with EIO is applied anyway. */
class WriteErrorAppliesEngine extends DiskEngine {
  override write(file: OpenFile, position: number, data: Uint8Array): void {
    try {
      super.write(file, position, data);
    } catch (error) {
      if (error instanceof DiskError && error.code === "EIO") this.state.write(file, position, data);
      throw error;
    }
  }
}

function diskWithEngine(Engine: new (parts: DiskEngineParts) => DiskEngine): DiskFactory {
  class BrokenDisk extends SimDisk {
    protected override createEngine(parts: DiskEngineParts): DiskEngine {
      return new Engine(parts);
    }
  }
  return (options) => new BrokenDisk(options);
}

/** Lifetime bug: completions are scheduled without an owner, so a dead incarnation's operations still settle. */
class UnownedCompletionDisk extends SimDisk {
  protected override complete(context: ProcessContext, delayMs: number, callback: () => void): void {
    context.scheduler.schedule(delayMs, callback);
  }
}

/** Determinism bug: forked streams are cached process-wide, so a second disk continues the first one's draws. */
class ProcessWideRandom extends Random {
  private static readonly streams = new Map<string, Random>();
  override fork(name: string): Random {
    const existing = ProcessWideRandom.streams.get(name);
    if (existing !== undefined) return existing;
    const stream = new ProcessWideRandom(`process-wide/${name}`);
    ProcessWideRandom.streams.set(name, stream);
    return stream;
  }
}

export const brokenDisks = {
  "sync-is-noop": diskWithEngine(SyncIsNoopEngine),
  "directory-sync-is-noop": diskWithEngine(DirectorySyncIsNoopEngine),
  "corruption-persists": diskWithEngine(CorruptionPersistsEngine),
  "write-error-applies": diskWithEngine(WriteErrorAppliesEngine),
  "unowned-completions": ((options: SimDiskOptions) => new UnownedCompletionDisk(options)) as DiskFactory,
  "process-wide-random": ((options: SimDiskOptions) =>
    new SimDisk({ ...options, random: new ProcessWideRandom("ignored") })) as DiskFactory,
} satisfies Record<string, DiskFactory>;
