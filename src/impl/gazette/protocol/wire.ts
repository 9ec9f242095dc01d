/**
 * Encoding of protocol messages as env.rpc WireValues, and their decoding.
 *
 * Encoding is structural: messages are plain objects of strings, numbers,
 * booleans, Uint8Arrays and arrays, which are WireValues as they are (absent
 * optional fields are `undefined` and are not sent). Decoding is strict about
 * shape and lenient about absence, like protobuf: a missing field takes its zero
 * value, an unknown field is ignored, and a field of the wrong type is a
 * ValidationError naming its path ("ReadResponse.Fragment.Begin: expected an
 * integer"). Each `decode*` then runs the message's `validate*`, so whatever a
 * peer sends becomes either a valid message or a ValidationError.
 */
import type { WireValue } from "../../../sim/env.ts";
import type { Fragment } from "./fragment.ts";
import { validateFragment } from "./fragment.ts";
import type { CompressionCodec, JournalSpec } from "./journal-spec.ts";
import type { Label, LabelSelector, LabelSet } from "./labels.ts";
import {
  validateAppendRequest,
  validateAppendResponse,
  validateApplyRequest,
  validateApplyResponse,
  validateFragmentsRequest,
  validateFragmentsResponse,
  validateListRequest,
  validateListResponse,
  validateReadRequest,
  validateReadResponse,
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
import type { Header, ProcessSpecId, Route } from "./route.ts";
import type { Status } from "./status.ts";
import { ValidationError, withContext } from "./validation.ts";

type WireMap = { readonly [key: string]: WireValue | undefined };

/** Most elements a decoded array may hold (a malformed peer cannot make us allocate without bound). */
export const WIRE_ARRAY_LENGTH_MAX = 100_000;

/** Encodes a protocol message as a WireValue (structural: see the file comment). */
export function toWire(message: object): WireValue {
  return message as unknown as WireValue;
}

function asMap(value: WireValue | undefined): WireMap {
  if (
    value === null ||
    value === undefined ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    throw new ValidationError("expected a map");
  }
  return value as WireMap;
}

function field<T>(map: WireMap, key: string, context: string, read: (value: WireValue) => T, zero: T): T {
  const value = map[key];
  if (value === undefined || value === null) return zero;
  return withContext(context, () => read(value));
}

function optional<T>(map: WireMap, key: string, context: string, read: (value: WireValue) => T): T | undefined {
  const value = map[key];
  if (value === undefined || value === null) return undefined;
  return withContext(context, () => read(value));
}

const readString = (value: WireValue): string => {
  if (typeof value !== "string") throw new ValidationError("expected a string");
  return value;
};
const readInteger = (value: WireValue): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new ValidationError("expected an integer");
  return value;
};
const readNumber = (value: WireValue): number => {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError("expected a number");
  return value;
};
const readBoolean = (value: WireValue): boolean => {
  if (typeof value !== "boolean") throw new ValidationError("expected a boolean");
  return value;
};
const readBytes = (value: WireValue): Uint8Array => {
  if (!(value instanceof Uint8Array)) throw new ValidationError("expected bytes");
  return value;
};

function readArray<T>(read: (value: WireValue) => T): (value: WireValue) => T[] {
  return (value) => {
    if (!Array.isArray(value)) throw new ValidationError("expected an array");
    const items = value as readonly WireValue[];
    if (items.length > WIRE_ARRAY_LENGTH_MAX) throw new ValidationError(`more than ${WIRE_ARRAY_LENGTH_MAX} elements`);
    return items.map((item, index) => withContext(`[${index}]`, () => read(item)));
  };
}

const str = (map: WireMap, key: string, context: string) => field(map, key, context, readString, "");
const int = (map: WireMap, key: string, context: string) => field(map, key, context, readInteger, 0);
const bool = (map: WireMap, key: string, context: string) => field(map, key, context, readBoolean, false);

