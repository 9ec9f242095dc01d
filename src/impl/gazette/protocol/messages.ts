/**
 * The Journal service's messages (protocol.proto) and their validation
 * (rpc_extensions.go). Offsets are byte offsets (safe integers). Optional
 * message fields are `undefined` when absent, as nil pointers are in Go.
 *
 * Read: the response stream carries "metadata" messages (status, header,
 * offset, write head, fragment, fragment URL) followed by "chunk" messages
 * carrying content (and nothing else but the offset). A non-OK status ends the
 * stream. Append: one request (journal and preconditions), then content chunks;
 * an empty chunk commits, and ending without one rolls back (see the RPC binding
 * for how this crosses env.rpc).
 */
import { type Fragment, validateFragment } from "./fragment.ts";
import { validateJournal, validateJournalSpec, type Journal, type JournalSpec } from "./journal-spec.ts";
import { valuesOf, validateLabelSelector, validateLabelSet, type LabelSelector, type LabelSet } from "./labels.ts";
import { validateHeader, validateRoute, type Header, type Route } from "./route.ts";
import { validateStatus, type Status } from "./status.ts";
import { ValidationError, validateInteger, withContext } from "./validation.ts";

export interface ReadRequest {
  /** Attached by a proxying broker peer. */
  header?: Header;
  journal: Journal;
  /** Offset to read from; -1 reads from the write head. A deleted span yields the next available offset. */
  offset: number;
  /** Block until content is available (else OFFSET_NOT_YET_AVAILABLE at the write head). */
  block: boolean;
  /** The broker neither proxies the read nor proxies a remote fragment: it may send a fragment URL instead. */
  doNotProxy: boolean;
  /** Metadata only, no content. */
  metadataOnly: boolean;
  /** Offset to read through (exclusive); 0 is unbounded. */
  endOffset: number;
  /** Skip fragments modified before this time (seconds since the epoch); 0 reads all (later Gazette). */
  beginModTime: number;
}

export interface ReadResponse {
  status: Status;
  /** Accompanies the first response of the stream. */
  header?: Header;
  /** The effective offset of the read (metadata), or of this chunk's first byte (content). */
  offset: number;
  /** The offset the next append will write at (metadata only). */
  writeHead: number;
  /** The fragment the offset maps to (metadata only). */
  fragment?: Fragment;
  /** A URL from which a remote fragment may be read directly (metadata only). */
  fragmentUrl: string;
  /** Content chunk; set only on chunk messages. */
  content?: Uint8Array;
}

export interface AppendRequest {
  header?: Header;
  journal: Journal;
  /** The broker does not proxy the append to the primary. */
  doNotProxy: boolean;
  /** 0 (the broker's offset), or the offset the append must begin at (else WRONG_APPEND_OFFSET). */
  offset: number;
  /** Registers must match this selector (else REGISTER_MISMATCH). */
  checkRegisters?: LabelSelector;
  /** Union into the registers if the append commits at least one byte. */
  unionRegisters?: LabelSet;
  /** Subtract from the registers if the append commits at least one byte. */
  subtractRegisters?: LabelSet;
}

export interface AppendResponse {
  status: Status;
  header: Header;
  /** On OK, the fragment placing the committed content in the journal. */
  commit?: Fragment;
  /** The journal's current registers (OK and REGISTER_MISMATCH). */
  registers?: LabelSet;
  totalChunks: number;
  delayedChunks: number;
}

export interface ListRequest {
  /** Journals whose labels (plus meta-labels "name" and "prefix") match; empty selects all. */
  selector: LabelSelector;
  /** Journals per response at most; 0 lets the broker choose. */
  pageLimit: number;
  /** Continues a previous listing; "" starts one. */
  pageToken: string;
}

export interface ListResponseJournal {
  spec: JournalSpec;
  modRevision: number;
  route: Route;
}

export interface ListResponse {
  status: Status;
  header: Header;
  journals: ListResponseJournal[];
  /** "" if and only if this response completes the listing. */
  nextPageToken: string;
}

