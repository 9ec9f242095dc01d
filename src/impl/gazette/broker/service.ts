/**
 * The Journal service of a broker (Gazette's broker.Service): Read, Append,
 * List, Apply, ListFragments and the peer-to-peer Replicate, each resolved
 * against the key space first.
 *
 * A request for a journal this broker does not serve (Read, ListFragments) or
 * is not primary of (Append) is proxied to the resolved peer, with the resolved
 * Header attached so the peer serves it under an etcd revision at least as new,
 * unless the client asked DoNotProxy: it then gets NOT_JOURNAL_BROKER /
 * NOT_JOURNAL_PRIMARY_BROKER with the current route, and routes itself.
 */
import type { Env, RpcContext } from "../../../sim/env.ts";
import type { FragmentTransports } from "../client/fragment-transport.ts";
import type { CallOptions, JournalClient } from "../protocol/journal-client.ts";
import { journalMayRead } from "../protocol/journal-spec.ts";
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
} from "../protocol/messages.ts";
import { journalClientOverRpc, type JournalHandler } from "../protocol/rpc-binding.ts";
import { parseEndpoint, type Header } from "../protocol/route.ts";
import { serveRead, type ServeRead } from "./read.ts";
import type { ReplicateRequest, ReplicateResponse, Resolution, ResolveArgs } from "./types.ts";

/** Fragments per ListFragments page when the request names no limit (Gazette's default). */
export const FRAGMENTS_PAGE_LIMIT_DEFAULT = 1000;

export interface JournalServiceDeps {
  readonly env: Env;
  readonly resolve: (args: ResolveArgs) => Promise<Resolution>;
  readonly list: (request: ListRequest) => ListResponse;
  readonly apply: (request: ApplyRequest) => Promise<ApplyResponse>;
  readonly transports: FragmentTransports;
  /** The broker's port (peers serve on the same). */
  readonly port: number;
  readonly callDeadlineMs?: number;
  /** Serves reads of local replicas (a seam for test fixtures); default serveRead. */
  readonly serveRead?: ServeRead;
}

export class JournalService implements JournalHandler {
  constructor(private readonly deps: JournalServiceDeps) {}

  /** A JournalClient that sends every call to `endpoint` (a resolved peer). */
  private peer(endpoint: string): JournalClient {
    const parsed = parseEndpoint(endpoint);
    const address = { address: parsed.host, port: parsed.port ?? this.deps.port };
    return journalClientOverRpc(
      this.deps.env,
      () => address,
      this.deps.callDeadlineMs === undefined ? {} : { callDeadlineMs: this.deps.callDeadlineMs },
    );
  }

  async read(
    request: ReadRequest,
    send: (response: ReadResponse) => Promise<void>,
    context: RpcContext,
  ): Promise<void> {
    const resolution = await this.deps.resolve({
      journal: request.journal,
      requirePrimary: false,
      mayProxy: !request.doNotProxy,
      ...withHeader(request.header),
      signal: context.signal,
    });
    const refuse = (status: ReadResponse["status"]) =>
      send({ status, header: resolution.header, offset: 0, writeHead: 0, fragmentUrl: "" });
    if (resolution.status !== "OK") return refuse(resolution.status);
    if (resolution.spec !== undefined && !journalMayRead(resolution.spec.flags)) return refuse("NOT_ALLOWED");
    if (!resolution.local) {
      if (resolution.proxyTo === undefined) return refuse("NOT_JOURNAL_BROKER");
      this.deps.env.probe("gazette.broker.read-proxied");
      const proxied: ReadRequest = { ...request, header: resolution.header };
      for await (const response of this.peer(resolution.proxyTo.endpoint).read(proxied, { signal: context.signal }))
        await send(response);
      return;
    }
    const replica = resolution.replica;
    if (replica === undefined) return refuse("NOT_JOURNAL_BROKER");
    try {
      await (this.deps.serveRead ?? serveRead)(request, send, {
        env: this.deps.env,
        index: replica.index,
        header: resolution.header,
        transports: this.deps.transports,
        signal: context.signal,
      });
    } catch (error) {
      // A cancelled blocking read is a graceful end (Gazette interprets cancellation so).
      if (context.signal.aborted) return;
      throw error;
    }
  }

