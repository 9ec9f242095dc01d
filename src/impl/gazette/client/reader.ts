/**
 * Reader (reader.go): adapts one Read RPC to reads of journal bytes. The first
 * read starts the RPC; later reads stream from it.
 *
 * - `request.offset` is the next offset to be returned; `response` is the most
 *   recent ReadResponse (metadata responses return an empty read, so that the
 *   caller can inspect it).
 * - A response offset above the requested one is an offset jump (eg, a deleted
 *   span): the read throws ErrOffsetJump and the Reader continues from the new,
 *   strictly larger offset on the next read. A response offset below the
 *   request is a broken contract and a ValidationError.
 * - With `doNotProxy`, a broker may answer with a fragment URL and close the
 *   stream: the Reader then opens the fragment directly (FragmentTransports),
 *   seeks to its offset and reads it, stopping at `endOffset` if set.
 * - End of stream (null) when the broker closes the RPC, the end offset is read
 *   through, or a directly read fragment ends. A non-OK status becomes its named
 *   error (ErrOffsetNotYetAvailable, ErrNotJournalBroker, ...).
 * - Every response Header's route is fed to the client's router (updateRoute).
 * - A Reader is invalidated by its first error, except ErrOffsetJump.
 *
 * Seams for test fixtures: a subclass overrides `validateOffset` and
 * `offsetJumped`; `ReaderOptions.fragmentReader` picks the direct reads' class.
 */
import { assert } from "../../../sim/assert.ts";
import { callOptions, dispatchItemRoute, ErrCancelled, type RoutedJournalClient } from "../protocol/journal-client.ts";
import { validateReadResponse, type ReadRequest, type ReadResponse } from "../protocol/messages.ts";
import { ValidationError, withContext } from "../protocol/validation.ts";
import type { BufferedReader } from "./buffered-reader.ts";
import { ErrOffsetJump, ErrSeekEndUnsupported, ErrSeekRequiresNewReader, errorOfStatus } from "./errors.ts";
import { openFragmentURL, type FragmentReader } from "./fragment-reader.ts";
import { FragmentTransports } from "./fragment-transport.ts";

/** Default bytes returned by one read at most. */
export const READ_BYTES_DEFAULT = 64 * 1024;
/** Steps one read may take (open stream, receive metadata, open fragment, read) before it must return. */
const READ_STEPS_MAX = 8;

export type Whence = "start" | "current" | "end";

export interface ReaderOptions {
  signal?: AbortSignal;
  /** Transports for fragment URLs (direct reads); by default none is registered. */
  transports?: FragmentTransports;
  /** The response of a previous Reader of this read: its header's route is preferred for dispatch. */
  previousResponse?: ReadResponse;
  /** The class of direct fragment reads (a seam for test fixtures); default FragmentReader. */
  fragmentReader?: typeof FragmentReader;
}

function emptyResponse(): ReadResponse {
  return { status: "OK", offset: 0, writeHead: 0, fragmentUrl: "" };
}

export class Reader {
  /** The ReadRequest; `offset` advances as bytes are returned. */
  readonly request: ReadRequest;
  /** The most recent ReadResponse from the broker. */
  response: ReadResponse;
  private stream: AsyncIterator<ReadResponse> | undefined;
  private direct: FragmentReader | undefined;
  private directEnded = false;
  /** The error that invalidated this Reader (every later read throws it again). */
  private failure: unknown = undefined;
  private readonly transports: FragmentTransports;

  constructor(
    private readonly client: RoutedJournalClient,
    request: ReadRequest,
    private readonly options: ReaderOptions = {},
  ) {
    this.request = { ...request };
    this.response = options.previousResponse ?? emptyResponse();
    this.transports = options.transports ?? new FragmentTransports();
  }

  /** Reads the next bytes (at most `maxBytes`): empty after a metadata response, null at end of stream. */
  async read(maxBytes = READ_BYTES_DEFAULT): Promise<Uint8Array | null> {
    assert(Number.isSafeInteger(maxBytes) && maxBytes > 0, "Reader.read: maxBytes must be a positive integer");
    if (this.failure !== undefined) throw this.failure;
    for (let step = 0; step < READ_STEPS_MAX; step++) {
      if (this.options.signal?.aborted) {
        await this.close();
        throw new ErrCancelled(this.options.signal.reason);
      }
      if (this.direct !== undefined || this.directEnded) return this.readDirect(maxBytes);
      const content = this.response.content;
      const delta = this.request.offset - this.response.offset;
      // Only content at or after the request's offset is ours to return (in Go a negative delta would not slice).
      if (content !== undefined && delta >= 0 && content.length > delta) {
        const out = content.subarray(delta, delta + maxBytes);
        this.request.offset += out.length;
        return out;
      }
      if (this.stream === undefined) {
        this.startStream();
        continue;
      }
      const received = await this.receive();
      if (received !== "continue") return received;
    }
    assert(false, "Reader.read did not settle within its step bound");
  }

