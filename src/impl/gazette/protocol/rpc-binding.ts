/**
 * The Journal service on env.rpc: method names, the client adapter
 * (`journalClientOverRpc`) and the server helper for brokers (`serveJournal`).
 *
 * Wire: every message is a msgpack map (wire.ts); requests are validated by the
 * server before its handler sees them (a malformed one is refused with an
 * APPLICATION RpcError whose details are `{ kind: "validation", message }`), and
 * responses are decoded and validated by the client (a malformed one rejects the
 * call with a ValidationError). Read is a server stream. List, Apply and
 * ListFragments are unary.
 *
 * Append: env.rpc has no client streaming, so this binding gathers an append's
 * chunks on the client and carries them in ONE unary call
 * (`{ request, chunks }`), at most APPEND_CONTENT_BYTES_MAX bytes: a larger
 * append is refused before anything is sent, with ErrAppendTooLarge. The
 * JournalClient interface stays streaming (chunks are an AsyncIterable on both
 * sides) so that a streaming transport can replace this one without changing
 * clients or brokers. A consequence to know: the broker sees an append only once
 * all of it is available, so the "stalled appender" timeout of Gazette cannot
 * arise here, and a rollback (the chunks iterable throwing) sends nothing.
 *
 * Routing: every broker response Header carries the broker's current Route of
 * the journal; clients feed it to their Router, so a broker implements Gazette's
 * route correction simply by filling `header.route` (and answering
 * NOT_JOURNAL_BROKER / NOT_JOURNAL_PRIMARY_BROKER when not the right broker).
 * `routeDialer` turns a Dispatch into an address: the primary's endpoint for
 * appends, a same-zone member (else any member) for reads, else a fallback.
 * Buggify point "gazette.client.dispatch-fallback" takes the fallback although the
 * route names members (Gazette's dispatcher does when none of them is ready).
 */
import { RpcError, type Env, type Random, type RpcContext, type RpcServer, type WireValue } from "../../../sim/env.ts";
import { ErrCancelled, type CallOptions, type Dispatch, type JournalClient } from "./journal-client.ts";
import {
  validateAppendRequest,
  validateApplyRequest,
  validateFragmentsRequest,
  validateListRequest,
  validateReadRequest,
  type AppendRequest,
  type AppendResponse,
  type ApplyRequest,
  type ApplyResponse,
  type FragmentsRequest,
  type FragmentsResponse,
  type ListRequest,
  type ListResponse,
  type ReadRequest,
  type ReadResponse,
} from "./messages.ts";
import { parseEndpoint } from "./route.ts";
import { ValidationError } from "./validation.ts";
import {
  decodeAppendCall,
  decodeAppendResponse,
  decodeApplyRequest,
  decodeApplyResponse,
  decodeFragmentsRequest,
  decodeFragmentsResponse,
  decodeListRequest,
  decodeListResponse,
  decodeReadRequest,
  decodeReadResponse,
  toWire,
} from "./wire.ts";

export const JOURNAL_METHODS = {
  list: "gazette.Journal/List",
  apply: "gazette.Journal/Apply",
  read: "gazette.Journal/Read",
  append: "gazette.Journal/Append",
  listFragments: "gazette.Journal/ListFragments",
} as const;

/** Largest append this binding carries (bytes of content); larger is ErrAppendTooLarge. */
export const APPEND_CONTENT_BYTES_MAX = 8 * 1024 * 1024;
/** Chunks of one append on the wire at most (the client merges smaller chunks). */
export const APPEND_CHUNKS_MAX = 1024;
/** Size of the chunks the client sends (merged from the caller's chunks). */
export const APPEND_WIRE_CHUNK_BYTES = 64 * 1024;
/** Default deadline of unary calls (host-local ms). */
export const CALL_DEADLINE_MS_DEFAULT = 5_000;
/**
 * Default deadline of a Read stream: a blocking read ends with DEADLINE_EXCEEDED after it (RetryReader restarts it).
 */
export const READ_DEADLINE_MS_DEFAULT = 60_000;

/** The append's content exceeds what one unary call carries (see the file comment). */
export class ErrAppendTooLarge extends Error {
  override readonly name = "ErrAppendTooLarge";
  constructor(
    readonly contentBytes: number,
    readonly contentBytesMax: number,
  ) {
    super(
      `append of more than ${contentBytesMax} bytes (at least ${contentBytes}) exceeds what the rpc binding carries`,
    );
  }
}

