/**
 * Appender and Append (appender.go).
 *
 * Appender adapts one Append RPC to writes: the first write starts the RPC, and
 * content streams to the broker as it is written (with the env.rpc binding it is
 * gathered and sent at close: see protocol/rpc-binding.ts). Nothing is visible to
 * readers until `close` commits. `abort` rolls the append back; `reset` makes the
 * Appender reusable (for a retry). `close` validates the broker's response, feeds
 * its header's route to the router, and maps a non-OK status to its named error
 * (REGISTER_MISMATCH says which selector did not match which registers).
 *
 * `append` writes whole sources (bytes, or ReaderAt read from position 0 to end of
 * file, re-read on every attempt) as one append, retrying transport failures
 * (RpcError UNAVAILABLE) and ErrNotJournalPrimaryBroker after Gazette's backoff,
 * and failing on every other error. Its retries are bounded (`attemptsMax`).
 *
 * Seams for test fixtures: a subclass overrides `observeRoute`; `append` and the
 * AppendService build Appenders through an AppenderFactory.
 */
import { RpcError, type Clock } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { callOptions, dispatchItemRoute, type RoutedJournalClient } from "../protocol/journal-client.ts";
import { selectorToString } from "../protocol/labels.ts";
import {
  validateAppendRequest,
  validateAppendResponse,
  type AppendRequest,
  type AppendResponse,
} from "../protocol/messages.ts";
import type { Route } from "../protocol/route.ts";
import { ValidationError, withContext } from "../protocol/validation.ts";
import { backoff, sleepOrAbort } from "./backoff.ts";
import { ChunkChannel, ErrChannelClosed } from "./chunk-channel.ts";
import { ErrAppendAborted, ErrNotJournalPrimaryBroker, ErrRetriesExhausted, errorOfStatus } from "./errors.ts";

export interface AppenderOptions {
  signal?: AbortSignal;
}

export class Appender {
  /** The AppendRequest of the append. */
  readonly request: AppendRequest;
  /** The broker's response, once `close` received one (also when its status is not OK). */
  response: AppendResponse | undefined;
  private channel: ChunkChannel | undefined;
  private call: Promise<AppendResponse> | undefined;

  constructor(
    private readonly client: RoutedJournalClient,
    request: AppendRequest,
    private readonly options: AppenderOptions = {},
  ) {
    this.request = { ...request };
  }

  /** Writes `data` (starting the RPC on the first non-empty write). */
  async write(data: Uint8Array): Promise<void> {
    if (data.length === 0) return; // An empty chunk means "commit" to brokers.
    const channel = this.lazyInit();
    try {
      await channel.push(data.slice());
    } catch (error) {
      if (!(error instanceof ErrChannelClosed)) throw error;
      // The RPC ended early: its error says why.
      await (this.call as Promise<AppendResponse>);
      throw new ValidationError("broker finished the append before it was closed");
    }
  }

  /** Commits what was written; resolves with the OK response, or rejects with the mapped error. */
  async close(): Promise<AppendResponse> {
    const channel = this.lazyInit();
    channel.end();
    const response = await (this.call as Promise<AppendResponse>);
    this.response = response;
    withContext("validating broker response", () => validateAppendResponse(response));
    this.observeRoute(response.header.route);
    switch (response.status) {
      case "OK":
        return response;
      case "REGISTER_MISMATCH": {
        const selector = this.request.checkRegisters === undefined ? "" : selectorToString(this.request.checkRegisters);
        const registers = (response.registers?.labels ?? []).map((label) => `${label.name}=${label.value}`).join(",");
        throw errorOfStatus(response.status, `selector ${selector} doesn't match registers ${registers}`);
      }
      default:
        throw errorOfStatus(response.status);
    }
  }

  /** Seam: feeds the route of the response's header to the client's router (stale routes are corrected so). */
  protected observeRoute(route: Route): void {
    this.client.updateRoute(this.request.journal, route);
  }

