/**
 * FragmentStoreClient: a broker's (or a reader's) side of simulated fragment
 * stores: Gazette's store functions Persist, List, Remove and Open for the
 * `sim://` scheme, and a FragmentStoreTransport so that client Readers open
 * fragment URLs of these stores (register it in a FragmentTransports).
 *
 * Every call has a deadline (env.rpc) and honours an AbortSignal (ErrCancelled).
 * Persist compresses per the fragment's codec and checks the content against
 * the fragment first (length and SHA-1: ErrChecksumMismatch), since a local spool
 * read back from a faulty disk may be damaged; the store checks again.
 *
 * Open fetches the whole stored file (bounded by FRAGMENT_STORE_PUT_BYTES_MAX)
 * and verifies it against the content name in the URL (decompresses to End -
 * Begin bytes with the name's SHA-1) before handing out a single byte: a damaged
 * file is ErrUnexpectedEOF or ErrCorruptFragment, never served.
 *
 * Health (later Gazette's fragment store health checks): a store endpoint is
 * unhealthy after an operation against it failed with a transport error
 * (ErrFragmentStoreUnavailable) or a disk failure of the store, until an
 * operation against it succeeds; `checkHealth` probes it with a listing of a
 * prefix that holds nothing.
 */
import { RpcError, type Env, type WireValue } from "../../../../sim/env.ts";
import { ErrCorruptFragment, ErrFragmentFetch } from "../../client/errors.ts";
import type { ByteSource, FragmentStoreTransport, FragmentTransports } from "../../client/fragment-transport.ts";
import { ErrCancelled } from "../../protocol/journal-client.ts";
import { fragmentContentLength, fragmentSum, validateFragment, type Fragment } from "../../protocol/fragment.ts";
import type { FragmentStore, Journal } from "../../protocol/journal-spec.ts";
import { ValidationError } from "../../protocol/validation.ts";
import { compressContent, concatBytes, decompressContent } from "../../client/codec.ts";
import { ErrChecksumMismatch, ErrFragmentStoreRefused, ErrFragmentStoreUnavailable } from "./errors.ts";
import {
  decodeDeleteResponse,
  decodeGetMessage,
  decodeListResponse,
  decodePutResponse,
  encodePutRequest,
  FRAGMENT_STORE_GET_CHUNK_BYTES,
  FRAGMENT_STORE_METHODS,
  FRAGMENT_STORE_PUT_BYTES_MAX,
  refusalKind,
  type ListRequest,
} from "./store-protocol.ts";
import {
  FRAGMENT_STORE_SCHEME,
  fragmentStorePath,
  journalStorePrefix,
  parseContentName,
  parseFragmentFromRelativePath,
  parseSimUrl,
  parseStoreUrl,
  storeEndpoint,
} from "./store-url.ts";

/** Deadline of one unary store call, host-local ms. */
export const STORE_CALL_DEADLINE_MS_DEFAULT = 10_000;
/** Deadline of one whole fragment fetch (get stream). */
export const STORE_OPEN_DEADLINE_MS_DEFAULT = 60_000;
/** Most pages one listing reads. */
export const STORE_LIST_PAGES_MAX_DEFAULT = 1_000;
/** Most store endpoints whose health is remembered. */
const HEALTH_ENTRIES_MAX = 1_024;
/** Prefix listed by checkHealth: no fragment lives there (journal names are 4+ characters). */
const HEALTH_PROBE_PREFIX = "health-check-probe/";

export interface FragmentStoreClientOptions {
  callDeadlineMs?: number;
  openDeadlineMs?: number;
  listPagesMax?: number;
}

interface Address {
  host: string;
  port: number;
  endpoint: string;
}

export class FragmentStoreClient {
  private readonly callDeadlineMs: number;
  private readonly openDeadlineMs: number;
  private readonly listPagesMax: number;
  /** Endpoints whose last outcome was a transport (or store disk) failure. */
  private readonly unhealthy = new Set<string>();