function readLabel(value: WireValue): Label {
  const map = asMap(value);
  return { name: str(map, "name", "Name"), value: str(map, "value", "Value") };
}

export function readLabelSet(value: WireValue): LabelSet {
  return { labels: field(asMap(value), "labels", "Labels", readArray(readLabel), []) };
}

export function readLabelSelector(value: WireValue): LabelSelector {
  const map = asMap(value);
  return {
    include: field(map, "include", "Include", readLabelSet, { labels: [] }),
    exclude: field(map, "exclude", "Exclude", readLabelSet, { labels: [] }),
  };
}

function readProcessSpecId(value: WireValue): ProcessSpecId {
  const map = asMap(value);
  return { zone: str(map, "zone", "Zone"), suffix: str(map, "suffix", "Suffix") };
}

export function readRoute(value: WireValue): Route {
  const map = asMap(value);
  return {
    members: field(map, "members", "Members", readArray(readProcessSpecId), []),
    primary: field(map, "primary", "Primary", readInteger, -1),
    endpoints: field(map, "endpoints", "Endpoints", readArray(readString), []),
  };
}

export function readHeader(value: WireValue): Header {
  const map = asMap(value);
  const etcd = asMapIn(map, "etcd", "Etcd");
  return {
    processId: field(map, "processId", "ProcessId", readProcessSpecId, { zone: "", suffix: "" }),
    route: field(map, "route", "Route", readRoute, { members: [], primary: -1, endpoints: [] }),
    etcd: {
      clusterId: int(etcd, "clusterId", "Etcd.ClusterId"),
      memberId: int(etcd, "memberId", "Etcd.MemberId"),
      revision: int(etcd, "revision", "Etcd.Revision"),
      raftTerm: int(etcd, "raftTerm", "Etcd.RaftTerm"),
    },
  };
}

function asMapIn(map: WireMap, key: string, context: string): WireMap {
  const value = map[key];
  if (value === undefined || value === null) return {};
  return withContext(context, () => asMap(value));
}

export function readFragment(value: WireValue): Fragment {
  const map = asMap(value);
  return {
    journal: str(map, "journal", "Journal"),
    begin: int(map, "begin", "Begin"),
    end: int(map, "end", "End"),
    sum: str(map, "sum", "Sum"),
    compressionCodec: str(map, "compressionCodec", "CompressionCodec") as CompressionCodec,
    backingStore: str(map, "backingStore", "BackingStore"),
    modTime: int(map, "modTime", "ModTime"),
    pathPostfix: str(map, "pathPostfix", "PathPostfix"),
  };
}

export function readJournalSpec(value: WireValue): JournalSpec {
  const map = asMap(value);
  const fragment = asMapIn(map, "fragment", "Fragment");
  const spec: JournalSpec = {
    name: str(map, "name", "Name"),
    replication: int(map, "replication", "Replication"),
    labels: field(map, "labels", "Labels", readLabelSet, { labels: [] }),
    fragment: {
      length: int(fragment, "length", "Fragment.Length"),
      compressionCodec: str(fragment, "compressionCodec", "Fragment.CompressionCodec") as CompressionCodec,
      stores: field(fragment, "stores", "Fragment.Stores", readArray(readString), []),
      refreshIntervalMs: field(fragment, "refreshIntervalMs", "Fragment.RefreshInterval", readNumber, 0),
      retentionMs: field(fragment, "retentionMs", "Fragment.Retention", readNumber, 0),
      flushIntervalMs: field(fragment, "flushIntervalMs", "Fragment.FlushInterval", readNumber, 0),
    },
    flags: int(map, "flags", "Flags"),
  };
  const template = optional(fragment, "pathPostfixTemplate", "Fragment.PathPostfixTemplate", readString);
  if (template !== undefined) spec.fragment.pathPostfixTemplate = template;
  const rate = optional(map, "maxAppendRate", "MaxAppendRate", readInteger);
  if (rate !== undefined) spec.maxAppendRate = rate;
  return spec;
}

