/**
 * The RPC server on one port: the method table and the accept loop.
 *
 * Faults handled here: the listener closing (the server closed, or its process
 * died) ends the accept loop; connections beyond `RPC_SERVER_CONNECTIONS_MAX` are
 * reset at once. `close()` stops listening, resets every connection and aborts
 * every call in flight. Faults of one connection never reach another, or the server.
 */
import {
  RpcError,
  type Clock,
  type NotificationHandler,
  type RpcServer,
  type StreamHandler,
  type UnaryHandler,
} from "../../env.ts";
import type { FrameListener, FrameTransport } from "./frame-channel.ts";
import { RPC_METHOD_NAME_LENGTH_MAX, RPC_SERVER_CONNECTIONS_MAX } from "./limits.ts";
import type { HandlerEntry } from "./server-call.ts";
import { ServerConnection } from "./server-connection.ts";

/** Listens on `port` of `net` at once (throws NetError EADDRINUSE if it is taken). */
export class Server implements RpcServer {
  private readonly handlers = new Map<string, HandlerEntry>();
  private readonly connections = new Set<ServerConnection>();
  private readonly listener: FrameListener;
  private closed = false;

  constructor(
    private readonly transport: FrameTransport,
    private readonly clock: Clock,
    readonly port: number,
  ) {
    this.listener = transport.listen(port);
    void this.acceptLoop();
  }

  /** Serves `method` as a unary call. Throws if the method is already served. */
  unary(method: string, handler: UnaryHandler): void {
    this.register(method, { kind: "unary", handler });
  }

  /** Serves `method` as a server stream. Throws if the method is already served. */
  serverStream(method: string, handler: StreamHandler): void {
    this.register(method, { kind: "stream", handler });
  }

  /** Serves `method` as one-way notifications. Throws if the method is already served. */
  notification(method: string, handler: NotificationHandler): void {
    this.register(method, { kind: "notification", handler });
  }

  /** Stops listening, resets every connection and aborts every call in flight (CANCELLED). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener.close();
    const reason = new RpcError("CANCELLED", `server on port ${this.port} closed`);
    for (const connection of [...this.connections]) connection.reset(reason);
  }

  private register(method: string, entry: HandlerEntry): void {
    if (typeof method !== "string" || method.length === 0 || method.length > RPC_METHOD_NAME_LENGTH_MAX) {
      throw new RangeError(`rpc: a method name has 1 to ${RPC_METHOD_NAME_LENGTH_MAX} characters`);
    }
    if (this.handlers.has(method)) throw new Error(`rpc: method ${method} is already served on port ${this.port}`);
    this.handlers.set(method, entry);
  }

  private async acceptLoop(): Promise<void> {
    while (true) {
      let connection;
      try {
        connection = await this.listener.accept();
      } catch {
        return; // The listener closed: the server closed or its process died.
      }
      if (this.closed) {
        connection.reset();
        return;
      }
      if (this.connections.size >= RPC_SERVER_CONNECTIONS_MAX) {
        connection.reset();
        continue;
      }
      const served = new ServerConnection(
        connection,
        this.transport,
        this.clock,
        (method) => this.handlers.get(method),
        (finished) => {
          this.connections.delete(finished);
        },
      );
      this.connections.add(served);
      served.start();
    }
  }
}
