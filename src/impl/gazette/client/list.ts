/**
 * Listing and applying journals, listing fragments (list.go).
 *
 * - listAllJournals: List RPCs, following page tokens, joined into one response;
 *   each journal's route is fed to the client's router when it has one.
 * - getJournal: the spec of one journal (ErrJournalNotFound if it does not exist).
 * - applyJournals: the changes as one Apply (one Etcd transaction).
 * - applyJournalsInBatches: the changes in batches of `size` (0: one batch). Batches
 *   are separate transactions: if one fails, the earlier ones stay applied and the
 *   later ones are not attempted; the error says how many changes were applied.
 * - listAllFragments: Fragments RPCs, following page tokens, joined.
 * A non-OK status becomes its named error; every response is validated. Page
 * loops are bounded (LIST_PAGES_MAX).
 */
import { assert } from "../../../sim/assert.ts";
import {
  callOptions,
  dispatchItemRoute,
  type JournalClient,
  type Router,
  type RoutedJournalClient,
} from "../protocol/journal-client.ts";
import type { Journal, JournalSpec } from "../protocol/journal-spec.ts";
import {
  validateApplyResponse,
  validateFragmentsResponse,
  validateListResponse,
  type ApplyRequest,
  type ApplyResponse,
  type FragmentsRequest,
  type FragmentsResponse,
  type ListRequest,
  type ListResponse,
} from "../protocol/messages.ts";
import { withContext } from "../protocol/validation.ts";
import { ErrJournalNotFound, errorOfStatus } from "./errors.ts";

/** Pages one listing may take at most. */
export const LIST_PAGES_MAX = 100_000;

export interface ListOptions {
  signal?: AbortSignal;
}

function isRouter(client: JournalClient): client is JournalClient & Router {
  const candidate = client as Partial<Router>;
  return (
    typeof candidate.updateRoute === "function" &&
    typeof candidate.route === "function" &&
    typeof candidate.isNoopRouter === "function"
  );
}

/** ListAllJournals. */
export async function listAllJournals(
  client: JournalClient,
  request: ListRequest,
  options: ListOptions = {},
): Promise<ListResponse> {
  let response: ListResponse | undefined;
  let pageToken = request.pageToken;
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const next = await client.list({ ...request, pageToken }, callOptions(options.signal, undefined));
    withContext("ListResponse", () => validateListResponse(next));
    if (next.status !== "OK") throw errorOfStatus(next.status);
    pageToken = next.nextPageToken;
    if (response === undefined) response = { ...next, journals: [...next.journals], nextPageToken: "" };
    else response.journals.push(...next.journals);
    if (pageToken === "") {
      if (isRouter(client))
        for (const journal of response.journals) client.updateRoute(journal.spec.name, journal.route);
      return response;
    }
  }
  throw new Error(`listAllJournals: more than ${LIST_PAGES_MAX} pages`);
}

/** GetJournal. */
export async function getJournal(
  client: JournalClient,
  journal: Journal,
  options: ListOptions = {},
): Promise<JournalSpec> {
  const response = await listAllJournals(
    client,
    {
      selector: { include: { labels: [{ name: "name", value: journal }] }, exclude: { labels: [] } },
      pageLimit: 0,
      pageToken: "",
    },
    options,
  );
  const found = response.journals[0];
  if (found === undefined) throw new ErrJournalNotFound(`named journal does not exist (${journal})`);
  return found.spec;
}

/** ApplyJournals: all changes in one transaction. */
export function applyJournals(
  client: JournalClient,
  request: ApplyRequest,
  options: ListOptions = {},
): Promise<ApplyResponse> {
  return applyJournalsInBatches(client, request, 0, options);
}

/** ApplyJournalsInBatches (see the file comment: it may partly succeed). */
export async function applyJournalsInBatches(
  client: JournalClient,
  request: ApplyRequest,
  size: number,
  options: ListOptions = {},
): Promise<ApplyResponse> {
  assert(Number.isSafeInteger(size) && size >= 0, "applyJournalsInBatches: size must be >= 0");
  const batch = size === 0 ? Math.max(1, request.changes.length) : size;
  let offset = 0;
  for (;;) {
    const changes = request.changes.slice(offset, offset + batch);
    let response: ApplyResponse;
    try {
      response = await client.apply({ changes }, callOptions(options.signal, undefined));
      withContext("ApplyResponse", () => validateApplyResponse(response));
    } catch (error) {
      throw annotateApplied(error, offset);
    }
    if (response.status !== "OK") throw annotateApplied(errorOfStatus(response.status), offset);
    offset += changes.length;
    if (offset >= request.changes.length) return response;
  }
}

function annotateApplied(error: unknown, applied: number): unknown {
  if (applied > 0 && error instanceof Error) error.message = `${error.message} (after ${applied} changes were applied)`;
  return error;
}

/** ListAllFragments. */
export async function listAllFragments(
  client: RoutedJournalClient,
  request: FragmentsRequest,
  options: ListOptions = {},
): Promise<FragmentsResponse> {
  const dispatch = dispatchItemRoute(client, request.journal, false);
  let response: FragmentsResponse | undefined;
  let nextPageToken = request.nextPageToken;
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const next = await client.listFragments({ ...request, nextPageToken }, callOptions(options.signal, dispatch));
    withContext("FragmentsResponse", () => validateFragmentsResponse(next));
    if (next.status !== "OK") throw errorOfStatus(next.status);
    nextPageToken = next.nextPageToken;
    if (response === undefined) response = { ...next, fragments: [...next.fragments], nextPageToken: 0 };
    else response.fragments.push(...next.fragments);
    if (nextPageToken === 0) return response;
  }
  throw new Error(`listAllFragments: more than ${LIST_PAGES_MAX} pages`);
}