export interface ApplyRequestChange {
  /** Expected ModRevision: 0 creates, > 0 updates or deletes, -1 skips the check. */
  expectModRevision: number;
  /** Exactly one of `upsert` and `delete`. */
  upsert?: JournalSpec;
  delete?: Journal;
}

export interface ApplyRequest {
  changes: ApplyRequestChange[];
}

export interface ApplyResponse {
  status: Status;
  header: Header;
}

export interface FragmentsRequest {
  header?: Header;
  journal: Journal;
  /** Inclusive lower bound on ModTime (seconds); 0 for none. */
  beginModTime: number;
  /** Exclusive upper bound on ModTime (seconds); 0 for none. */
  endModTime: number;
  /** From a previous response; 0 starts. */
  nextPageToken: number;
  /** Fragments per page; 0 means the broker's default (1000 in Gazette). */
  pageLimit: number;
  /** If set, each fragment comes with a signed URL valid this long. */
  signatureTtlMs?: number;
  doNotProxy: boolean;
}

export interface FragmentsResponseFragment {
  spec: Fragment;
  signedUrl: string;
}

export interface FragmentsResponse {
  status: Status;
  header: Header;
  fragments: FragmentsResponseFragment[];
  /** 0 when there are no more pages. */
  nextPageToken: number;
}

export const FRAGMENTS_PAGE_LIMIT_MAX = 10_000;

function validateOptionalHeader(header: Header | undefined): void {
  if (header !== undefined) withContext("Header", () => validateHeader(header));
}

const URL_SHAPE = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/;

/** A URL as Go's url.Parse accepts it in practice: a scheme, then no whitespace. */
function validateUrl(url: string): void {
  if (url !== "" && !URL_SHAPE.test(url)) throw new ValidationError(`invalid URL (${url})`);
}

/** ReadRequest.Validate. */
export function validateReadRequest(request: ReadRequest): void {
  validateOptionalHeader(request.header);
  withContext("Journal", () => validateJournal(request.journal));
  if (!Number.isSafeInteger(request.offset) || request.offset < -1) {
    throw new ValidationError(`invalid Offset (${request.offset}; expected -1 <= Offset <= MaxInt64)`);
  }
  if (
    !Number.isSafeInteger(request.endOffset) ||
    request.endOffset < 0 ||
    (request.endOffset !== 0 && request.endOffset < request.offset)
  ) {
    // Gazette's message reads "expected 0 <= EndOffset <= Offset", the reverse of its check (EndOffset >= Offset): the
    // intent is stated here.
    throw new ValidationError(
      `invalid EndOffset (${request.endOffset}; expected 0, or EndOffset >= Offset ${request.offset})`,
    );
  }
  validateInteger("BeginModTime", request.beginModTime, 0);
}

/** ReadResponse.Validate: a chunk carries only content; metadata is consistent with its fragment. */
export function validateReadResponse(response: ReadResponse): void {
  withContext("Status", () => validateStatus(response.status));
  validateInteger("Offset", response.offset, 0);
  if (response.content !== undefined) {
    if (response.status !== "OK") throw new ValidationError(`unexpected Status with Content (${response.status})`);
    if (response.header !== undefined) throw new ValidationError("unexpected Header with Content");
    if (response.writeHead !== 0)
      throw new ValidationError(`unexpected WriteHead with Content (${response.writeHead})`);
    if (response.fragment !== undefined) throw new ValidationError("unexpected Fragment with Content");
    if (response.fragmentUrl !== "")
      throw new ValidationError(`unexpected FragmentUrl with Content (${response.fragmentUrl})`);
    return;
  }
  validateOptionalHeader(response.header);
  validateInteger("WriteHead", response.writeHead, 0);
  if (response.fragment !== undefined) {
    const fragment = response.fragment;
    withContext("Fragment", () => validateFragment(fragment));
    if (response.offset < fragment.begin || response.offset >= fragment.end) {
      throw new ValidationError(
        `invalid Offset (${response.offset}; expected ${fragment.begin} <= offset < ${fragment.end})`,
      );
    }
    if (response.writeHead < fragment.end)
      throw new ValidationError(`invalid WriteHead (${response.writeHead}; expected >= ${fragment.end})`);
    withContext("FragmentUrl", () => validateUrl(response.fragmentUrl));
  } else {
    if (response.status === "OK" && response.offset !== 0)
      throw new ValidationError(`unexpected Offset without Fragment or Content (${response.offset})`);
    if (response.fragmentUrl !== "")
      throw new ValidationError(`unexpected FragmentUrl without Fragment (${response.fragmentUrl})`);
  }
}

