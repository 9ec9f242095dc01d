/**
 * Unary and server-streaming RPC with deadlines, built only on an Env's `Net`
 * (ordered byte streams that can reset) and `Clock`: what a real system would use,
 * with no access to the simulator's internals.
 *
 * Faults handled (details in rpc/*.ts): dial failures, connection resets and ends
 * (calls in flight fail with UNAVAILABLE; the next call redials), deadlines
 * (DEADLINE_EXCEEDED, and a cancel sent to the server), malformed or oversized
 * frames and protocol violations from a peer (the connection is reset and its
 * calls fail with MALFORMED; a server never crashes on them), unknown methods
 * (UNIMPLEMENTED), failing handlers (their RpcError, or INTERNAL), and a slow
 * stream consumer (per-stream credit holds the server's `send`). It injects no
 * faults. Every queue is bounded (rpc/limits.ts).
 *
 * Wire format (rpc/frame.ts): a 4-byte big-endian length, then a msgpack body.
 */
import type { Clock, Net, Rpc } from "../env.ts";
import { Client } from "./rpc/client.ts";
import { byteTransport, type FrameTransport } from "./rpc/frame-channel.ts";
import { Server } from "./rpc/server.ts";

export {
  RPC_CLIENT_CONNECTIONS_MAX,
  RPC_DEADLINE_MS_DEFAULT,
  RPC_FRAME_BYTES_MAX,
  RPC_FRAME_HEADER_BYTES,
  RPC_METHOD_NAME_LENGTH_MAX,
  RPC_PENDING_CALLS_MAX,
  RPC_SERVER_CALLS_PER_CONNECTION_MAX,
  RPC_SERVER_CONNECTIONS_MAX,
  RPC_STREAM_CREDIT_BATCH_MESSAGES,
  RPC_STREAM_WINDOW_MESSAGES,
  RPC_VALUE_DEPTH_MAX,
} from "./rpc/limits.ts";

/**
 * The RPC layer of one process incarnation. Calls share one pooled connection per
 * (address, port) and are told apart by call id; `serve(port)` listens at once
 * (and throws NetError EADDRINUSE if the port is taken). Calls settle with their
 * answer or an RpcError, at the latest at their deadline; bad arguments (not a
 * WireValue, a request above RPC_FRAME_BYTES_MAX, a bad port or deadline) reject
 * with TypeError or RangeError instead. Create one per incarnation and keep it:
 * each instance has its own connection pool. Deterministic: time comes only from
 * `clock`, and nothing is random.
 */
export function createRpc(net: Net, clock: Clock, transport: FrameTransport = byteTransport(net)): Rpc {
  const client = new Client(transport, clock);
  return {
    serve: (port) => new Server(transport, clock, port),
    call: (address, port, method, request, options) => client.call(address, port, method, request, options),
    serverStream: (address, port, method, request, options) =>
      client.serverStream(address, port, method, request, options),
    notify: (address, port, method, message, options) => client.notify(address, port, method, message, options),
  };
}
