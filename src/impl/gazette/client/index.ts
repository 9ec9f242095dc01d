/**
 * Gazette's client package (go.gazette.dev/core/broker/client) in TypeScript:
 * Reader and RetryReader over the Read RPC, FragmentReader and openFragmentURL
 * for direct fragment reads (FragmentTransports, installFileTransport), Appender
 * and append over the Append RPC, the AppendService (AsyncAppend, OpFuture,
 * AsyncOperation, OpFutures), listing and applying journals and fragments,
 * PolledList, RouteCache and the package's named errors. Everything runs on the
 * Env: virtual time, the host's disk, env.rpc through the protocol's binding.
 */
export * from "./errors.ts";
export { backoff, sleepOrAbort } from "./backoff.ts";
export { AsyncOperation, finishedOperation, OpFutures } from "./op-future.ts";
export type { OpFuture } from "./op-future.ts";
export { RouteCache } from "./route-cache.ts";
export {
  FILE_TRANSPORT_READ_BYTES,
  fileTransport,
  FragmentTransports,
  installFileTransport,
} from "./fragment-transport.ts";
export type { ByteSource, FragmentStoreTransport } from "./fragment-transport.ts";
export { FRAGMENT_READ_BYTES_DEFAULT, FragmentReader, openFragmentURL } from "./fragment-reader.ts";
export { BUFFERED_READER_SIZE_DEFAULT, BufferedReader } from "./buffered-reader.ts";
export type { ChunkSource } from "./buffered-reader.ts";
export { READ_BYTES_DEFAULT, Reader } from "./reader.ts";
export type { ReaderOptions, Whence } from "./reader.ts";
export { DEFAULT_READER_FACTORY, RETRY_READER_ATTEMPTS_MAX_DEFAULT, RetryReader } from "./retry-reader.ts";
export type { ReaderFactory, RetryReaderOptions } from "./retry-reader.ts";
export { append, Appender, DEFAULT_APPENDER_FACTORY, isAppendRetriable } from "./appender.ts";
export type { AppenderFactory, AppendOptions, AppenderOptions, ReaderAt } from "./appender.ts";
export { ChunkChannel, ErrChannelClosed } from "./chunk-channel.ts";
export { AppendBuffer } from "./append-buffer.ts";
export {
  APPEND_SERVICE_NON_RETRIED_STATUSES,
  AppendService,
  appendRequestsEqual,
  AsyncAppend,
} from "./append-service.ts";
export type { AppendAttemptEvent, AppendServiceOptions, AppendWriter } from "./append-service.ts";
export {
  applyJournals,
  applyJournalsInBatches,
  getJournal,
  LIST_PAGES_MAX,
  listAllFragments,
  listAllJournals,
} from "./list.ts";
export type { ListOptions } from "./list.ts";
export { PolledList } from "./polled-list.ts";
export type { PolledListOptions } from "./polled-list.ts";
