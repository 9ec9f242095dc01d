/**
 * The client package's named errors (broker/client, "Variables"), as typed
 * classes with Gazette's names and messages.
 *
 * Broker statuses map to StatusError (message: the status name, as Gazette's
 * `errors.New(pb.Status_X.String())`), with a subclass per status the seed names:
 * ErrNotJournalBroker, ErrNotJournalPrimaryBroker, ErrOffsetNotYetAvailable,
 * ErrRegisterMismatch, ErrWrongAppendOffset, ErrInsufficientJournalBrokers (and
 * ErrJournalNotFound, which later Gazette releases name too). ErrOffsetJump,
 * ErrSeekRequiresNewReader and ErrDidNotReadExpectedEOF are the Reader's and
 * FragmentReader's own; ErrUnexpectedEOF is Go's io.ErrUnexpectedEOF.
 */
import type { Status } from "../protocol/status.ts";

/** A broker answered with a non-OK status. */
export class StatusError extends Error {
  override name = "StatusError";
  constructor(
    readonly status: Status,
    detail?: string,
  ) {
    super(detail === undefined ? status : `${status}: ${detail}`);
  }
}

export class ErrNotJournalBroker extends StatusError {
  override name = "ErrNotJournalBroker";
  constructor(detail?: string) {
    super("NOT_JOURNAL_BROKER", detail);
  }
}

export class ErrNotJournalPrimaryBroker extends StatusError {
  override name = "ErrNotJournalPrimaryBroker";
  constructor(detail?: string) {
    super("NOT_JOURNAL_PRIMARY_BROKER", detail);
  }
}

export class ErrOffsetNotYetAvailable extends StatusError {
  override name = "ErrOffsetNotYetAvailable";
  constructor(detail?: string) {
    super("OFFSET_NOT_YET_AVAILABLE", detail);
  }
}

export class ErrRegisterMismatch extends StatusError {
  override name = "ErrRegisterMismatch";
  constructor(detail?: string) {
    super("REGISTER_MISMATCH", detail);
  }
}

export class ErrWrongAppendOffset extends StatusError {
  override name = "ErrWrongAppendOffset";
  constructor(detail?: string) {
    super("WRONG_APPEND_OFFSET", detail);
  }
}

export class ErrInsufficientJournalBrokers extends StatusError {
  override name = "ErrInsufficientJournalBrokers";
  constructor(detail?: string) {
    super("INSUFFICIENT_JOURNAL_BROKERS", detail);
  }
}

export class ErrJournalNotFound extends StatusError {
  override name = "ErrJournalNotFound";
  constructor(detail?: string) {
    super("JOURNAL_NOT_FOUND", detail);
  }
}

/** The error a status maps to: its named class where there is one, else a StatusError. */
export function errorOfStatus(status: Status, detail?: string): StatusError {
  switch (status) {
    case "NOT_JOURNAL_BROKER":
      return new ErrNotJournalBroker(detail);
    case "NOT_JOURNAL_PRIMARY_BROKER":
      return new ErrNotJournalPrimaryBroker(detail);
    case "OFFSET_NOT_YET_AVAILABLE":
      return new ErrOffsetNotYetAvailable(detail);
    case "REGISTER_MISMATCH":
      return new ErrRegisterMismatch(detail);
    case "WRONG_APPEND_OFFSET":
      return new ErrWrongAppendOffset(detail);
    case "INSUFFICIENT_JOURNAL_BROKERS":
      return new ErrInsufficientJournalBrokers(detail);
    case "JOURNAL_NOT_FOUND":
      return new ErrJournalNotFound(detail);
    default:
      return new StatusError(status, detail);
  }
}

/**
 * Reader.read: the next byte available is at a larger offset than requested (eg,
 * a span of the journal was deleted). The Reader stays usable: inspect its
 * response and read again to continue at `offset`.
 */
export class ErrOffsetJump extends Error {
  override readonly name = "ErrOffsetJump";
  constructor(
    readonly requestedOffset: number,
    readonly offset: number,
  ) {
    super(`offset jump (from ${requestedOffset} to ${offset})`);
  }
}

/** Reader.seek cannot satisfy the seek: start a new Reader instead. */
export class ErrSeekRequiresNewReader extends Error {
  override readonly name = "ErrSeekRequiresNewReader";
  constructor() {
    super("seek offset requires new Reader");
  }
}

/** FragmentReader: the fragment file did not end exactly at Fragment.End (it is too long). */
export class ErrDidNotReadExpectedEOF extends Error {
  override readonly name = "ErrDidNotReadExpectedEOF";
  constructor() {
    super("did not read EOF at expected Fragment.End");
  }
}

/** Go's io.ErrUnexpectedEOF: the fragment file ended before Fragment.End (it is too short). */
export class ErrUnexpectedEOF extends Error {
  override readonly name = "ErrUnexpectedEOF";
  constructor(detail?: string) {
    super(detail === undefined ? "unexpected EOF" : `unexpected EOF: ${detail}`);
  }
}

/** Seeking relative to the end (io.SeekEnd) is not supported. */
export class ErrSeekEndUnsupported extends Error {
  override readonly name = "ErrSeekEndUnsupported";
  constructor() {
    super("io.SeekEnd whence is not supported");
  }
}

/** A fragment could not be fetched from its URL ("!OK fetching"). */
export class ErrFragmentFetch extends Error {
  override readonly name = "ErrFragmentFetch";
  constructor(
    readonly url: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`!OK fetching (${detail}, ${JSON.stringify(url)})`, cause === undefined ? undefined : { cause });
  }
}

/** A fragment's compression codec is not one this client decodes. */
export class ErrUnsupportedCodec extends Error {
  override readonly name = "ErrUnsupportedCodec";
  constructor(readonly codec: string) {
    super(`unsupported compression codec (${codec})`);
  }
}

/** Compressed fragment content did not decompress (corrupt gzip). */
export class ErrCorruptFragment extends Error {
  override readonly name = "ErrCorruptFragment";
  constructor(detail: string, cause?: unknown) {
    super(`corrupt fragment content: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

/** A bounded retry loop gave up; `cause` is the last error. */
export class ErrRetriesExhausted extends Error {
  override readonly name = "ErrRetriesExhausted";
  constructor(
    readonly operation: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `${operation}: gave up after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** An append's dependency failed, which fails it and later appends of its journal ("dependency failed"). */
export class ErrDependencyFailed extends Error {
  override readonly name = "ErrDependencyFailed";
  constructor(override readonly cause: unknown) {
    super(`dependency failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The Appender was aborted: its content is rolled back. */
export class ErrAppendAborted extends Error {
  override readonly name = "ErrAppendAborted";
  constructor() {
    super("append aborted");
  }
}

/** A bounded queue is full (AppendService appends queued for one journal). */
export class ErrQueueFull extends Error {
  override readonly name = "ErrQueueFull";
  constructor(what: string, limit: number) {
    super(`${what}: queue full (limit ${limit})`);
  }
}

/** A buffered append's spilled content did not read back as written (disk corruption or a lost write). */
export class ErrAppendBufferCorrupt extends Error {
  override readonly name = "ErrAppendBufferCorrupt";
  constructor(detail: string) {
    super(`append buffer corrupt: ${detail}`);
  }
}