  /** Aborts the append: the broker discards what was written. */
  abort(): void {
    this.channel?.fail(new ErrAppendAborted());
  }

  /** Back to the post-construction state, for reuse or a retry (after close or abort). */
  reset(): void {
    this.response = undefined;
    this.channel = undefined;
    this.call = undefined;
  }

  private lazyInit(): ChunkChannel {
    if (this.channel !== undefined) return this.channel;
    if (this.request.journal === "") throw new ValidationError("expected Request.Journal");
    withContext("Request", () => validateAppendRequest(this.request));
    const channel = new ChunkChannel();
    const dispatch = dispatchItemRoute(this.client, this.request.journal, true);
    const call = this.client.append({ ...this.request }, channel, callOptions(this.options.signal, dispatch));
    call.catch(() => undefined); // Observed by close (or by a failing write).
    this.channel = channel;
    this.call = call;
    return channel;
  }
}

/** Builds an Appender (the real one, or a test fixture's). */
export type AppenderFactory = (
  client: RoutedJournalClient,
  request: AppendRequest,
  options: AppenderOptions,
) => Appender;

/** The real Appender. */
export const DEFAULT_APPENDER_FACTORY: AppenderFactory = (client, request, options) =>
  new Appender(client, request, options);

/** Go's io.ReaderAt: reads up to `length` bytes at `position`; fewer (or none) at end of file. */
export interface ReaderAt {
  readAt(position: number, length: number): Promise<Uint8Array>;
}

export interface AppendOptions {
  signal?: AbortSignal;
  /** Builds each attempt's Appender (a seam for test fixtures); default DEFAULT_APPENDER_FACTORY. */
  createAppender?: AppenderFactory;
  /** Attempts at most (default 100). */
  attemptsMax?: number;
  /** Bytes read from a ReaderAt at a time. */
  readBytes?: number;
}

/** True for the errors `append` retries: transport unavailability and routing to a non-primary. */
export function isAppendRetriable(error: unknown): boolean {
  return (error instanceof RpcError && error.code === "UNAVAILABLE") || error instanceof ErrNotJournalPrimaryBroker;
}

/** Append: all of `contents` as one append, with retries (see the file comment). */
export async function append(
  clock: Clock,
  client: RoutedJournalClient,
  request: AppendRequest,
  contents: ReadonlyArray<ReaderAt | Uint8Array>,
  options: AppendOptions = {},
): Promise<AppendResponse> {
  const attemptsMax = options.attemptsMax ?? 100;
  const readBytes = options.readBytes ?? 64 * 1024;
  assert(attemptsMax > 0 && readBytes > 0, "append: attemptsMax and readBytes must be positive");
  const createAppender = options.createAppender ?? DEFAULT_APPENDER_FACTORY;
  let lastError: unknown;
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    const appender = createAppender(client, request, options.signal === undefined ? {} : { signal: options.signal });
    try {
      for (const content of contents) await writeContent(appender, content, readBytes);
      return await appender.close();
    } catch (error) {
      appender.abort();
      if (!isAppendRetriable(error)) throw error;
      lastError = error;
    }
    await sleepOrAbort(clock, backoff(attempt), options.signal);
  }
  throw new ErrRetriesExhausted(`append to ${request.journal}`, attemptsMax, lastError);
}

/** Bytes of one ReaderAt at most (a bound on the read loop). */
const READER_AT_BYTES_MAX = 2 ** 40;

async function writeContent(appender: Appender, content: ReaderAt | Uint8Array, readBytes: number): Promise<void> {
  if (content instanceof Uint8Array) {
    for (let at = 0; at < content.length; at += readBytes) await appender.write(content.subarray(at, at + readBytes));
    return;
  }
  for (let position = 0; position < READER_AT_BYTES_MAX; ) {
    const chunk = await content.readAt(position, readBytes);
    if (chunk.length === 0) return;
    await appender.write(chunk);
    position += chunk.length;
  }
}
