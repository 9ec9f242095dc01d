/**
 * ConnectionLifecycle: one side's BackedPipe connections, judged from what the
 * network and the pipe's user observe, never from the pipe's own state.
 *
 * Contract checked (Coder's backedpipe: a reconnection replaces the connection; a
 * failed one leaves the pipe without any):
 * - pipe.no-bytes-from-rejected-connection: no chunk the pipe's `read()` delivers
 *   came from a connection the pipe had let go of: one replaced by a later
 *   reconnector call, or rejected by a reconnection reported failed (a replay the
 *   writer refused or that failed, a connection that failed during the reconnection).
 * - pipe.rejected-connection-closed: a connection the pipe let go of is closed or
 *   reset at the network level (`Connection.closed` of the simulated stream) by the
 *   time the pipe asks its reconnector for the next one, is closed, or the run ends.
 * Observation: each connection handed to the pipe is wrapped, and every chunk it
 * yields is remembered by identity with its connection (the pipe hands its user the
 * chunks its connections return); a delivered chunk no connection yielded is
 * reported too, since it cannot be attributed.
 */
import type { PipeConnection } from "../../src/impl/backedpipe/index.ts";
import type { ResumedConnection } from "./resumed-connection.ts";

/** A connection handed to the pipe, numbered per side in the order handed. */
interface Watched {
  readonly number: number;
  readonly connection: ResumedConnection;
  /** Why the pipe let go of it, once it did. */
  letGo: string | undefined;
}

/** Reports a broken invariant (the scenario's violation). */
export type LifecycleViolation = (invariant: string, details: string) => void;

/** Connections kept before those let go of and closed are forgotten (their chunks stay attributed). */
const WATCHED_CONNECTIONS_MAX = 64;

export class ConnectionLifecycle {
  readonly #violate: LifecycleViolation;
  readonly #origin = new WeakMap<Uint8Array, Watched>();
  #watched: Watched[] = [];
  #handed = 0;
  #pipeClosed = false;

  constructor(violate: LifecycleViolation) {
    this.#violate = violate;
  }

  /** Connections handed to the pipe so far. */
  get handed(): number {
    return this.#handed;
  }

  /** The pipe called its reconnector: it has let go of every connection it was handed, and closed them. */
  attemptStarting(): void {
    this.#letGoOfAll("replaced by a later reconnection attempt");
    this.#checkClosed("the pipe asked for a new connection");
  }

  /** The pipe reported a reconnection failed: it holds no connection. */
  reconnectionFailed(error: Error): void {
    this.#letGoOfAll(`rejected by a failed reconnection (${error.name}: ${error.message})`);
  }

  /** The pipe was closed: it holds no connection, and has closed them all. */
  pipeClosed(): void {
    this.#pipeClosed = true;
    this.#letGoOfAll("the pipe was closed");
    this.#checkClosed("the pipe was closed");
  }

  /** The run ends: every connection the pipe let go of is closed. */
  finish(): void {
    this.#checkClosed("the run ended");
  }

  /** The reconnector hands `connection` to the pipe: returns the wrapper the pipe gets, which tags every chunk read. */
  watch(connection: ResumedConnection): PipeConnection {
    this.#handed += 1;
    const watched: Watched = {
      number: this.#handed,
      connection,
      letGo: this.#pipeClosed ? "handed to a closed pipe" : undefined,
    };
    this.#watched.push(watched);
    if (this.#watched.length > WATCHED_CONNECTIONS_MAX) this.#forgetClosed();
    return {
      read: async () => {
        const chunk = await connection.read();
        if (chunk !== null) this.#origin.set(chunk, watched);
        return chunk;
      },
      write: (data) => connection.write(data),
      close: () => connection.close(),
    };
  }

  /** The pipe's read() delivered `chunk` to its user. */
  delivered(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const watched = this.#origin.get(chunk);
    if (watched === undefined) {
      this.#violate(
        "pipe.no-bytes-from-rejected-connection",
        `the pipe delivered ${chunk.length} bytes that no connection it was handed yielded`,
      );
      return;
    }
    if (watched.letGo === undefined) return;
    this.#violate(
      "pipe.no-bytes-from-rejected-connection",
      `the pipe delivered ${chunk.length} bytes read from connection ${describe(watched)} after it was ${watched.letGo}`,
    );
  }

  #letGoOfAll(reason: string): void {
    for (const watched of this.#watched) watched.letGo ??= reason;
  }

  /** Reports the first connection let go of that is still open, and forgets the closed ones. */
  #checkClosed(moment: string): void {
    const open = this.#watched.find((watched) => watched.letGo !== undefined && !watched.connection.raw.closed);
    if (open !== undefined) {
      this.#violate(
        "pipe.rejected-connection-closed",
        `${moment}, but connection ${describe(open)} is still open at the network level; it was ${open.letGo}`,
      );
    }
    this.#forgetClosed();
  }

  /** Drops connections let go of and closed: they can deliver nothing more (a closed stream yields no byte). */
  #forgetClosed(): void {
    this.#watched = this.#watched.filter((watched) => watched.letGo === undefined || !watched.connection.raw.closed);
  }
}

function describe(watched: Watched): string {
  const raw = watched.connection.raw;
  return `#${watched.number} (${raw.localAddress}->${raw.remoteAddress})`;
}
