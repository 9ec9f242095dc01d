/**
 * What a Gazette operator does when a journal's consistency was lost:
 * `gazctl journals reset-head`. When every replica of a journal lost its spool
 * (more broker failures than replication covers, counting the time a restarted
 * broker needs to rejoin), the fragment index holds a greater offset than the
 * new pipeline, and brokers refuse appends without an explicit offset with
 * INDEX_HAS_GREATER_OFFSET: Gazette fails to safety rather than risk writing
 * an offset twice. reset-head reads the journal's write head (a non-blocking
 * read at offset -1, answered OFFSET_NOT_YET_AVAILABLE with the head) and
 * appends nothing at exactly that offset, which rolls the pipeline there.
 */
import { Appender } from "../../src/impl/gazette/client/appender.ts";
import { ErrOffsetNotYetAvailable } from "../../src/impl/gazette/client/errors.ts";
import { Reader } from "../../src/impl/gazette/client/reader.ts";
import type { RoutedJournalClient } from "../../src/impl/gazette/protocol/journal-client.ts";
import { appendRequest, readRequest } from "../../src/impl/gazette/protocol/messages.ts";
import type { Journal } from "../../src/impl/gazette/protocol/journal-spec.ts";
import { StatusError } from "../../src/impl/gazette/client/errors.ts";

/** True for the refusal that asks for an operator's reset-head. */
export function isIndexHasGreaterOffset(error: unknown): boolean {
  return error instanceof StatusError && error.status === "INDEX_HAS_GREATER_OFFSET";
}

/** gazctl journals reset-head for one journal; resolves with the offset the journal now appends at. */
export async function resetJournalHead(client: RoutedJournalClient, journal: Journal): Promise<number> {
  const reader = new Reader(client, readRequest({ journal, offset: -1, block: false }));
  try {
    await reader.read();
    throw new Error(`reset-head of ${journal}: a non-blocking read at the write head returned content`);
  } catch (error) {
    if (!(error instanceof ErrOffsetNotYetAvailable)) throw error;
  } finally {
    await reader.close();
  }
  const head = reader.response.writeHead;
  const appender = new Appender(client, appendRequest({ journal, offset: head }));
  await appender.close();
  return head;
}