function decode<T>(name: string, value: WireValue, read: (map: WireMap) => T, validate: (message: T) => void): T {
  return withContext(name, () => {
    const message = read(asMap(value));
    validate(message);
    return message;
  });
}

function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

export function decodeReadRequest(value: WireValue): ReadRequest {
  return decode(
    "ReadRequest",
    value,
    (map) => {
      const request: ReadRequest = {
        journal: str(map, "journal", "Journal"),
        offset: int(map, "offset", "Offset"),
        block: bool(map, "block", "Block"),
        doNotProxy: bool(map, "doNotProxy", "DoNotProxy"),
        metadataOnly: bool(map, "metadataOnly", "MetadataOnly"),
        endOffset: int(map, "endOffset", "EndOffset"),
        beginModTime: int(map, "beginModTime", "BeginModTime"),
      };
      setOptional(request, "header", optional(map, "header", "Header", readHeader));
      return request;
    },
    validateReadRequest,
  );
}

export function decodeReadResponse(value: WireValue): ReadResponse {
  return decode(
    "ReadResponse",
    value,
    (map) => {
      const response: ReadResponse = {
        status: field(map, "status", "Status", readString, "OK") as Status,
        offset: int(map, "offset", "Offset"),
        writeHead: int(map, "writeHead", "WriteHead"),
        fragmentUrl: str(map, "fragmentUrl", "FragmentUrl"),
      };
      setOptional(response, "header", optional(map, "header", "Header", readHeader));
      setOptional(response, "fragment", optional(map, "fragment", "Fragment", readFragment));
      setOptional(response, "content", optional(map, "content", "Content", readBytes));
      return response;
    },
    validateReadResponse,
  );
}

function readAppendRequest(map: WireMap): AppendRequest {
  const request: AppendRequest = {
    journal: str(map, "journal", "Journal"),
    doNotProxy: bool(map, "doNotProxy", "DoNotProxy"),
    offset: int(map, "offset", "Offset"),
  };
  setOptional(request, "header", optional(map, "header", "Header", readHeader));
  setOptional(request, "checkRegisters", optional(map, "checkRegisters", "CheckRegisters", readLabelSelector));
  setOptional(request, "unionRegisters", optional(map, "unionRegisters", "UnionRegisters", readLabelSet));
  setOptional(request, "subtractRegisters", optional(map, "subtractRegisters", "SubtractRegisters", readLabelSet));
  return request;
}

export function decodeAppendRequest(value: WireValue): AppendRequest {
  return decode("AppendRequest", value, readAppendRequest, validateAppendRequest);
}

export function decodeAppendResponse(value: WireValue): AppendResponse {
  return decode(
    "AppendResponse",
    value,
    (map) => {
      const response: AppendResponse = {
        status: field(map, "status", "Status", readString, "OK") as Status,
        header: field(map, "header", "Header", readHeader, readHeader({})),
        totalChunks: int(map, "totalChunks", "TotalChunks"),
        delayedChunks: int(map, "delayedChunks", "DelayedChunks"),
      };
      setOptional(response, "commit", optional(map, "commit", "Commit", readFragment));
      setOptional(response, "registers", optional(map, "registers", "Registers", readLabelSet));
      return response;
    },
    validateAppendResponse,
  );
}

export function decodeListRequest(value: WireValue): ListRequest {
  return decode(
    "ListRequest",
    value,
    (map) => ({
      selector: field(map, "selector", "Selector", readLabelSelector, {
        include: { labels: [] },
        exclude: { labels: [] },
      }),
      pageLimit: int(map, "pageLimit", "PageLimit"),
      pageToken: str(map, "pageToken", "PageToken"),
    }),
    validateListRequest,
  );
}

