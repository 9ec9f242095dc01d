/**
 * ConnectionSlot: the "current connection" of a BackedReader or BackedWriter, with
 * the waiting that Go does with a mutex and a sync.Cond.
 *
 * Why it exists: in Go, a Read or Write blocked inside the old connection holds the
 * component's mutex, so Reconnect deadlocks unless the caller closes the old
 * connection first. Here an operation on the current connection is *detachable*:
 * when the slot detaches (reconnect or close), every operation still in flight on
 * the old connection is abandoned at once, whatever that connection does later.
 * Abandoning is safe because the owner accounts for bytes by sequence number, not
 * by the old connection's answers: the writer's bytes are already in its ring buffer
 * (and the replay covers them), and the reader counts only the bytes it delivered.
 *
 * Bounded: the slot holds one abandon callback per operation in flight, and a
 * blocked waiter holds one promise; nothing accumulates on a stable connection.
 */
import { assert, assertCount } from "../../sim/assert.ts";
import { Broadcast } from "./broadcast.ts";

/** How an operation on the slot's connection ended. */
export type SlotOutcome<T> =
  | { readonly kind: "settled"; readonly value: T }
  | { readonly kind: "failed"; readonly error: unknown }
  /** The slot detached (reconnect or close) before the operation settled. */
  | { readonly kind: "detached" };

/** The connection installed in a slot, with the generation it was installed under. */
export interface SlotLease<C> {
  readonly connection: C;
  readonly generation: number;
  /** Changes every time the slot detaches: an operation is current only while it matches. */
  readonly epoch: number;
}

export class ConnectionSlot<C> {
  #connection: C | null = null;
  #generation = 0;
  #epoch = 0;
  #closed = false;
  readonly #abandonCallbacks = new Set<() => void>();
  readonly #changed = new Broadcast();

  /** True once closed; a closed slot never holds a connection again. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True while a connection is installed. */
  get connected(): boolean {
    return this.#connection !== null;
  }

  /**
   * True while `lease` is still the slot's current connection. An owner re-checks
   * this after every await: an operation's outcome is only meaningful while its
   * lease is current, since a detach may happen between the settle and the resume.
   */
  isCurrent(lease: SlotLease<C>): boolean {
    return lease.epoch === this.#epoch;
  }

  /** Installs `connection` (the slot must be open and empty) and wakes every waiter. */
  install(connection: C, generation: number): void {
    assert(!this.#closed, "install on a closed connection slot");
    assert(this.#connection === null, "install over a connection: detach it first");
    assertCount(generation, "generation");
    this.#connection = connection;
    this.#generation = generation;
    this.#notify();
  }

  /** Drops the current connection (if any) and abandons every operation in flight on it. */
  detach(): void {
    this.#connection = null;
    this.#epoch += 1;
    const callbacks = [...this.#abandonCallbacks];
    this.#abandonCallbacks.clear();
    for (const abandon of callbacks) abandon();
    this.#notify();
  }

  /** Closes the slot: detaches, and makes every waiter return null. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.detach();
  }

  /** Waits until a connection is installed (its lease) or the slot is closed (null). */
  async untilConnectedOrClosed(): Promise<SlotLease<C> | null> {
    for (;;) {
      if (this.#closed) return null;
      const connection = this.#connection;
      if (connection !== null) return { connection, generation: this.#generation, epoch: this.#epoch };
      await this.#changed.wait();
    }
  }

  /**
   * Waits for `operation`, started on the connection of `lease`, unless the slot
   * detaches first. If the operation fails after it was abandoned, `onLateFailure`
   * receives its error (the owner reports it, tagged with the lease's generation).
   * The outcome may still be stale when the caller resumes: re-check `isCurrent`.
   */
  settleUnlessDetached<T>(
    lease: SlotLease<C>,
    operation: Promise<T>,
    onLateFailure: (error: unknown) => void,
  ): Promise<SlotOutcome<T>> {
    return new Promise<SlotOutcome<T>>((resolve) => {
      let abandoned = false;
      const abandon = (): void => {
        abandoned = true;
        resolve({ kind: "detached" });
      };
      if (lease.epoch !== this.#epoch) abandon();
      else this.#abandonCallbacks.add(abandon);
      operation.then(
        (value) => {
          this.#abandonCallbacks.delete(abandon);
          resolve({ kind: "settled", value });
        },
        (error: unknown) => {
          this.#abandonCallbacks.delete(abandon);
          if (abandoned) onLateFailure(error);
          else resolve({ kind: "failed", error });
        },
      );
    });
  }

  #notify(): void {
    this.#changed.notifyAll();
  }
}
