/**
 * Journals and JournalSpecs (journal_spec_extensions.go).
 *
 * A Journal is named with path-like tokens ("company-journals/topic/part-1234"):
 * 4 to 512 bytes of letters, numbers and `-_+/.=`, a clean path not beginning
 * with '/'. A JournalSpec configures replication, labels, fragments (target
 * length, compression codec, stores, refresh interval, retention, flush
 * interval, path postfix template), IO flags and the maximum append rate.
 * Durations are milliseconds. The path postfix template is a Go template in
 * Gazette; here it is carried as text and only its length is checked.
 */
import { valuesOf, validateLabelSet, type LabelSet } from "./labels.ts";
import { cleanPath, ValidationError, validateInteger, validatePathComponent, withContext } from "./validation.ts";

/** A journal's name. */
export type Journal = string;

export const JOURNAL_NAME_LENGTH_MIN = 4;
export const JOURNAL_NAME_LENGTH_MAX = 512;
export const JOURNAL_REPLICATION_MAX = 5;
export const REFRESH_INTERVAL_MS_MIN = 1_000;
export const REFRESH_INTERVAL_MS_MAX = 24 * 60 * 60 * 1_000;
export const FLUSH_INTERVAL_MS_MIN = 60_000;
export const FRAGMENT_LENGTH_MIN = 1 << 10;
export const FRAGMENT_LENGTH_MAX = 2 ** 34;
export const PATH_POSTFIX_TEMPLATE_LENGTH_MAX = 4096;

/** Journal.Validate. */
export function validateJournal(name: Journal): void {
  if (typeof name !== "string") throw new ValidationError("expected a string");
  validatePathComponent(name, JOURNAL_NAME_LENGTH_MIN, JOURNAL_NAME_LENGTH_MAX);
}

/** Codecs known to Gazette. This client reads NONE, GZIP and GZIP_OFFLOAD_DECOMPRESSION fragments. */
export const COMPRESSION_CODECS = [
  "INVALID",
  "NONE",
  "GZIP",
  "ZSTANDARD",
  "SNAPPY",
  "GZIP_OFFLOAD_DECOMPRESSION",
] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];

/** CompressionCodec.Validate: a known codec other than INVALID. */
export function validateCompressionCodec(codec: string): asserts codec is CompressionCodec {
  if (!(COMPRESSION_CODECS as readonly string[]).includes(codec) || codec === "INVALID")
    throw new ValidationError(`invalid value (${codec})`);
}

/** CompressionCodec.ToExtension. */
export function codecExtension(codec: CompressionCodec): string {
  switch (codec) {
    case "NONE":
      return ".raw";
    case "GZIP":
      return ".gz";
    case "ZSTANDARD":
      return ".zst";
    case "SNAPPY":
      return ".sz";
    case "GZIP_OFFLOAD_DECOMPRESSION":
      return ".gzod";
    case "INVALID":
      throw new ValidationError("invalid CompressionCodec");
  }
}

/** A fragment store: an absolute URL ending in '/' ("file:///fragments/", "s3://bucket/prefix/"). */
export type FragmentStore = string;