export function decodeListResponse(value: WireValue): ListResponse {
  const readJournal = (item: WireValue) => {
    const map = asMap(item);
    return {
      spec: field(map, "spec", "Spec", readJournalSpec, readJournalSpec({})),
      modRevision: int(map, "modRevision", "ModRevision"),
      route: field(map, "route", "Route", readRoute, { members: [], primary: -1, endpoints: [] }),
    };
  };
  return decode(
    "ListResponse",
    value,
    (map) => ({
      status: field(map, "status", "Status", readString, "OK") as Status,
      header: field(map, "header", "Header", readHeader, readHeader({})),
      journals: field(map, "journals", "Journals", readArray(readJournal), []),
      nextPageToken: str(map, "nextPageToken", "NextPageToken"),
    }),
    validateListResponse,
  );
}

export function decodeApplyRequest(value: WireValue): ApplyRequest {
  const readChange = (item: WireValue) => {
    const map = asMap(item);
    const change: ApplyRequest["changes"][number] = {
      expectModRevision: int(map, "expectModRevision", "ExpectModRevision"),
    };
    setOptional(change, "upsert", optional(map, "upsert", "Upsert", readJournalSpec));
    setOptional(change, "delete", optional(map, "delete", "Delete", readString));
    return change;
  };
  return decode(
    "ApplyRequest",
    value,
    (map) => ({ changes: field(map, "changes", "Changes", readArray(readChange), []) }),
    validateApplyRequest,
  );
}

export function decodeApplyResponse(value: WireValue): ApplyResponse {
  return decode(
    "ApplyResponse",
    value,
    (map) => ({
      status: field(map, "status", "Status", readString, "OK") as Status,
      header: field(map, "header", "Header", readHeader, readHeader({})),
    }),
    validateApplyResponse,
  );
}

export function decodeFragmentsRequest(value: WireValue): FragmentsRequest {
  return decode(
    "FragmentsRequest",
    value,
    (map) => {
      const request: FragmentsRequest = {
        journal: str(map, "journal", "Journal"),
        beginModTime: int(map, "beginModTime", "BeginModTime"),
        endModTime: int(map, "endModTime", "EndModTime"),
        nextPageToken: int(map, "nextPageToken", "NextPageToken"),
        pageLimit: int(map, "pageLimit", "PageLimit"),
        doNotProxy: bool(map, "doNotProxy", "DoNotProxy"),
      };
      setOptional(request, "header", optional(map, "header", "Header", readHeader));
      setOptional(request, "signatureTtlMs", optional(map, "signatureTtlMs", "SignatureTTL", readNumber));
      return request;
    },
    validateFragmentsRequest,
  );
}

export function decodeFragmentsResponse(value: WireValue): FragmentsResponse {
  const readItem = (item: WireValue) => {
    const map = asMap(item);
    const spec = field(map, "spec", "Spec", readFragment, readFragment({}));
    return { spec, signedUrl: str(map, "signedUrl", "SignedUrl") };
  };
  return decode(
    "FragmentsResponse",
    value,
    (map) => ({
      status: field(map, "status", "Status", readString, "OK") as Status,
      header: field(map, "header", "Header", readHeader, readHeader({})),
      fragments: field(map, "fragments", "Fragments", readArray(readItem), []),
      nextPageToken: int(map, "nextPageToken", "NextPageToken"),
    }),
    validateFragmentsResponse,
  );
}

/** Decodes and validates a Fragment on its own. */
export function decodeFragment(value: WireValue): Fragment {
  return decode("Fragment", value, readFragment, validateFragment);
}

/** The wire form of an Append carried in one unary call: the request, then its content chunks. */
export interface AppendCall {
  request: AppendRequest;
  chunks: Uint8Array[];
}

export function decodeAppendCall(value: WireValue, chunksMax: number): AppendCall {
  return withContext("AppendCall", () => {
    const map = asMap(value);
    const request = withContext("Request", () => decodeAppendRequest(map.request ?? null));
    const chunks = field(map, "chunks", "Chunks", readArray(readBytes), []);
    if (chunks.length > chunksMax) throw new ValidationError(`more than ${chunksMax} chunks`);
    return { request, chunks };
  });
}
