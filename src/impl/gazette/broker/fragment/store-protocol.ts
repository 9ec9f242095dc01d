/**
 * The fragment store's RPC protocol on env.rpc, shared by the store host
 * (store.ts) and its client (store-client.ts).
 *
 *   fragmentStore.put     {path, content, fragment} → {modTime, created}
 *   fragmentStore.get     {path, offset} → stream of {content} (stored bytes)
 *   fragmentStore.list    {prefix, pageToken} → {entries: [{path, size, modTime}], nextPageToken}
 *   fragmentStore.delete  {path} → {deleted}
 *
 * Paths are relative to the store's root (a store URL's prefix, then a content
 * path). A refusal is an RpcError APPLICATION whose details are
 * `{kind, message}` with one of FRAGMENT_STORE_REFUSALS. Decoding is strict: a
 * malformed request is a ValidationError (refused as "validation").
 */
import type { WireValue } from "../../../../sim/env.ts";
import type { Fragment } from "../../protocol/fragment.ts";
import { decodeFragment, toWire } from "../../protocol/wire.ts";
import { ValidationError, withContext } from "../../protocol/validation.ts";
import { validateStorePath, validateStorePrefix } from "./store-url.ts";

export const FRAGMENT_STORE_METHODS = {
  put: "fragmentStore.put",
  get: "fragmentStore.get",
  list: "fragmentStore.list",
  delete: "fragmentStore.delete",
} as const;

/** Stored bytes per `get` message. */
export const FRAGMENT_STORE_GET_CHUNK_BYTES = 64 * 1024;
/** Most entries in one `list` page. */
export const FRAGMENT_STORE_LIST_PAGE_ENTRIES_MAX = 256;
/** Largest stored (compressed) fragment a `put` carries: one RPC frame holds it with room to spare. */
export const FRAGMENT_STORE_PUT_BYTES_MAX = 8 * 1024 * 1024;

/** Kinds of refusal a store answers with (RpcError APPLICATION details.kind). */
export const FRAGMENT_STORE_REFUSALS = {
  validation: "the request is malformed (a field, or a path escaping the store root)",
  "checksum mismatch": "the content does not decompress to the fragment's length and SHA-1 sum",
  "not found": "no fragment file at that path",
  "too large": "the content exceeds FRAGMENT_STORE_PUT_BYTES_MAX",
  io: "the store's own disk failed",
} as const;
export type FragmentStoreRefusal = keyof typeof FRAGMENT_STORE_REFUSALS;

export interface PutRequest {
  path: string;
  /** Stored bytes: the content compressed per fragment.compressionCodec. */
  content: Uint8Array;
  fragment: Fragment;
}
export interface PutResponse {
  /** Seconds since the epoch on the store host's clock (never 0). */
  modTime: number;
  /** False when the path already held this fragment (idempotent put). */
  created: boolean;
}
export interface GetRequest {
  path: string;
  /** Offset into the stored bytes. */
  offset: number;
}
export interface ListRequest {
  prefix: string;
  /** "" for the first page, else the previous page's nextPageToken. */
  pageToken: string;
}
export interface ListEntry {
  path: string;
  /** Stored bytes. */
  size: number;
  modTime: number;
}
export interface ListResponse {
  entries: ListEntry[];
  /** "" on the last page. */
  nextPageToken: string;
}
export interface DeleteRequest {
  path: string;
}
export interface DeleteResponse {
  deleted: boolean;
}

type WireMap = { readonly [key: string]: WireValue | undefined };

function asMap(value: WireValue | undefined, what: string): WireMap {
  if (
    value === null ||
    value === undefined ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    throw new ValidationError(`${what}: expected a map`);
  }
  return value as WireMap;
}

function stringField(map: WireMap, key: string, zero?: string): string {
  const value = map[key];
  if ((value === undefined || value === null) && zero !== undefined) return zero;
  if (typeof value !== "string") throw new ValidationError(`${key}: expected a string`);
  return value;
}

function naturalField(map: WireMap, key: string): number {
  const value = map[key] ?? 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new ValidationError(`${key}: expected a natural number`);
  return value;
}

function bytesField(map: WireMap, key: string): Uint8Array {
  const value = map[key];
  if (!(value instanceof Uint8Array)) throw new ValidationError(`${key}: expected bytes`);
  return value;
}

function booleanField(map: WireMap, key: string): boolean {
  const value = map[key] ?? false;
  if (typeof value !== "boolean") throw new ValidationError(`${key}: expected a boolean`);
  return value;
}

