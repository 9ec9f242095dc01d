/**
 * The Journal service as clients see it (Gazette's pb.JournalClient,
 * DispatchRouter and RoutedJournalClient), in TypeScript idiom: promises instead
 * of blocking calls, an AbortSignal instead of a context.Context, and the
 * dispatch route passed as an option instead of a context value.
 *
 * Contracts an implementation keeps:
 * - `read` yields the broker's ReadResponses in order and ends when the broker
 *   closes the stream; a transport failure rejects the iteration. Aborting the
 *   signal (or breaking out of the loop) cancels the RPC.
 * - `append` consumes `chunks` and commits them as one append when the iterable
 *   ends normally. If iterating `chunks` throws, nothing is committed (Gazette's
 *   rollback: a stream closed without the final empty chunk) and `append` rejects
 *   with that error. Empty chunks are skipped (an empty chunk means "commit" in
 *   Gazette's streaming encoding).
 * - Aborting the signal rejects the call with ErrCancelled (an append that was
 *   already sent may still commit: its outcome is unknown).
 *
 * A RoutedJournalClient does what Gazette's client-side dispatcher does with
 * an item's cached route (dispatcher.go): an RPC dispatched on it that fails
 * with UNAVAILABLE (a transport failure: the route names a broker that is gone,
 * or a network split) invalidates it, so that the next RPC goes to the default
 * service address and learns the current route from the response. Without it
 * a route to a broker that left stays in the cache until its TTL ends, and
 * every append of the journal fails until then.
 */
import { RpcError } from "../../../sim/env.ts";
import type { Journal } from "./journal-spec.ts";
import type {
  AppendRequest,
  AppendResponse,
  ApplyRequest,
  ApplyResponse,
  FragmentsRequest,
  FragmentsResponse,
  ListRequest,
  ListResponse,
  ReadRequest,
  ReadResponse,
} from "./messages.ts";
import { copyRoute, emptyRoute, type Route } from "./route.ts";

/** Where to send an RPC: a journal's route, and whether only its primary will do. */
export interface Dispatch {
  route: Route;
  /** Appends need the primary; reads may go to any member (same zone preferred). */
  requirePrimary: boolean;
  /**
   * The router's item whose cached route this is (WithDispatchItemRoute): an
   * UNAVAILABLE failure of the RPC invalidates it. Absent for a route given
   * outright (WithDispatchRoute: a previous response's header).
   */
  item?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Absent: any broker (Gazette's WithDispatchDefault). */
  dispatch?: Dispatch;
}

/** The operation was cancelled by its AbortSignal (Go's context.Canceled). */
export class ErrCancelled extends Error {
  override readonly name = "ErrCancelled";
  constructor(reason?: unknown) {
    super("context canceled", reason === undefined ? undefined : { cause: reason });
  }
}

export interface JournalClient {
  /** List journals, their specs and current routes (one page: see ListAllJournals). */
  list(request: ListRequest, options?: CallOptions): Promise<ListResponse>;
  /** Apply changes to the set of journals, as one Etcd transaction. */
  apply(request: ApplyRequest, options?: CallOptions): Promise<ApplyResponse>;
  /** Read from a journal: a stream of metadata and content responses. */
  read(request: ReadRequest, options?: CallOptions): AsyncIterable<ReadResponse>;
  /** Append `chunks` to a journal as one transaction (see the file comment). */
  append(request: AppendRequest, chunks: AsyncIterable<Uint8Array>, options?: CallOptions): Promise<AppendResponse>;
  /** List a journal's fragments (one page: see ListAllFragments). */
  listFragments(request: FragmentsRequest, options?: CallOptions): Promise<FragmentsResponse>;
}

/** Gazette's DispatchRouter: routes of items (journals) to dispatch RPCs to. */
export interface Router {
  /** The cached route of `item`, or the empty route (primary -1) when none. */
  route(item: string): Route;
  /** Caches `route` for `item`; an undefined or empty route invalidates it. */
  updateRoute(item: string, route: Route | undefined): void;
  /** True if this router never routes (callers may then skip building dispatches). */
  isNoopRouter(): boolean;
}

export interface RoutedJournalClient extends JournalClient, Router {}

/** A router that knows no routes. */
export const noopRouter: Router = {
  route: () => emptyRoute(),
  updateRoute: () => undefined,
  isNoopRouter: () => true,
};

/** NewRoutedJournalClient: a JournalClient composed with a Router. */
export function routedJournalClient(client: JournalClient, router: Router): RoutedJournalClient {
  const invalidate = (options: CallOptions | undefined) => (error: unknown) => {
    const item = options?.dispatch?.item;
    if (item !== undefined && error instanceof RpcError && error.code === "UNAVAILABLE")
      router.updateRoute(item, undefined);
  };
  const watched = <T>(call: Promise<T>, options: CallOptions | undefined): Promise<T> => {
    if (options?.dispatch?.item === undefined) return call;
    const onError = invalidate(options);
    return call.catch((error: unknown) => {
      onError(error);
      throw error;
    });
  };
  return {
    list: (request, options) => watched(client.list(request, options), options),
    apply: (request, options) => watched(client.apply(request, options), options),
    read: (request, options) =>
      options?.dispatch?.item === undefined
        ? client.read(request, options)
        : watchedStream(client.read(request, options), invalidate(options)),
    append: (request, chunks, options) => watched(client.append(request, chunks, options), options),
    listFragments: (request, options) => watched(client.listFragments(request, options), options),
    route: (item) => router.route(item),
    updateRoute: (item, route) => router.updateRoute(item, route),
    isNoopRouter: () => router.isNoopRouter(),
  };
}

/** A stream whose failures are told to `onError` before they are thrown; `return` passes through. */
function watchedStream<T>(stream: AsyncIterable<T>, onError: (error: unknown) => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const inner = stream[Symbol.asyncIterator]();
      return {
        next: async () => {
          try {
            return await inner.next();
          } catch (error) {
            onError(error);
            throw error;
          }
        },
        return: async (value?: unknown) =>
          inner.return !== undefined ? inner.return(value) : { done: true as const, value: undefined },
      };
    },
  };
}

/** WithDispatchItemRoute: the dispatch for an RPC on `journal`, from the router's cached route. */
export function dispatchItemRoute(router: Router, journal: Journal, requirePrimary: boolean): Dispatch | undefined {
  if (router.isNoopRouter()) return undefined;
  return { route: copyRoute(router.route(journal)), requirePrimary, item: journal };
}

/** CallOptions with only the fields that are set (exactOptionalPropertyTypes-friendly). */
export function callOptions(signal: AbortSignal | undefined, dispatch: Dispatch | undefined): CallOptions {
  const options: CallOptions = {};
  if (signal !== undefined) options.signal = signal;
  if (dispatch !== undefined) options.dispatch = dispatch;
  return options;
}
