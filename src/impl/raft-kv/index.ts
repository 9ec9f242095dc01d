/**
 * raft-kv: a linearizable key-value store (get, put, cas on string keys) on the
 * raft package's RaftNode. The FSM (kv-fsm.ts) holds the map; the server
 * (kv-server.ts) serves RPCs on the leader and redirects elsewhere; the client
 * (kv-client.ts) finds the leader and reports each operation as ok, fail or info.
 */
export * from "./commands.ts";
export * from "./errors.ts";
export { KvFsm } from "./kv-fsm.ts";
export type { ApplyObserver } from "./kv-fsm.ts";
export { KV_ENQUEUE_TIMEOUT_MS, KV_PORT, runKvServer } from "./kv-server.ts";
export type { KvReadMode, KvServer, KvServerOptions } from "./kv-server.ts";
export { KvClient } from "./kv-client.ts";
export type { KvClientOptions, KvOutcome } from "./kv-client.ts";