export function decodePutRequest(value: WireValue): PutRequest {
  return withContext("PutRequest", () => {
    const map = asMap(value, "request");
    const path = stringField(map, "path");
    withContext("Path", () => validateStorePath(path));
    const content = bytesField(map, "content");
    const fragmentValue = map.fragment;
    if (fragmentValue === undefined) throw new ValidationError("Fragment: expected a fragment");
    return { path, content, fragment: decodeFragment(fragmentValue) };
  });
}

export function decodeGetRequest(value: WireValue): GetRequest {
  return withContext("GetRequest", () => {
    const map = asMap(value, "request");
    const path = stringField(map, "path");
    withContext("Path", () => validateStorePath(path));
    return { path, offset: naturalField(map, "offset") };
  });
}

export function decodeListRequest(value: WireValue): ListRequest {
  return withContext("ListRequest", () => {
    const map = asMap(value, "request");
    const prefix = stringField(map, "prefix", "");
    withContext("Prefix", () => validateStorePrefix(prefix));
    const pageToken = stringField(map, "pageToken", "");
    if (pageToken !== "" && !pageToken.startsWith(prefix))
      throw new ValidationError(`PageToken: not under the prefix (${pageToken})`);
    return { prefix, pageToken };
  });
}

export function decodeDeleteRequest(value: WireValue): DeleteRequest {
  return withContext("DeleteRequest", () => {
    const map = asMap(value, "request");
    const path = stringField(map, "path");
    withContext("Path", () => validateStorePath(path));
    return { path };
  });
}

export function decodePutResponse(value: WireValue): PutResponse {
  return withContext("PutResponse", () => {
    const map = asMap(value, "response");
    const modTime = naturalField(map, "modTime");
    if (modTime === 0) throw new ValidationError("ModTime: expected a persisted modification time");
    return { modTime, created: booleanField(map, "created") };
  });
}

export function decodeGetMessage(value: WireValue): Uint8Array {
  return withContext("GetResponse", () => bytesField(asMap(value, "message"), "content"));
}

/** Decodes a list page, checking that every entry lies under `prefix` and after `pageToken`, in order. */
export function decodeListResponse(value: WireValue, request: ListRequest): ListResponse {
  return withContext("ListResponse", () => {
    const map = asMap(value, "response");
    const entriesValue = map.entries ?? [];
    if (!Array.isArray(entriesValue)) throw new ValidationError("Entries: expected an array");
    if (entriesValue.length > FRAGMENT_STORE_LIST_PAGE_ENTRIES_MAX)
      throw new ValidationError(`Entries: more than ${FRAGMENT_STORE_LIST_PAGE_ENTRIES_MAX}`);
    let previous = request.pageToken;
    const entries = (entriesValue as readonly WireValue[]).map((entryValue, index) =>
      withContext(`Entries[${index}]`, () => {
        const entry = asMap(entryValue, "entry");
        const path = stringField(entry, "path");
        validateStorePath(path);
        if (!path.startsWith(request.prefix)) throw new ValidationError(`path not under the prefix (${path})`);
        if (path <= previous) throw new ValidationError(`paths out of order (${path})`);
        previous = path;
        return { path, size: naturalField(entry, "size"), modTime: naturalField(entry, "modTime") };
      }),
    );
    const nextPageToken = stringField(map, "nextPageToken", "");
    // Progress: the next page starts after every entry of this one (the store may skip corrupt files).
    if (
      nextPageToken !== "" &&
      (nextPageToken < previous || nextPageToken <= request.pageToken || !nextPageToken.startsWith(request.prefix))
    ) {
      throw new ValidationError(`NextPageToken: does not advance the listing (${nextPageToken})`);
    }
    return { entries, nextPageToken };
  });
}

export function decodeDeleteResponse(value: WireValue): DeleteResponse {
  return withContext("DeleteResponse", () => ({ deleted: booleanField(asMap(value, "response"), "deleted") }));
}

export function encodePutRequest(request: PutRequest): WireValue {
  return { path: request.path, content: request.content, fragment: toWire(request.fragment) };
}

/** Reads a refusal's kind out of an RpcError's details (undefined when it is not one). */
export function refusalKind(details: WireValue | undefined): FragmentStoreRefusal | undefined {
  if (
    details === null ||
    details === undefined ||
    typeof details !== "object" ||
    Array.isArray(details) ||
    details instanceof Uint8Array
  )
    return undefined;
  const kind = (details as WireMap).kind;
  return typeof kind === "string" && Object.hasOwn(FRAGMENT_STORE_REFUSALS, kind)
    ? (kind as FragmentStoreRefusal)
    : undefined;
}
