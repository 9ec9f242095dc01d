/**
 * The Env's Disk for one process incarnation.
 *
 * Faults injected: those of the engine, at completion time (EIO, corruption, lost
 * writes, ENOSPC). Every operation settles only through the incarnation's
 * completions: once it dies, or once the disk crashes, nothing it started settles.
 * `writeFileAtomic` is built from the other operations, so each step meets faults.
 */
import { DiskError } from "../env.ts";
import type { Disk, FileHandle, FileStat, OpenOptions } from "../env.ts";
import type { OpenFile } from "./disk-state.ts";
import type { DiskPort } from "./disk-request.ts";
import { SimFileHandle } from "./file-handle.ts";

export class DiskView implements Disk {
  private readonly openFiles = new Set<OpenFile>();

  constructor(private readonly port: DiskPort) {}

  open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    const flags = {
      create: options.create === true,
      exclusive: options.exclusive === true,
      truncate: options.truncate === true,
    };
    return this.port.perform(
      { operation: "open", latency: flags.create || flags.truncate ? "write" : "read", fields: { path, ...flags } },
      (engine) => {
        const file = engine.open(path, flags);
        this.openFiles.add(file);
        return new SimFileHandle(file, this.port, (closed) => this.openFiles.delete(closed));
      },
    );
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.port.perform({ operation: "readFile", latency: "read", fields: { path } }, (engine) =>
      engine.readFile(path),
    );
  }

  /** The bytes are copied when the call is made. */
  writeFile(path: string, data: Uint8Array): Promise<void> {
    const copy = data.slice();
    return this.port.perform(
      { operation: "writeFile", latency: "write", fields: { path, length: copy.length } },
      (engine) => engine.writeFile(path, copy),
    );
  }

  /**
   * Temporary file next to `path` (created exclusively), write, sync, close, rename
   * over `path`, sync the directory. On failure the temporary file is removed (best
   * effort) and the step's DiskError is reported with operation "writeFileAtomic".
   * If the failure is the final directory sync, the rename happened but may not be durable.
   */
  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const copy = data.slice();
    const temporary = this.port.temporaryPath(path);
    let handle: FileHandle;
    try {
      handle = await this.open(temporary, { create: true, exclusive: true, truncate: true });
    } catch (error) {
      throw asAtomicWriteError(error, path);
    }
    try {
      await handle.write(0, copy);
      await handle.sync();
      await handle.close();
      await this.rename(temporary, path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await this.unlink(temporary).catch(() => undefined);
      throw asAtomicWriteError(error, path);
    }
    try {
      await this.syncDirectory(parentDirectory(path));
    } catch (error) {
      throw asAtomicWriteError(error, path);
    }
  }

  rename(from: string, to: string): Promise<void> {
    return this.port.perform({ operation: "rename", latency: "write", fields: { path: from, to } }, (engine) =>
      engine.rename(from, to),
    );
  }

  unlink(path: string): Promise<void> {
    return this.port.perform({ operation: "unlink", latency: "write", fields: { path } }, (engine) =>
      engine.unlink(path),
    );
  }

  mkdir(path: string): Promise<void> {
    return this.port.perform({ operation: "mkdir", latency: "write", fields: { path } }, (engine) =>
      engine.mkdir(path),
    );
  }

  list(directory: string): Promise<string[]> {
    return this.port.perform({ operation: "list", latency: "read", fields: { path: directory } }, (engine) =>
      engine.list(directory),
    );
  }

  stat(path: string): Promise<FileStat> {
    return this.port.perform({ operation: "stat", latency: "read", fields: { path } }, (engine) => engine.stat(path));
  }

  exists(path: string): Promise<boolean> {
    return this.port.perform({ operation: "exists", latency: "read", fields: { path } }, (engine) =>
      engine.exists(path),
    );
  }

  syncDirectory(path: string): Promise<void> {
    return this.port.perform({ operation: "syncDirectory", latency: "sync", fields: { path } }, (engine) =>
      engine.syncDirectory(path),
    );
  }

  /** Closes every file this view still has open (the incarnation died). */
  closeAllFiles(close: (file: OpenFile) => void): void {
    for (const file of [...this.openFiles]) if (!file.closed) close(file);
    this.openFiles.clear();
  }
}

function parentDirectory(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function asAtomicWriteError(error: unknown, path: string): unknown {
  if (!(error instanceof DiskError)) return error;
  return new DiskError(error.code, "writeFileAtomic", path, error.message);
}