/** AppendRequest.Validate (of the first message; chunks are carried separately here). */
export function validateAppendRequest(request: AppendRequest): void {
  validateOptionalHeader(request.header);
  withContext("Journal", () => validateJournal(request.journal));
  validateInteger("Offset", request.offset, 0);
  if (request.checkRegisters !== undefined) {
    const selector = request.checkRegisters;
    withContext("CheckRegisters", () => validateLabelSelector(selector));
  }
  if (request.unionRegisters !== undefined) {
    const set = request.unionRegisters;
    withContext("UnionRegisters", () => validateLabelSet(set));
  }
  if (request.subtractRegisters !== undefined) {
    const set = request.subtractRegisters;
    withContext("SubtractRegisters", () => validateLabelSet(set));
  }
}

/** AppendResponse.Validate. */
export function validateAppendResponse(response: AppendResponse): void {
  withContext("Status", () => validateStatus(response.status));
  withContext("Header", () => validateHeader(response.header));
  if (response.status === "OK" && response.commit === undefined) throw new ValidationError("expected Commit");
  if ((response.status === "OK" || response.status === "REGISTER_MISMATCH") && response.registers === undefined) {
    throw new ValidationError("expected Registers");
  }
  if (response.commit !== undefined) {
    const commit = response.commit;
    withContext("Commit", () => validateFragment(commit));
  }
  if (response.registers !== undefined) {
    const registers = response.registers;
    withContext("Registers", () => validateLabelSet(registers));
  }
  validateInteger("TotalChunks", response.totalChunks, 0);
  validateInteger("DelayedChunks", response.delayedChunks, 0);
}

/** ListRequest.Validate: a valid selector whose "prefix" values end in '/'. */
export function validateListRequest(request: ListRequest): void {
  withContext("Selector", () => validateLabelSelector(request.selector));
  for (const [side, set] of [
    ["Include", request.selector.include],
    ["Exclude", request.selector.exclude],
  ] as const) {
    for (const value of valuesOf(set, "prefix")) {
      if (!value.endsWith("/"))
        throw new ValidationError(`Selector.${side}.Labels["prefix"]: expected trailing '/' (${value})`);
    }
  }
  validateInteger("PageLimit", request.pageLimit, 0, 0xffffffff);
}

/** ListResponse.Validate. */
export function validateListResponse(response: ListResponse): void {
  withContext("Status", () => validateStatus(response.status));
  withContext("Header", () => validateHeader(response.header));
  response.journals.forEach((journal, index) =>
    withContext(`Journals[${index}]`, () => {
      withContext("Spec", () => validateJournalSpec(journal.spec));
      if (!Number.isSafeInteger(journal.modRevision) || journal.modRevision <= 0) {
        throw new ValidationError(`invalid ModRevision (${journal.modRevision}; expected > 0)`);
      }
      withContext("Route", () => validateRoute(journal.route));
    }),
  );
}

/** ApplyRequest.Validate. */
export function validateApplyRequest(request: ApplyRequest): void {
  request.changes.forEach((change, index) => withContext(`Changes[${index}]`, () => validateApplyChange(change)));
}