  constructor(
    private readonly env: Env,
    options: FragmentStoreClientOptions = {},
  ) {
    this.callDeadlineMs = options.callDeadlineMs ?? STORE_CALL_DEADLINE_MS_DEFAULT;
    this.openDeadlineMs = options.openDeadlineMs ?? STORE_OPEN_DEADLINE_MS_DEFAULT;
    this.listPagesMax = options.listPagesMax ?? STORE_LIST_PAGES_MAX_DEFAULT;
  }

  /**
   * Persists `fragment` with its uncompressed `content` to `store` (Gazette's
   * Persist). Idempotent: a store already holding the fragment answers its
   * ModTime. Returns the fragment with its backing store and ModTime.
   */
  async persist(
    store: FragmentStore,
    fragment: Fragment,
    content: Uint8Array,
    signal?: AbortSignal,
  ): Promise<Fragment> {
    const { prefix } = parseStoreUrl(store);
    validateFragment(fragment);
    if (content.length !== fragmentContentLength(fragment)) {
      throw new ErrChecksumMismatch(
        `content of ${content.length} bytes, fragment [${fragment.begin}, ${fragment.end})`,
      );
    }
    const sum = fragmentSum(this.env.hash, content);
    if (sum !== fragment.sum) throw new ErrChecksumMismatch(`content sum ${sum}, fragment sum ${fragment.sum}`);
    const stored = compressContent(fragment.compressionCodec, content);
    if (stored.length > FRAGMENT_STORE_PUT_BYTES_MAX) {
      throw new ErrFragmentStoreRefused(
        "too large",
        "persist",
        `${stored.length} stored bytes exceed ${FRAGMENT_STORE_PUT_BYTES_MAX}`,
      );
    }
    const path = fragmentStorePath(prefix, fragment);
    const request = encodePutRequest({ path, content: stored, fragment: { ...fragment, backingStore: store } });
    const response = decodeOrUnavailable(
      this.address(store),
      "persist",
      decodePutResponse,
      await this.call(store, "persist", FRAGMENT_STORE_METHODS.put, request, signal),
    );
    this.env.trace("gazette.fragment-store.persisted", { path, created: response.created, modTime: response.modTime });
    return { ...fragment, backingStore: store, modTime: response.modTime };
  }

  /**
   * Every fragment of `journal` in `store` (Gazette's List), in store order,
   * with backing store and ModTime. Names that do not parse are skipped with a
   * warning, as are empty files of non-empty fragments.
   */
  async list(store: FragmentStore, journal: Journal, signal?: AbortSignal): Promise<Fragment[]> {
    const { prefix } = parseStoreUrl(store);
    const listPrefix = journalStorePrefix(prefix, journal);
    const fragments: Fragment[] = [];
    for (const entry of await this.listEntries(store, listPrefix, signal)) {
      const relative = entry.path.slice(listPrefix.length);
      let fragment: Fragment;
      try {
        fragment = parseFragmentFromRelativePath(journal, relative);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        this.env.log.warn("parsing fragment", { journal, name: relative, error: error.message });
        this.env.probe("gazette.fragment-store.unparsable-name-skipped");
        continue;
      }
      if (entry.size === 0 && fragmentContentLength(fragment) > 0) {
        this.env.log.warn("zero-length fragment", { journal, name: relative });
        this.env.probe("gazette.fragment-store.zero-length-skipped");
        continue;
      }
      fragments.push({ ...fragment, backingStore: store, modTime: entry.modTime });
    }
    return fragments;
  }

  /** Removes a persisted fragment from its backing store (Gazette's Remove). False if it was not there. */
  async remove(fragment: Fragment, signal?: AbortSignal): Promise<boolean> {
    const { prefix } = parseStoreUrl(fragment.backingStore);
    const request = { path: fragmentStorePath(prefix, fragment) };
    const response = await this.call(fragment.backingStore, "remove", FRAGMENT_STORE_METHODS.delete, request, signal);
    return decodeOrUnavailable(this.address(fragment.backingStore), "remove", decodeDeleteResponse, response).deleted;
  }