/** A broker's address on the simulated network. */
export interface BrokerAddress {
  address: string;
  port: number;
}

/** Chooses the broker an RPC goes to. */
export type Dialer = (dispatch: Dispatch | undefined) => BrokerAddress;

export interface RpcBindingOptions {
  callDeadlineMs?: number;
  readDeadlineMs?: number;
}

/** Rejects with ErrCancelled when `signal` aborts first; the call's own outcome is then ignored. */
async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    throw new ErrCancelled(signal.reason);
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new ErrCancelled(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}

/** A refusal of a malformed request by the server becomes a ValidationError; other RpcErrors pass. */
function mapRpcError(error: unknown): unknown {
  if (error instanceof RpcError && error.code === "APPLICATION") {
    const details = error.details as { kind?: unknown; message?: unknown } | null | undefined;
    if (details !== null && typeof details === "object" && details.kind === "validation") {
      return new ValidationError(String(details.message), ["broker refused the request"]);
    }
  }
  return error;
}

/** The JournalClient of `env`, sending each RPC to the broker `dial` picks. */
export function journalClientOverRpc(env: Env, dial: Dialer, options: RpcBindingOptions = {}): JournalClient {
  const callDeadlineMs = options.callDeadlineMs ?? CALL_DEADLINE_MS_DEFAULT;
  const readDeadlineMs = options.readDeadlineMs ?? READ_DEADLINE_MS_DEFAULT;
  const unary = async <T>(
    method: string,
    request: WireValue,
    decode: (value: WireValue) => T,
    call: CallOptions | undefined,
  ): Promise<T> => {
    const target = dial(call?.dispatch);
    try {
      const value = await raceAbort(
        env.rpc.call(target.address, target.port, method, request, { deadlineMs: callDeadlineMs }),
        call?.signal,
      );
      return decode(value);
    } catch (error) {
      throw mapRpcError(error);
    }
  };
  return {
    list: (request, call) => {
      validateListRequest(request);
      return unary(JOURNAL_METHODS.list, toWire(request), decodeListResponse, call);
    },
    apply: (request, call) => {
      validateApplyRequest(request);
      return unary(JOURNAL_METHODS.apply, toWire(request), decodeApplyResponse, call);
    },
    listFragments: (request, call) => {
      validateFragmentsRequest(request);
      return unary(JOURNAL_METHODS.listFragments, toWire(request), decodeFragmentsResponse, call);
    },
    read: (request, call) => readOverRpc(env, dial, request, readDeadlineMs, call),
    append: async (request, chunks, call) => {
      validateAppendRequest(request);
      const gathered = await gatherChunks(chunks, call?.signal);
      return unary(JOURNAL_METHODS.append, { request: toWire(request), chunks: gathered }, decodeAppendResponse, call);
    },
  };
}

function readOverRpc(
  env: Env,
  dial: Dialer,
  request: ReadRequest,
  deadlineMs: number,
  call: CallOptions | undefined,
): AsyncIterable<ReadResponse> {
  return {
    [Symbol.asyncIterator]: async function* () {
      validateReadRequest(request);
      const signal = call?.signal;
      if (signal?.aborted) throw new ErrCancelled(signal.reason);
      const target = dial(call?.dispatch);
      const stream = env.rpc
        .serverStream(target.address, target.port, JOURNAL_METHODS.read, toWire(request), { deadlineMs })
        [Symbol.asyncIterator]();
      const onAbort = () => void stream.return?.();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        for (;;) {
          let next: IteratorResult<WireValue>;
          try {
            next = await stream.next();
          } catch (error) {
            throw mapRpcError(error);
          }
          if (signal?.aborted) throw new ErrCancelled(signal.reason);
          if (next.done === true) return;
          yield decodeReadResponse(next.value);
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        await stream.return?.();
      }
    },
  };
}

/** Reads an append's chunks, merged into wire chunks, refusing more than APPEND_CONTENT_BYTES_MAX. */
async function gatherChunks(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): Promise<Uint8Array[]> {
  const merged: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let totalBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    const chunk = new Uint8Array(pendingBytes);
    let position = 0;
    for (const piece of pending) {
      chunk.set(piece, position);
      position += piece.length;
    }
    merged.push(chunk);
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of chunks) {
    if (signal?.aborted) throw new ErrCancelled(signal.reason);
    if (chunk.length === 0) continue;
    totalBytes += chunk.length;
    if (totalBytes > APPEND_CONTENT_BYTES_MAX) throw new ErrAppendTooLarge(totalBytes, APPEND_CONTENT_BYTES_MAX);
    pending.push(chunk.slice());
    pendingBytes += chunk.length;
    if (pendingBytes >= APPEND_WIRE_CHUNK_BYTES) flush();
  }
  flush();
  return merged;
}