function validateApplyChange(change: ApplyRequestChange): void {
  if (!Number.isSafeInteger(change.expectModRevision))
    throw new ValidationError(`invalid ExpectModRevision (${change.expectModRevision})`);
  if (change.upsert !== undefined) {
    if (change.delete !== undefined && change.delete !== "")
      throw new ValidationError("both Upsert and Delete are set (expected exactly one)");
    const upsert = change.upsert;
    withContext("Upsert", () => validateJournalSpec(upsert));
    if (change.expectModRevision < 0 && change.expectModRevision !== -1) {
      throw new ValidationError(`invalid ExpectModRevision (${change.expectModRevision}; expected >= 0 or -1)`);
    }
  } else if (change.delete !== undefined && change.delete !== "") {
    const journal = change.delete;
    withContext("Delete", () => validateJournal(journal));
    if (change.expectModRevision <= 0 && change.expectModRevision !== -1) {
      throw new ValidationError(`invalid ExpectModRevision (${change.expectModRevision}; expected > 0 or -1)`);
    }
  } else {
    throw new ValidationError("neither Upsert nor Delete are set (expected exactly one)");
  }
}

/** ApplyResponse.Validate. */
export function validateApplyResponse(response: ApplyResponse): void {
  withContext("Status", () => validateStatus(response.status));
  withContext("Header", () => validateHeader(response.header));
}

/** FragmentsRequest.Validate. */
export function validateFragmentsRequest(request: FragmentsRequest): void {
  validateOptionalHeader(request.header);
  withContext("Journal", () => validateJournal(request.journal));
  validateInteger("BeginModTime", request.beginModTime, 0);
  validateInteger("EndModTime", request.endModTime, 0);
  if (request.endModTime !== 0 && request.endModTime < request.beginModTime) {
    throw new ValidationError(`invalid EndModTime (${request.endModTime} must be after ${request.beginModTime})`);
  }
  if (!Number.isSafeInteger(request.nextPageToken) || request.nextPageToken < 0) {
    throw new ValidationError(`invalid NextPageToken (${request.nextPageToken}; must be >= 0)`);
  }
  if (
    !Number.isSafeInteger(request.pageLimit) ||
    request.pageLimit < 0 ||
    request.pageLimit > FRAGMENTS_PAGE_LIMIT_MAX
  ) {
    throw new ValidationError(
      `invalid PageLimit (${request.pageLimit}; must be >= 0 and <= ${FRAGMENTS_PAGE_LIMIT_MAX})`,
    );
  }
  if (request.signatureTtlMs !== undefined && !(request.signatureTtlMs > 0)) {
    throw new ValidationError(`invalid SignatureTTL (${request.signatureTtlMs} ms; must be > 0s)`);
  }
}

/** FragmentsResponse.Validate. */
export function validateFragmentsResponse(response: FragmentsResponse): void {
  withContext("Status", () => validateStatus(response.status));
  withContext("Header", () => validateHeader(response.header));
  response.fragments.forEach((fragment, index) =>
    withContext(`Fragments[${index}]`, () => {
      withContext("Spec", () => validateFragment(fragment.spec));
      withContext("SignedUrl", () => validateUrl(fragment.signedUrl));
    }),
  );
  validateInteger("NextPageToken", response.nextPageToken, 0);
}

/** A ReadRequest with Gazette's zero values for every field not given. */
export function readRequest(fields: Partial<ReadRequest> & { journal: Journal }): ReadRequest {
  return { offset: 0, block: false, doNotProxy: false, metadataOnly: false, endOffset: 0, beginModTime: 0, ...fields };
}

/** An AppendRequest with zero values for every field not given. */
export function appendRequest(fields: Partial<AppendRequest> & { journal: Journal }): AppendRequest {
  return { doNotProxy: false, offset: 0, ...fields };
}

/** A ListRequest with zero values for every field not given. */
export function listRequest(fields: Partial<ListRequest> = {}): ListRequest {
  return { selector: { include: { labels: [] }, exclude: { labels: [] } }, pageLimit: 0, pageToken: "", ...fields };
}

/** A FragmentsRequest with zero values for every field not given. */
export function fragmentsRequest(fields: Partial<FragmentsRequest> & { journal: Journal }): FragmentsRequest {
  return { beginModTime: 0, endModTime: 0, nextPageToken: 0, pageLimit: 0, doNotProxy: false, ...fields };
}