  /**
   * Opens the fragment file at `url` (`sim://host:port/<store path>`), fetched
   * whole and verified against its content name before any byte is handed out.
   * A missing file is ErrFragmentFetch (404).
   */
  async open(url: string, signal?: AbortSignal): Promise<ByteSource> {
    let parsed: { host: string; port: number; path: string };
    let named: ReturnType<typeof parseContentName>;
    try {
      parsed = parseSimUrl(url);
      named = parseContentName(parsed.path.slice(parsed.path.lastIndexOf("/") + 1));
    } catch (error) {
      throw new ErrFragmentFetch(url, "400 Bad Request", error);
    }
    const address = { host: parsed.host, port: parsed.port, endpoint: storeEndpoint(parsed) };
    const stored = await this.fetch(address, url, parsed.path, signal);
    const length = named.end - named.begin;
    const content = decompressContent(named.compressionCodec, stored, length);
    if (content.length !== length)
      throw new ErrCorruptFragment(`${url}: ${content.length} content bytes, expected ${length}`);
    if (fragmentSum(this.env.hash, content) !== named.sum)
      throw new ErrCorruptFragment(`${url}: content does not match its SHA-1 sum`);
    return bytesSource(stored);
  }

  /** A FragmentStoreTransport of the `sim` scheme (client Readers, openFragmentURL). */
  transport(): FragmentStoreTransport {
    return { open: (url, _fragment, signal) => this.open(url, signal) };
  }

  /** Registers this client's transport for `sim://` URLs; returns the undo. */
  install(transports: FragmentTransports): () => void {
    return transports.register(FRAGMENT_STORE_SCHEME, this.transport());
  }

  /** False after the last operation against the store's endpoint failed with a transport error, until one succeeds. */
  healthy(store: FragmentStore): boolean {
    return !this.unhealthy.has(storeEndpoint(parseStoreUrl(store)));
  }

  /** Probes the store (a listing of a prefix holding nothing); returns its health afterwards. */
  async checkHealth(store: FragmentStore, signal?: AbortSignal): Promise<boolean> {
    const { prefix } = parseStoreUrl(store);
    try {
      await this.listEntries(store, `${prefix}${HEALTH_PROBE_PREFIX}`, signal);
    } catch (error) {
      if (error instanceof ErrCancelled) throw error;
    }
    return this.healthy(store);
  }

  private async listEntries(store: FragmentStore, prefix: string, signal: AbortSignal | undefined) {
    const entries = [];
    let pageToken = "";
    for (let pages = 0; ; pages++) {
      if (pages >= this.listPagesMax) {
        throw new ErrFragmentStoreRefused(
          "too large",
          "list",
          `listing of ${prefix} exceeds ${this.listPagesMax} pages`,
        );
      }
      const request: ListRequest = { prefix, pageToken };
      const response = await this.call(store, "list", FRAGMENT_STORE_METHODS.list, { prefix, pageToken }, signal);
      const page = decodeOrUnavailable(
        this.address(store),
        "list",
        (value) => decodeListResponse(value, request),
        response,
      );
      entries.push(...page.entries);
      if (page.nextPageToken === "") return entries;
      pageToken = page.nextPageToken;
    }
  }

  private address(store: FragmentStore): Address {
    const parsed = parseStoreUrl(store);
    return { host: parsed.host, port: parsed.port, endpoint: storeEndpoint(parsed) };
  }

  /** One unary call with a deadline, honouring `signal`; failures become typed errors and update health. */
  private async call(
    store: FragmentStore,
    operation: string,
    method: string,
    request: WireValue,
    signal: AbortSignal | undefined,
  ): Promise<WireValue> {
    const address = this.address(store);
    if (signal?.aborted) throw new ErrCancelled(signal.reason);
    let response: WireValue;
    try {
      response = await raceAbort(
        this.env.rpc.call(address.host, address.port, method, request, { deadlineMs: this.callDeadlineMs }),
        signal,
      );
    } catch (error) {
      throw this.failure(address, operation, error);
    }
    this.markHealthy(address.endpoint);
    return response;
  }

