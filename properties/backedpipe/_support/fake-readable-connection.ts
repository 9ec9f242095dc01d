/**
 * In-memory read side of a connection, for BackedReader tests: the test pushes
 * chunks, ends the stream or fails it, and reads settle through promises only.
 */
import type { ReadableConnection } from "../../../src/impl/backedpipe/connection.ts";

type Item =
  | { readonly kind: "chunk"; readonly chunk: Uint8Array }
  | { readonly kind: "end" }
  | { readonly kind: "fail"; readonly error: Error };

interface PendingRead {
  readonly resolve: (chunk: Uint8Array | null) => void;
  readonly reject: (error: Error) => void;
}

export class FakeReadableConnection implements ReadableConnection {
  readonly #items: Item[] = [];
  readonly #pending: PendingRead[] = [];
  readCount = 0;

  push(chunk: Uint8Array): void {
    this.#offer({ kind: "chunk", chunk });
  }

  end(): void {
    this.#offer({ kind: "end" });
  }

  fail(error: Error): void {
    this.#offer({ kind: "fail", error });
  }

  /** Reads waiting for an item. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  read(): Promise<Uint8Array | null> {
    this.readCount += 1;
    const item = this.#items.shift();
    if (item === undefined) return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
    return settle(item);
  }

  #offer(item: Item): void {
    const reader = this.#pending.shift();
    if (reader === undefined) {
      this.#items.push(item);
      return;
    }
    settle(item).then(reader.resolve, reader.reject);
  }
}

function settle(item: Item): Promise<Uint8Array | null> {
  if (item.kind === "chunk") return Promise.resolve(item.chunk);
  if (item.kind === "end") return Promise.resolve(null);
  return Promise.reject(item.error);
}
