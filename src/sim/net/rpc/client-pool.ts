/**
 * The client's connection pool: at most one live connection per (address, port),
 * dialed by the first call that needs it, and dropped from the pool as soon as it
 * fails so that the next call redials.
 *
 * Faults handled here: none directly (see client-connection.ts); the pool only
 * bounds itself (`RPC_CLIENT_CONNECTIONS_MAX`), closing an idle connection to make
 * room, or failing the call fast with UNAVAILABLE when every connection is busy.
 */
import { RpcError } from "../../env.ts";
import { ClientConnection } from "./client-connection.ts";
import type { FrameTransport } from "./frame-channel.ts";
import { RPC_CLIENT_CONNECTIONS_MAX } from "./limits.ts";

/** Keys of (address, port) a pool remembers; beyond them a key is built for each call. */
const RPC_CLIENT_POOL_KEYS_MAX = 1024;

/** At most one live ClientConnection per (address, port), bounded by `RPC_CLIENT_CONNECTIONS_MAX`. */
export class ClientPool {
  private readonly connections = new Map<string, ClientConnection>();
  /** The key of each (address, port) called, made once, so that a call builds and hashes no new string. */
  private readonly keys = new Map<string, Map<number, string>>();
  private keyCount = 0;

  constructor(private readonly transport: FrameTransport) {}

  /** Live pooled connections (dialing or open). */
  get size(): number {
    return this.connections.size;
  }

  /**
   * The connection to (address, port), dialing a new one, with `dialTimeoutMs`, if
   * there is none. UNAVAILABLE when the pool is full of busy connections.
   */
  acquire(address: string, port: number, dialTimeoutMs: number): ClientConnection | RpcError {
    const key = this.keyOf(address, port);
    const existing = this.connections.get(key);
    if (existing !== undefined && !existing.finished) return existing;
    if (this.connections.size >= RPC_CLIENT_CONNECTIONS_MAX && !this.closeOneIdle()) {
      return new RpcError("UNAVAILABLE", `too many rpc connections (limit ${RPC_CLIENT_CONNECTIONS_MAX}), all busy`);
    }
    const connection = new ClientConnection(this.transport, { address, port }, dialTimeoutMs, (finished) => {
      if (this.connections.get(key) === finished) this.connections.delete(key);
    });
    // A dial that fails synchronously (a programmer error such as a bad port) finishes the connection at once.
    if (connection.failure !== undefined) return connection.failure;
    this.connections.set(key, connection);
    return connection;
  }

  private keyOf(address: string, port: number): string {
    const key = this.keys.get(address)?.get(port);
    if (key !== undefined) return key;
    const made = `${port}/${address}`;
    if (this.keyCount >= RPC_CLIENT_POOL_KEYS_MAX) return made;
    let ports = this.keys.get(address);
    if (ports === undefined) this.keys.set(address, (ports = new Map()));
    ports.set(port, made);
    this.keyCount++;
    return made;
  }

  /** Closes the oldest connection with no call in flight. False when there is none. */
  private closeOneIdle(): boolean {
    for (const connection of this.connections.values()) {
      if (connection.callCount === 0) {
        connection.close();
        return true;
      }
    }
    return false;
  }
}