const FRAGMENT_STORE = /^([a-z][a-z0-9+.-]*):\/\/([^\s?#]*)\/$/;

/** FragmentStore.Validate. */
export function validateFragmentStore(store: FragmentStore): void {
  const match = FRAGMENT_STORE.exec(store);
  if (match === null) throw new ValidationError(`not a valid store URL with a trailing '/' (${store})`);
  const path = match[2] as string;
  const slash = path.indexOf("/");
  // The trailing '/' is outside `path` (the pattern consumes it): "/a/b" of "s3://bucket/a/b/".
  const directory = slash === -1 ? "/" : path.slice(slash);
  if (directory !== "/" && cleanPath(directory) !== directory)
    throw new ValidationError(`path component is not clean (${store})`);
}

export interface JournalSpecFragment {
  /** Target content length of each Fragment, in bytes. */
  length: number;
  compressionCodec: CompressionCodec;
  /** Stores in which fragments persist; the first receives new ones. May be empty. */
  stores: FragmentStore[];
  refreshIntervalMs: number;
  /** Retention of persisted fragments; <= 0 keeps them forever. */
  retentionMs: number;
  /** 0, or the UTC-aligned interval at which the current fragment is flushed. */
  flushIntervalMs: number;
  pathPostfixTemplate?: string;
}

/** Journal IO flags, named after POSIX (Gazette's JournalSpec_Flag). NOT_SPECIFIED means O_RDWR. */
export const JOURNAL_FLAGS = { NOT_SPECIFIED: 0, O_RDONLY: 1, O_WRONLY: 2, O_RDWR: 4 } as const;
export type JournalFlag = (typeof JOURNAL_FLAGS)[keyof typeof JOURNAL_FLAGS];

export interface JournalSpec {
  name: Journal;
  replication: number;
  labels: LabelSet;
  fragment: JournalSpecFragment;
  flags: number;
  /** Bytes per second; 0 (default) means unlimited. */
  maxAppendRate?: number;
}

/** JournalSpec_Flag.Validate. */
export function validateJournalFlags(flags: number): void {
  if (!(Object.values(JOURNAL_FLAGS) as number[]).includes(flags))
    throw new ValidationError(`invalid combination (${flags})`);
}

/** MayRead: NOT_SPECIFIED, O_RDONLY and O_RDWR allow reads. */
export function journalMayRead(flags: number): boolean {
  return flags === JOURNAL_FLAGS.NOT_SPECIFIED || flags === JOURNAL_FLAGS.O_RDONLY || flags === JOURNAL_FLAGS.O_RDWR;
}

/** MayWrite: NOT_SPECIFIED, O_WRONLY and O_RDWR allow writes. */
export function journalMayWrite(flags: number): boolean {
  return flags === JOURNAL_FLAGS.NOT_SPECIFIED || flags === JOURNAL_FLAGS.O_WRONLY || flags === JOURNAL_FLAGS.O_RDWR;
}

/** JournalSpec_Fragment.Validate. */
export function validateJournalSpecFragment(fragment: JournalSpecFragment): void {
  if (
    !Number.isSafeInteger(fragment.length) ||
    fragment.length < FRAGMENT_LENGTH_MIN ||
    fragment.length > FRAGMENT_LENGTH_MAX
  ) {
    throw new ValidationError(
      `invalid Length (${fragment.length}; expected ${FRAGMENT_LENGTH_MIN} <= length <= ${FRAGMENT_LENGTH_MAX})`,
    );
  }
  withContext("CompressionCodec", () => validateCompressionCodec(fragment.compressionCodec));
  fragment.stores.forEach((store, index) => {
    withContext(`Stores[${index}]`, () => validateFragmentStore(store));
    if (index === 0 && store.startsWith("file:") && fragment.compressionCodec === "GZIP_OFFLOAD_DECOMPRESSION") {
      throw new ValidationError(`GZIP_OFFLOAD_DECOMPRESSION is incompatible with file:// stores (${store})`);
    }
  });
  if (fragment.refreshIntervalMs < REFRESH_INTERVAL_MS_MIN || fragment.refreshIntervalMs > REFRESH_INTERVAL_MS_MAX) {
    throw new ValidationError(
      `invalid RefreshInterval (${fragment.refreshIntervalMs} ms; expected ${REFRESH_INTERVAL_MS_MIN} <= interval <= ${REFRESH_INTERVAL_MS_MAX})`,
    );
  }
  if (fragment.flushIntervalMs !== 0 && fragment.flushIntervalMs < FLUSH_INTERVAL_MS_MIN) {
    throw new ValidationError(
      `invalid FlushInterval (${fragment.flushIntervalMs} ms; expected >= ${FLUSH_INTERVAL_MS_MIN})`,
    );
  }
  if ((fragment.pathPostfixTemplate ?? "").length > PATH_POSTFIX_TEMPLATE_LENGTH_MAX) {
    throw new ValidationError(`PathPostfixTemplate longer than ${PATH_POSTFIX_TEMPLATE_LENGTH_MAX}`);
  }
  // Retention requires no explicit validation (all values permitted).
}

/** JournalSpec.Validate. */
export function validateJournalSpec(spec: JournalSpec): void {
  withContext("Name", () => validateJournal(spec.name));
  if (!Number.isSafeInteger(spec.replication) || spec.replication < 1 || spec.replication > JOURNAL_REPLICATION_MAX) {
    throw new ValidationError(
      `invalid Replication (${spec.replication}; expected 1 <= Replication <= ${JOURNAL_REPLICATION_MAX})`,
    );
  }
  withContext("Labels", () => validateLabelSet(spec.labels));
  if (valuesOf(spec.labels, "name").length !== 0) throw new ValidationError(`Labels cannot include label "name"`);
  if (valuesOf(spec.labels, "prefix").length !== 0) throw new ValidationError(`Labels cannot include label "prefix"`);
  withContext("Fragment", () => validateJournalSpecFragment(spec.fragment));
  withContext("Flags", () => validateJournalFlags(spec.flags));
  if (spec.maxAppendRate !== undefined) validateInteger("MaxAppendRate", spec.maxAppendRate, 0);
}

/** ExtractJournalSpecMetaLabels: "name" = the journal, and "prefix" = each path prefix ending in '/'. */
export function journalMetaLabels(name: Journal): LabelSet {
  const labels = [{ name: "name", value: name }];
  for (let index = name.indexOf("/"); index !== -1; index = name.indexOf("/", index + 1))
    labels.push({ name: "prefix", value: name.slice(0, index + 1) });
  return { labels };
}
