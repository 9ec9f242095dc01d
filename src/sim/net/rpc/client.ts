/**
 * The RPC client: numbers calls and hands them to the pooled connections.
 *
 * Faults handled here: none of its own; see client-connection.ts (dial failures,
 * resets, malformed frames), unary-call.ts and stream-call.ts (deadlines).
 */
import type { CallOptions, Clock, NotifyOptions, WireValue } from "../../env.ts";
import { RpcError } from "../../env.ts";
import { prepareCall, prepareNotification } from "./call-setup.ts";
import { ClientPool } from "./client-pool.ts";
import type { FrameTransport } from "./frame-channel.ts";
import { StreamCall } from "./stream-call.ts";
import { startUnaryCall } from "./unary-call.ts";

/** The client half of an Rpc: call ids increase across all of its connections. */
export class Client {
  private readonly pool: ClientPool;
  private nextCallId = 1;

  constructor(
    private readonly transport: FrameTransport,
    private readonly clock: Clock,
  ) {
    this.pool = new ClientPool(transport);
  }

  /** A unary call (see Rpc.call). Bad arguments reject with TypeError or RangeError. */
  call(address: string, port: number, method: string, request: WireValue, options?: CallOptions): Promise<WireValue> {
    try {
      const setup = prepareCall(
        this.nextCallId++,
        { address, port, method, request, options, streaming: false },
        this.transport,
      );
      return startUnaryCall(this.pool, this.clock, setup);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A one-way notification (see Rpc.notify). Bad arguments throw TypeError or RangeError. */
  notify(address: string, port: number, method: string, message: WireValue, options?: NotifyOptions): boolean {
    const setup = prepareNotification(
      this.nextCallId++,
      { address, port, method, request: message, options },
      this.transport,
    );
    const connection = this.pool.acquire(setup.address, setup.port, setup.dialTimeoutMs);
    if (connection instanceof RpcError) return false;
    return connection.notify(setup.id, setup.frame, setup.datagram);
  }

  /**
   * A server-streaming call (see Rpc.serverStream). Each iteration is its own call,
   * started when iteration starts; bad arguments throw from `[Symbol.asyncIterator]()`.
   */
  serverStream(
    address: string,
    port: number,
    method: string,
    request: WireValue,
    options?: CallOptions,
  ): AsyncIterable<WireValue> {
    return {
      [Symbol.asyncIterator]: () => {
        const setup = prepareCall(
          this.nextCallId++,
          { address, port, method, request, options, streaming: true },
          this.transport,
        );
        const call = new StreamCall(this.clock, setup);
        call.start(this.pool);
        return call;
      },
    };
  }
}
