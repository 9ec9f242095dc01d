/**
 * The listening side's reconnector: an attempt waits for the next connection the
 * accept loop offers (or for the pipe's abort signal) and runs the resume handshake
 * on it.
 *
 * Limits: at most one accepted connection waits; a newer one supersedes it (the
 * older is reset: the dialer has given up on it, since it dials again only after
 * abandoning its previous stream). At most one attempt waits at a time (a pipe's
 * reconnection attempts run one after another).
 */
import type { Connection, Env } from "../../src/sim/env.ts";
import { handshake, PipeHandshakeError, type HandshakeOptions, type ResumingReconnector } from "./handshake.ts";

/** Hands accepted connections to a pipe's reconnection attempts (see the file's comment). */
export class AcceptingReconnector {
  readonly #handshakeOptions: HandshakeOptions;
  readonly #probe: (name: string) => void;
  #pending: Connection | undefined;
  #wake: (() => void) | undefined;

  /** `handshakeTimeoutMs`: host-local milliseconds before a handshake gives up. */
  constructor(env: Env, handshakeTimeoutMs: number) {
    this.#probe = (name) => env.probe(name);
    this.#handshakeOptions = { clock: env.clock, timeoutMs: handshakeTimeoutMs, probe: this.#probe };
  }

  /** Offers an accepted connection to the next attempt; supersedes (resets) one still waiting. */
  offer(raw: Connection): void {
    if (this.#pending !== undefined) {
      this.#probe("pipe.accepted-connection-superseded");
      this.#pending.reset();
    }
    this.#pending = raw;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** True while an accepted connection waits for an attempt. */
  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  /** The pipe's reconnector. */
  readonly reconnector: ResumingReconnector = async (readerSequenceNumber, signal) => {
    const raw = await this.#take(signal);
    return handshake(raw, readerSequenceNumber, signal, this.#handshakeOptions);
  };

  /** Closes a connection still waiting (the session is over). */
  close(): void {
    this.#pending?.reset();
    this.#pending = undefined;
  }

  /** The next offered connection; rejects once `signal` aborts. */
  async #take(signal: AbortSignal): Promise<Connection> {
    // Each turn waits for an offer or the abort, and either ends the loop: two turns at most.
    for (let turn = 0; turn < 2; turn++) {
      if (signal.aborted) break;
      const raw = this.#pending;
      if (raw !== undefined) {
        this.#pending = undefined;
        return raw;
      }
      if (this.#wake !== undefined) throw new PipeHandshakeError("two reconnection attempts wait at once");
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.#wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    throw new PipeHandshakeError("the pipe closed while waiting for a connection");
  }
}