  /** Fetches a store file's stored bytes (get stream), bounded by FRAGMENT_STORE_PUT_BYTES_MAX. */
  private async fetch(
    address: Address,
    url: string,
    path: string,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    if (signal?.aborted) throw new ErrCancelled(signal.reason);
    const pieces: Uint8Array[] = [];
    let length = 0;
    const stream = this.env.rpc.serverStream(
      address.host,
      address.port,
      FRAGMENT_STORE_METHODS.get,
      { path, offset: 0 },
      { deadlineMs: this.openDeadlineMs },
    );
    const iterator = stream[Symbol.asyncIterator]();
    try {
      const chunksMax = Math.ceil(FRAGMENT_STORE_PUT_BYTES_MAX / FRAGMENT_STORE_GET_CHUNK_BYTES) + 1;
      for (let chunks = 0; ; chunks++) {
        const next = await raceAbort(iterator.next(), signal);
        if (next.done === true) break;
        const chunk = decodeOrUnavailable(address, "open", decodeGetMessage, next.value);
        length += chunk.length;
        if (chunks >= chunksMax || length > FRAGMENT_STORE_PUT_BYTES_MAX)
          throw new ErrCorruptFragment(`${url}: stored file larger than ${FRAGMENT_STORE_PUT_BYTES_MAX} bytes`);
        pieces.push(chunk);
      }
    } catch (error) {
      void iterator.return?.()?.catch(() => undefined);
      const failure = this.failure(address, "open", error);
      if (failure instanceof ErrFragmentStoreRefused && failure.kind === "not found")
        throw new ErrFragmentFetch(url, "404 Not Found", failure);
      throw failure;
    }
    this.markHealthy(address.endpoint);
    return concatBytes(pieces, length);
  }

  /** The typed error of a failed call; transport failures (and store disk failures) mark the endpoint unhealthy. */
  private failure(address: Address, operation: string, error: unknown): unknown {
    if (
      error instanceof ErrCancelled ||
      error instanceof ErrCorruptFragment ||
      error instanceof ErrFragmentStoreUnavailable
    ) {
      if (error instanceof ErrFragmentStoreUnavailable) this.markUnhealthy(address.endpoint);
      return error;
    }
    if (!(error instanceof RpcError)) return error;
    const kind = error.code === "APPLICATION" ? refusalKind(error.details) : undefined;
    if (kind === "checksum mismatch") {
      this.markHealthy(address.endpoint);
      return new ErrChecksumMismatch(error.message);
    }
    if (kind !== undefined) {
      if (kind === "io") this.markUnhealthy(address.endpoint);
      else this.markHealthy(address.endpoint);
      return new ErrFragmentStoreRefused(kind, operation, error.message);
    }
    this.markUnhealthy(address.endpoint);
    this.env.probe("gazette.fragment-store.unavailable");
    return new ErrFragmentStoreUnavailable(address.endpoint, operation, error);
  }

  private markHealthy(endpoint: string): void {
    this.unhealthy.delete(endpoint);
  }

  private markUnhealthy(endpoint: string): void {
    if (this.unhealthy.size >= HEALTH_ENTRIES_MAX && !this.unhealthy.has(endpoint)) {
      const oldest = this.unhealthy.values().next();
      if (oldest.done !== true) this.unhealthy.delete(oldest.value);
    }
    this.unhealthy.add(endpoint);
  }
}

/** Decodes a store answer; a malformed one is a broken store: ErrFragmentStoreUnavailable. */
function decodeOrUnavailable<T>(
  address: Address,
  operation: string,
  decode: (value: WireValue) => T,
  value: WireValue,
): T {
  try {
    return decode(value);
  } catch (error) {
    if (error instanceof ValidationError) throw new ErrFragmentStoreUnavailable(address.endpoint, operation, error);
    throw error;
  }
}

/**
 * Settles as `promise`, or rejects with ErrCancelled when `signal` aborts first (the listener is removed either way).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new ErrCancelled(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(new ErrCancelled(signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A ByteSource over bytes already in memory, in FRAGMENT_STORE_GET_CHUNK_BYTES pieces. */
function bytesSource(bytes: Uint8Array): ByteSource {
  let at = 0;
  return {
    async read() {
      if (at >= bytes.length) return null;
      const chunk = bytes.subarray(at, at + FRAGMENT_STORE_GET_CHUNK_BYTES);
      at += chunk.length;
      return chunk;
    },
    async close() {
      at = bytes.length;
    },
  };
}