  /**
   * Prefer the previous response's route, else the router's cached route (WithDispatchRoute / WithDispatchItemRoute).
   */
  private startStream(): void {
    const header = this.response.header;
    const dispatch =
      header !== undefined
        ? { route: header.route, requirePrimary: false }
        : dispatchItemRoute(this.client, this.request.journal, false);
    this.response = emptyResponse();
    this.stream = this.client
      .read({ ...this.request }, callOptions(this.options.signal, dispatch))
      [Symbol.asyncIterator]();
  }

  /** Receives one response: returns what the read returns, or "continue" to take another step. */
  private async receive(): Promise<Uint8Array | null | "continue"> {
    const stream = this.stream as AsyncIterator<ReadResponse>;
    const previous = this.response;
    let next: IteratorResult<ReadResponse>;
    try {
      next = await stream.next();
    } catch (error) {
      this.stream = endedStream;
      this.failure = error;
      throw error;
    }
    if (next.done === true) return this.streamEnded(previous);
    const response = next.value;
    try {
      withContext("ReadResponse", () => validateReadResponse(response));
      this.validateOffset(response);
    } catch (error) {
      await this.close();
      this.failure = error;
      throw error;
    }
    this.response = response;
    if (response.header !== undefined) this.client.updateRoute(this.request.journal, response.header.route);
    let jump: ErrOffsetJump | undefined;
    if (this.request.offset < response.offset) {
      // Offset jumps are uncommon, but possible if fragments were removed, or if the requested offset was -1.
      jump = new ErrOffsetJump(this.request.offset, response.offset);
      this.request.offset = response.offset;
    }
    if (response.status !== "OK") return "continue"; // The broker closes the stream after a non-OK status: read that, then fail.
    if (response.content !== undefined) {
      // A content chunk: keep its fragment's metadata for callers who inspect the response.
      this.response = { ...response, writeHead: previous.writeHead };
      if (previous.fragment !== undefined) this.response.fragment = previous.fragment;
    }
    if (jump !== undefined) this.offsetJumped(jump);
    return new Uint8Array(0);
  }

  /** Seam: refuses an OK response below the requested offset (ValidationError: a broken contract). */
  protected validateOffset(response: ReadResponse): void {
    if (response.status === "OK" && response.offset < this.request.offset) {
      throw new ValidationError(`invalid ReadResponse offset (${response.offset}; expected >= ${this.request.offset})`);
    }
  }

  /** Seam: tells the caller of an offset jump (throws it; the next read continues from the new offset). */
  protected offsetJumped(jump: ErrOffsetJump): void {
    throw jump;
  }

  private async streamEnded(last: ReadResponse): Promise<null | "continue"> {
    this.stream = endedStream;
    if (!this.request.metadataOnly && last.status === "OK" && last.fragmentUrl !== "" && last.fragment !== undefined) {
      this.direct = await openFragmentURL(
        this.transports,
        last.fragment,
        this.request.offset,
        last.fragmentUrl,
        this.options.signal,
        this.options.fragmentReader,
      );
      return "continue";
    }
    if (last.status === "OK") return null;
    throw errorOfStatus(last.status);
  }

  private async readDirect(maxBytes: number): Promise<Uint8Array | null> {
    const direct = this.direct;
    if (direct === undefined) return null;
    let limit = maxBytes;
    if (this.request.endOffset !== 0) {
      const remaining = this.request.endOffset - this.request.offset;
      if (remaining <= 0) {
        await this.closeDirect();
        return null;
      }
      limit = Math.min(limit, remaining);
    }
    let chunk: Uint8Array | null;
    try {
      chunk = await direct.read(limit);
    } catch (error) {
      await this.closeDirect();
      throw error;
    }
    if (chunk === null) {
      await this.closeDirect();
      return null;
    }
    this.request.offset += chunk.length;
    return chunk;
  }

  private async closeDirect(): Promise<void> {
    const direct = this.direct;
    this.direct = undefined;
    this.directEnded = true;
    await direct?.close().catch(() => undefined);
  }

  /** The offset adjusted for bytes `buffered` (which wraps this Reader) holds but has not returned. */
  adjustedOffset(buffered: BufferedReader): number {
    return this.request.offset - buffered.buffered();
  }

  /**
   * Seek (limited): only forward, only while reading a fragment directly, and only
   * within that fragment; done by reading and discarding. Otherwise
   * ErrSeekRequiresNewReader. Returns the new offset.
   */
  async seek(offset: number, whence: Whence = "start"): Promise<number> {
    if (whence === "end") throw new ErrSeekEndUnsupported();
    const target = whence === "current" ? this.request.offset + offset : offset;
    const fragmentEnd = this.response.fragment?.end ?? 0;
    if (this.direct === undefined || target < this.request.offset || target >= fragmentEnd)
      throw new ErrSeekRequiresNewReader();
    while (this.request.offset < target) {
      const chunk = await this.read(Math.min(target - this.request.offset, READ_BYTES_DEFAULT));
      if (chunk === null) throw new ErrSeekRequiresNewReader();
    }
    return this.request.offset;
  }

  /** Stops the RPC (or direct read) of this Reader. */
  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = endedStream;
    await stream?.return?.().catch(() => undefined);
    await this.closeDirect();
  }
}

/** A stream that has ended: further reads of a finished Reader see end of stream again. */
const endedStream: AsyncIterator<ReadResponse> = {
  next: () => Promise.resolve({ done: true, value: undefined }),
};
