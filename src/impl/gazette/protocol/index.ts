/**
 * Gazette's broker protocol (go.gazette.dev/core/broker/protocol) in TypeScript:
 * journals, labels and selectors, specs, fragments, routes and headers, the
 * Journal service's messages with their validation, their wire encoding on
 * env.rpc, the client interfaces (JournalClient, Router, RoutedJournalClient) and
 * the RPC binding used by clients (`journalClientOverRpc`) and brokers
 * (`serveJournal`).
 */
export * from "./validation.ts";
export * from "./labels.ts";
export * from "./journal-spec.ts";
export * from "./fragment.ts";
export * from "./route.ts";
export * from "./status.ts";
export * from "./messages.ts";
export * from "./wire.ts";
export * from "./journal-client.ts";
export {
  APPEND_CHUNKS_MAX,
  APPEND_CONTENT_BYTES_MAX,
  APPEND_WIRE_CHUNK_BYTES,
  CALL_DEADLINE_MS_DEFAULT,
  ErrAppendTooLarge,
  JOURNAL_METHODS,
  journalClientOverRpc,
  READ_DEADLINE_MS_DEFAULT,
  routeDialer,
  serveJournal,
} from "./rpc-binding.ts";
export type { BrokerAddress, Dialer, JournalHandler, RouteDialerOptions, RpcBindingOptions } from "./rpc-binding.ts";