  async append(
    request: AppendRequest,
    chunks: AsyncIterable<Uint8Array>,
    context: RpcContext,
  ): Promise<AppendResponse> {
    const resolution = await this.deps.resolve({
      journal: request.journal,
      requirePrimary: true,
      mayProxy: !request.doNotProxy,
      ...withHeader(request.header),
      signal: context.signal,
    });
    const refuse = (status: AppendResponse["status"]): AppendResponse => ({
      status,
      header: resolution.header,
      totalChunks: 0,
      delayedChunks: 0,
    });
    if (resolution.status !== "OK") return refuse(resolution.status);
    if (!resolution.primary) {
      if (resolution.proxyTo === undefined) return refuse("NOT_JOURNAL_PRIMARY_BROKER");
      this.deps.env.probe("gazette.broker.append-proxied");
      const options: CallOptions = { signal: context.signal };
      return this.peer(resolution.proxyTo.endpoint).append({ ...request, header: resolution.header }, chunks, options);
    }
    const replica = resolution.replica;
    if (replica === undefined) return refuse("NOT_JOURNAL_PRIMARY_BROKER");
    return replica.append(request, chunks, resolution, context.signal);
  }

  async list(request: ListRequest): Promise<ListResponse> {
    return this.deps.list(request);
  }

  async apply(request: ApplyRequest): Promise<ApplyResponse> {
    return this.deps.apply(request);
  }

  async listFragments(request: FragmentsRequest, context: RpcContext): Promise<FragmentsResponse> {
    const resolution = await this.deps.resolve({
      journal: request.journal,
      requirePrimary: false,
      mayProxy: !request.doNotProxy,
      ...withHeader(request.header),
      signal: context.signal,
    });
    const refuse = (status: FragmentsResponse["status"]): FragmentsResponse => ({
      status,
      header: resolution.header,
      fragments: [],
      nextPageToken: 0,
    });
    if (resolution.status !== "OK") return refuse(resolution.status);
    if (!resolution.local) {
      if (resolution.proxyTo === undefined) return refuse("NOT_JOURNAL_BROKER");
      return this.peer(resolution.proxyTo.endpoint).listFragments(
        { ...request, header: resolution.header },
        { signal: context.signal },
      );
    }
    const replica = resolution.replica;
    if (replica === undefined) return refuse("NOT_JOURNAL_BROKER");
    await replica.index.firstRefresh();
    // Gazette's ListFragments lists persisted fragments: local spools are not in a store yet.
    const persisted = replica.index
      .fragments()
      .map((indexed) => indexed.fragment)
      .filter((fragment) => fragment.backingStore !== "")
      .filter(
        (fragment) =>
          fragment.modTime >= request.beginModTime &&
          (request.endModTime === 0 || fragment.modTime < request.endModTime),
      )
      .filter((fragment) => fragment.begin >= request.nextPageToken);
    const limit = request.pageLimit === 0 ? FRAGMENTS_PAGE_LIMIT_DEFAULT : request.pageLimit;
    const page = persisted.slice(0, limit);
    const next = persisted[limit];
    return {
      status: "OK",
      header: resolution.header,
      fragments: page.map((spec) => ({ spec, signedUrl: "" })),
      nextPageToken: next === undefined ? 0 : next.begin,
    };
  }

  /** Replicate (peer side): only a member of the route takes part, under the primary's revision. */
  async replicate(request: ReplicateRequest, context: RpcContext): Promise<ReplicateResponse> {
    const resolution = await this.deps.resolve({
      journal: request.journal,
      requirePrimary: false,
      mayProxy: false,
      ...withHeader(request.header),
      signal: context.signal,
    });
    if (resolution.status !== "OK") return { status: resolution.status, header: resolution.header };
    const replica = resolution.replica;
    if (!resolution.local || replica === undefined) return { status: "NOT_JOURNAL_BROKER", header: resolution.header };
    return replica.replicate(request, resolution);
  }
}

function withHeader(header: Header | undefined): { proxyHeader?: Header } {
  return header === undefined ? {} : { proxyHeader: header };
}