/** What a broker implements; `serveJournal` decodes and validates requests before calling it. */
export interface JournalHandler {
  list(request: ListRequest, context: RpcContext): Promise<ListResponse>;
  apply(request: ApplyRequest, context: RpcContext): Promise<ApplyResponse>;
  /** Sends responses in order; returning ends the stream (after a non-OK status, return at once). */
  read(request: ReadRequest, send: (response: ReadResponse) => Promise<void>, context: RpcContext): Promise<void>;
  /** Commits `chunks` unless iterating them throws (see journal-client.ts). */
  append(request: AppendRequest, chunks: AsyncIterable<Uint8Array>, context: RpcContext): Promise<AppendResponse>;
  listFragments(request: FragmentsRequest, context: RpcContext): Promise<FragmentsResponse>;
}

function decodeOrRefuse<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof ValidationError)
      throw new RpcError("APPLICATION", error.message, { kind: "validation", message: error.message });
    throw error;
  }
}

async function* iterate(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Registers the Journal service's methods on `server`, served by `handler`. */
export function serveJournal(server: RpcServer, handler: JournalHandler): void {
  server.unary(JOURNAL_METHODS.list, async (request, context) =>
    toWire(
      await handler.list(
        decodeOrRefuse(() => decodeListRequest(request)),
        context,
      ),
    ),
  );
  server.unary(JOURNAL_METHODS.apply, async (request, context) =>
    toWire(
      await handler.apply(
        decodeOrRefuse(() => decodeApplyRequest(request)),
        context,
      ),
    ),
  );
  server.unary(JOURNAL_METHODS.listFragments, async (request, context) =>
    toWire(
      await handler.listFragments(
        decodeOrRefuse(() => decodeFragmentsRequest(request)),
        context,
      ),
    ),
  );
  server.serverStream(JOURNAL_METHODS.read, async (request, send, context) => {
    const decoded = decodeOrRefuse(() => decodeReadRequest(request));
    await handler.read(decoded, (response) => send(toWire(response)), context);
  });
  server.unary(JOURNAL_METHODS.append, async (request, context) => {
    const call = decodeOrRefuse(() => {
      const decoded = decodeAppendCall(request, APPEND_CHUNKS_MAX);
      const bytes = decoded.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      if (bytes > APPEND_CONTENT_BYTES_MAX)
        throw new ValidationError(`append content of ${bytes} bytes exceeds ${APPEND_CONTENT_BYTES_MAX}`);
      return decoded;
    });
    return toWire(await handler.append(call.request, iterate(call.chunks), context));
  });
}

export interface RouteDialerOptions {
  /** Where an RPC goes when the dispatch names no usable endpoint. */
  fallback: BrokerAddress;
  /** This client's zone: reads prefer a member in it. */
  zone?: string;
  /** Picks among equally good members (the client's env.random, forked). */
  random?: Random;
  /** The host's buggify points (env.buggify); none by default. */
  buggify?: (point: string) => boolean;
}

/** A Dialer following Gazette's dispatcher preferences (see the file comment). */
export function routeDialer(options: RouteDialerOptions): Dialer {
  return (dispatch) => {
    if (dispatch === undefined) return options.fallback;
    const route = dispatch.route;
    if (route.members.length === 0 || route.endpoints.length !== route.members.length) return options.fallback;
    // Buggify: no member has a ready connection, and Gazette's dispatcher uses the default service address.
    if (options.buggify?.("gazette.client.dispatch-fallback") === true) return options.fallback;
    let index: number;
    if (dispatch.requirePrimary) {
      if (route.primary < 0) return options.fallback;
      index = route.primary;
    } else {
      const sameZone = route.members.flatMap((member, at) => (member.zone === options.zone ? [at] : []));
      const candidates = sameZone.length > 0 ? sameZone : route.members.map((_, at) => at);
      index = options.random === undefined ? (candidates[0] as number) : options.random.pick(candidates);
    }
    const endpoint = route.endpoints[index] ?? "";
    if (endpoint === "") return options.fallback;
    try {
      const parsed = parseEndpoint(endpoint);
      return { address: parsed.host, port: parsed.port ?? options.fallback.port };
    } catch {
      return options.fallback;
    }
  };
}
