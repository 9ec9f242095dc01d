/**
 * The body of every disk operation, run at its completion time: random faults and
 * counters around the fault-free DiskState.
 *
 * Faults injected: EIO on read/write/truncate/sync/syncDirectory, silent corruption
 * on read, lost writes (DiskFaultInjector decides); ENOSPC (DiskState's accounting).
 * Order within an operation: argument, handle and namespace errors first, then
 * ENOSPC, then EIO, then a lost write; a failed operation changes nothing. Reads
 * may fail or be corrupted only after a successful read of the stored data, which
 * they never change.
 */
import { DiskError } from "../env.ts";
import type { FileStat, OpenOptions } from "../env.ts";
import type { DiskFaultInjector } from "./disk-faults.ts";
import type { DiskState, OpenFile } from "./disk-state.ts";
import type { DiskCounters } from "./disk-stats.ts";

/** What an engine works on. */
export interface DiskEngineParts {
  readonly state: DiskState;
  readonly faults: DiskFaultInjector;
  readonly counters: DiskCounters;
}

export class DiskEngine {
  protected readonly state: DiskState;
  protected readonly faults: DiskFaultInjector;
  protected readonly counters: DiskCounters;

  constructor(parts: DiskEngineParts) {
    this.state = parts.state;
    this.faults = parts.faults;
    this.counters = parts.counters;
  }

  open(path: string, options: OpenOptions): OpenFile {
    return this.state.open(path, options);
  }

  close(file: OpenFile): void {
    this.state.close(file);
  }

  size(file: OpenFile): number {
    return this.state.size(file);
  }

  read(file: OpenFile, position: number, length: number): Uint8Array {
    const stored = this.state.read(file, position, length);
    this.faults.maybeFail("read", "read", file.path);
    return this.returnRead("read", file.path, stored);
  }

  write(file: OpenFile, position: number, data: Uint8Array): void {
    this.withNoSpaceCounted("write", file.path, () => this.state.prepareWrite(file, position, data.length));
    this.faults.maybeFail("write", "write", file.path);
    this.counters.writes++;
    if (data.length === 0 || this.faults.loseWrite("write", file.path)) return;
    this.state.write(file, position, data);
    this.counters.bytesWritten += data.length;
  }

  truncate(file: OpenFile, length: number): void {
    this.withNoSpaceCounted("truncate", file.path, () => this.state.prepareTruncate(file, length));
    this.faults.maybeFail("write", "truncate", file.path);
    this.state.truncate(file, length);
    this.counters.writes++;
  }

  sync(file: OpenFile): void {
    this.state.requireOpen("sync", file);
    this.faults.maybeFail("sync", "sync", file.path);
    this.state.syncFile(file);
    this.counters.syncs++;
  }

  readFile(path: string): Uint8Array {
    const stored = this.state.readFile(path);
    this.faults.maybeFail("read", "readFile", path);
    return this.returnRead("readFile", path, stored);
  }

  writeFile(path: string, data: Uint8Array): void {
    this.withNoSpaceCounted("writeFile", path, () => this.state.prepareWriteFile(path, data.length));
    this.faults.maybeFail("write", "writeFile", path);
    this.counters.writes++;
    if (this.faults.loseWrite("writeFile", path)) return;
    this.state.writeFile(path, data);
    this.counters.bytesWritten += data.length;
  }

  rename(from: string, to: string): void {
    this.state.rename(from, to);
  }

  unlink(path: string): void {
    this.state.unlink(path);
  }

  mkdir(path: string): void {
    this.state.mkdir(path);
  }

  list(path: string): string[] {
    return this.state.list(path);
  }

  stat(path: string): FileStat {
    return this.state.stat(path);
  }

  exists(path: string): boolean {
    return this.state.exists(path);
  }

  syncDirectory(path: string): void {
    this.state.prepareSyncDirectory(path);
    this.faults.maybeFail("sync", "syncDirectory", path);
    this.state.syncDirectory(path);
    this.counters.directorySyncs++;
  }

  private returnRead(operation: string, path: string, stored: Uint8Array): Uint8Array {
    this.counters.reads++;
    this.counters.bytesRead += stored.length;
    return this.faults.maybeCorrupt(operation, path, stored);
  }

  private withNoSpaceCounted(operation: string, path: string, prepare: () => void): void {
    try {
      prepare();
    } catch (error) {
      if (error instanceof DiskError && error.code === "ENOSPC") this.faults.noteNoSpace(operation, path);
      throw error;
    }
  }
}
