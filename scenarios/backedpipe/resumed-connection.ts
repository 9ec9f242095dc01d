/**
 * ResumedConnection: a simulated stream after the resume handshake, as a BackedPipe
 * sees it. It hands out first the bytes that arrived with the peer's handshake frame,
 * then reads the stream; and it remembers whether the stream has failed (a read or
 * write rejected, or the stream ended), so the scenario can tell a reconnection
 * caused by a real failure from one caused by a stale error.
 */
import type { PipeConnection } from "../../src/impl/backedpipe/index.ts";
import type { Connection } from "../../src/sim/env.ts";

export class ResumedConnection implements PipeConnection {
  readonly raw: Connection;
  #leftover: Uint8Array | undefined;
  #failed = false;

  /** Wraps `raw`; `leftover` (bytes read past the handshake frame) is read first. */
  constructor(raw: Connection, leftover: Uint8Array) {
    this.raw = raw;
    this.#leftover = leftover.length > 0 ? leftover.slice() : undefined;
  }

  /** True once a read or write on this connection failed, or a read reached end of stream. */
  get failed(): boolean {
    return this.#failed;
  }

  read(): Promise<Uint8Array | null> {
    const leftover = this.#leftover;
    if (leftover !== undefined) {
      this.#leftover = undefined;
      return Promise.resolve(leftover);
    }
    return this.raw.read().then(
      (chunk) => {
        if (chunk === null) this.#failed = true;
        return chunk;
      },
      (error: unknown) => {
        this.#failed = true;
        throw error;
      },
    );
  }

  write(data: Uint8Array): Promise<void> {
    return this.raw.write(data).catch((error: unknown) => {
      this.#failed = true;
      throw error;
    });
  }

  /** Graceful close, as a real pipe would close a TCP connection it replaces. */
  close(): void {
    this.raw.close();
  }
}
