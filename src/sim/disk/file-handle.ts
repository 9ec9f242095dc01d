/**
 * An open file on the simulated disk, as the Env's FileHandle.
 *
 * Faults injected: those of the engine (EIO, corruption, lost writes, ENOSPC), at
 * completion time. A handle of a dead incarnation, or from before a crash, is
 * invalid: its operations never settle. A closed handle fails with EBADF.
 */
import type { FileHandle } from "../env.ts";
import type { OpenFile } from "./disk-state.ts";
import type { DiskPort } from "./disk-request.ts";

export class SimFileHandle implements FileHandle {
  constructor(
    private readonly file: OpenFile,
    private readonly port: DiskPort,
    /** Called once the file is closed, so the view stops tracking it. */
    private readonly onClosed: (file: OpenFile) => void,
  ) {}

  get path(): string {
    return this.file.path;
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.port.perform(
      { operation: "read", latency: "read", fields: { path: this.path, position, length } },
      (engine) => engine.read(this.file, position, length),
    );
  }

  /** The bytes are copied when the write is issued: the caller may reuse its buffer at once. */
  write(position: number, data: Uint8Array): Promise<void> {
    const copy = data.slice();
    return this.port.perform(
      { operation: "write", latency: "write", fields: { path: this.path, position, length: copy.length } },
      (engine) => engine.write(this.file, position, copy),
    );
  }

  sync(): Promise<void> {
    return this.port.perform({ operation: "sync", latency: "sync", fields: { path: this.path } }, (engine) =>
      engine.sync(this.file),
    );
  }

  truncate(length: number): Promise<void> {
    return this.port.perform(
      { operation: "truncate", latency: "write", fields: { path: this.path, length } },
      (engine) => engine.truncate(this.file, length),
    );
  }

  size(): Promise<number> {
    return this.port.perform({ operation: "size", latency: "read", fields: { path: this.path } }, (engine) =>
      engine.size(this.file),
    );
  }

  close(): Promise<void> {
    return this.port.perform({ operation: "close", latency: "read", fields: { path: this.path } }, (engine) => {
      engine.close(this.file);
      this.onClosed(this.file);
    });
  }
}
