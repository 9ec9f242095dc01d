/**
 * serveRead (Gazette's read_api.go): evaluates a Read against the local
 * replica's fragment index.
 *
 * Each round queries the index at the request's offset. The index answers with
 * the fragment covering it, or jumps (before the first fragment once it was
 * persisted for the index's first-fragment age; over a gap only once the next
 * fragment is older than 6 hours), or, at the write head,
 * waits (blocking) or answers OFFSET_NOT_YET_AVAILABLE. The metadata response
 * goes first (the Header only with the first one), then the fragment's content
 * in chunks: from the local spool when this broker holds it, else read from the
 * fragment store through the client package's FragmentReader (which decompresses
 * and verifies the fragment's end), or, with DoNotProxy, not at all: the
 * metadata then carries the fragment's URL for the client to open itself.
 * The read ends at EndOffset, after metadata-only, or when the caller cancels;
 * otherwise it moves on to the next fragment.
 */
import type { FragmentReader } from "../client/fragment-reader.ts";
import { openFragmentURL } from "../client/fragment-reader.ts";
import type { FragmentTransports } from "../client/fragment-transport.ts";
import { fragmentStoreUrl } from "../protocol/fragment.ts";
import type { ReadRequest, ReadResponse } from "../protocol/messages.ts";
import type { Header } from "../protocol/route.ts";
import type { Env } from "../../../sim/env.ts";
import type { FragmentIndexApi, IndexQueryResult } from "./types.ts";

/** Gazette's chunkSize: content bytes per response message. */
export const READ_CHUNK_BYTES = 128 * 1024;
/** Fragments one Read walks through at most before it ends (the client's RetryReader continues). */
export const READ_FRAGMENTS_MAX = 100_000;

export interface ServeReadOptions {
  readonly env: Env;
  readonly index: FragmentIndexApi;
  readonly header: Header;
  /** Opens persisted fragments (the store's scheme) when this broker proxies their content. */
  readonly transports: FragmentTransports;
  readonly signal: AbortSignal;
}

/** Serves one Read (serveRead, or a test fixture's). */
export type ServeRead = (
  request: ReadRequest,
  send: (response: ReadResponse) => Promise<void>,
  options: ServeReadOptions,
) => Promise<void>;

export async function serveRead(
  request: ReadRequest,
  send: (response: ReadResponse) => Promise<void>,
  options: ServeReadOptions,
): Promise<void> {
  const { index, signal } = options;
  let offset = request.offset;
  for (let round = 0; round < READ_FRAGMENTS_MAX; round++) {
    const result = await index.query(offset, { block: request.block, signal });
    if (result.status !== "OK") {
      const response: ReadResponse = { status: result.status, offset: 0, writeHead: result.writeHead, fragmentUrl: "" };
      if (round === 0) response.header = options.header;
      await send(response);
      return;
    }
    const { fragment, local } = result.fragment;
    if (result.jumped) options.env.probe("gazette.broker.read-offset-jump");
    const metadata = metadataOf(request, result, round === 0 ? options.header : undefined);
    await send(metadata);
    if (
      request.metadataOnly ||
      metadata.fragmentUrl !== "" ||
      (request.endOffset !== 0 && result.offset >= request.endOffset)
    )
      return;
    if (local === undefined && fragment.backingStore === "") {
      // Neither local nor persisted: the index cannot serve it (it dropped the spool). Query again.
      offset = result.offset;
      continue;
    }
    const end = request.endOffset === 0 ? fragment.end : Math.min(fragment.end, request.endOffset);
    offset = result.offset;
    if (local !== undefined) {
      while (offset < end) {
        if (signal.aborted) return;
        const length = Math.min(READ_CHUNK_BYTES, end - offset);
        const content = await local.read(offset, length);
        await send({ status: "OK", offset, writeHead: 0, fragmentUrl: "", content });
        offset += content.length;
      }
    } else {
      const reader: FragmentReader = await openFragmentURL(
        options.transports,
        fragment,
        offset,
        fragmentStoreUrl(fragment),
        signal,
      );
      try {
        while (offset < end) {
          if (signal.aborted) return;
          const chunk = await reader.read(Math.min(READ_CHUNK_BYTES, end - offset));
          if (chunk === null) break;
          await send({ status: "OK", offset, writeHead: 0, fragmentUrl: "", content: chunk });
          offset += chunk.length;
        }
      } finally {
        await reader.close();
      }
    }
    if (request.endOffset !== 0 && offset >= request.endOffset) return;
  }
}

/**
 * The metadata response of a round that found a fragment: where the read is, the write head, the fragment, and its
 * URL when the client asked not to be proxied and the fragment is persisted but not held here. `header` goes with the
 * first round's.
 */
function metadataOf(
  request: ReadRequest,
  result: Extract<IndexQueryResult, { status: "OK" }>,
  header: Header | undefined,
): ReadResponse {
  const { fragment, local } = result.fragment;
  const metadata: ReadResponse = {
    status: "OK",
    offset: result.offset,
    writeHead: Math.max(result.writeHead, fragment.end),
    fragment,
    fragmentUrl: "",
  };
  if (header !== undefined) metadata.header = header;
  if (local === undefined && request.doNotProxy && fragment.backingStore !== "")
    metadata.fragmentUrl = fragmentStoreUrl(fragment);
  return metadata;
}
