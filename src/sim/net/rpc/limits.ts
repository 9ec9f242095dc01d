/**
 * The RPC layer's named limits. Every queue and buffer of the layer is bounded by
 * one of these; a peer that exceeds a limit it was told about is broken, and its
 * connection is reset.
 */

/** Largest frame body in bytes (the 4-byte length prefix excluded). Larger is MALFORMED. */
export const RPC_FRAME_BYTES_MAX = 16 * 1024 * 1024;
/** Bytes of the big-endian length prefix before each frame body. */
export const RPC_FRAME_HEADER_BYTES = 4;
/** Deepest nesting of arrays and maps in a payload (msgpack's own encoder default). */
export const RPC_VALUE_DEPTH_MAX = 100;
/** Longest method name in characters. */
export const RPC_METHOD_NAME_LENGTH_MAX = 256;
/** Deadline of a call when the caller gives none, in host-local milliseconds. */
export const RPC_DEADLINE_MS_DEFAULT = 5000;
/** Calls (unary and streams) a client keeps in flight on one connection; beyond it calls fail fast. */
export const RPC_PENDING_CALLS_MAX = 1024;
/** Pooled client connections (one per address and port); idle ones are closed to make room. */
export const RPC_CLIENT_CONNECTIONS_MAX = 256;
/** Connections a server holds open; later ones are reset. */
export const RPC_SERVER_CONNECTIONS_MAX = 1024;
/** Handlers a server runs at once for one connection; beyond it calls fail with UNAVAILABLE. */
export const RPC_SERVER_CALLS_PER_CONNECTION_MAX = RPC_PENDING_CALLS_MAX;
/**
 * Stream messages the server may send before the client grants more credit: also
 * the most messages a client buffers for a consumer that has not taken them yet.
 */
export const RPC_STREAM_WINDOW_MESSAGES = 32;
/** The client grants new credit once the consumer has taken this many messages. */
export const RPC_STREAM_CREDIT_BATCH_MESSAGES = RPC_STREAM_WINDOW_MESSAGES / 2;
/** Notifications one client connection holds while it dials or waits for window; beyond it they are dropped. */
export const RPC_NOTIFICATIONS_QUEUED_MAX = 1024;
/** Dial timeout of a notification when the caller gives none, in host-local milliseconds. */
export const RPC_NOTIFY_DIAL_TIMEOUT_MS_DEFAULT = 1000;
