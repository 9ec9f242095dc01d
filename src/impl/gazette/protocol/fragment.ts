/**
 * Fragments (fragment_extensions.go): a content-addressed span [begin, end) of a
 * journal, named by the SHA-1 sum of its content. An empty fragment has the
 * zero sum (40 zeros), as in Gazette. A fragment persisted to a store lives at
 * `<store><journal>/<pathPostfix>/<begin:016x>-<end:016x>-<sum><extension>`.
 */
import {
  codecExtension,
  JOURNAL_NAME_LENGTH_MAX,
  validateCompressionCodec,
  validateJournal,
  type CompressionCodec,
  type FragmentStore,
  type Journal,
} from "./journal-spec.ts";
import type { Hashes } from "../../../sim/env.ts";
import { cleanPath, ValidationError, validateInteger, validatePathComponent, withContext } from "./validation.ts";

export interface Fragment {
  journal: Journal;
  /** First offset (inclusive). */
  begin: number;
  /** Last offset (exclusive). */
  end: number;
  /** SHA-1 of the content: 40 lowercase hex digits (all zeros when empty). */
  sum: string;
  compressionCodec: CompressionCodec;
  /** The store backing the fragment; "" while it is local to a broker. */
  backingStore: FragmentStore;
  /** Modification time in the backing store, seconds since the epoch. */
  modTime: number;
  pathPostfix: string;
}

export const ZERO_SHA1_SUM = "0".repeat(40);
const SHA1_SUM = /^[0-9a-f]{40}$/;

/** The content sum of a fragment holding `content` (the zero sum when empty). */
export function fragmentSum(hash: Hashes, content: Uint8Array): string {
  return content.length === 0 ? ZERO_SHA1_SUM : hash.sha1().update(content).digestHex();
}

/** Fragment.Validate. */
export function validateFragment(fragment: Fragment): void {
  withContext("Journal", () => validateJournal(fragment.journal));
  validateInteger("Begin", fragment.begin, 0);
  validateInteger("End", fragment.end, 0);
  if (fragment.begin > fragment.end)
    throw new ValidationError(`expected Begin <= End (have ${fragment.begin}, ${fragment.end})`);
  if (!SHA1_SUM.test(fragment.sum))
    throw new ValidationError(`invalid Sum (${fragment.sum}; expected 40 lowercase hex digits)`);
  withContext("CompressionCodec", () => validateCompressionCodec(fragment.compressionCodec));
  validateInteger("ModTime", fragment.modTime, 0);
  withContext("PathPostfix", () => validatePathComponent(fragment.pathPostfix, 0, JOURNAL_NAME_LENGTH_MAX));
}

/** Fragment.ContentLength: uncompressed bytes. */
export function fragmentContentLength(fragment: Fragment): number {
  return fragment.end - fragment.begin;
}

/** Fragment.ContentName. */
export function fragmentContentName(fragment: Fragment): string {
  const hex16 = (value: number) => value.toString(16).padStart(16, "0");
  return `${hex16(fragment.begin)}-${hex16(fragment.end)}-${fragment.sum}${codecExtension(fragment.compressionCodec)}`;
}

/** Fragment.ContentPath: journal, path postfix, content name. */
export function fragmentContentPath(fragment: Fragment): string {
  return cleanPath(
    [fragment.journal, fragment.pathPostfix, fragmentContentName(fragment)].filter((part) => part !== "").join("/"),
  );
}

/** The URL of a persisted fragment in its backing store. */
export function fragmentStoreUrl(fragment: Fragment): string {
  if (fragment.backingStore === "") throw new ValidationError("fragment has no backing store");
  return `${fragment.backingStore}${fragmentContentPath(fragment)}`;
}

export function fragmentsEqual(a: Fragment, b: Fragment): boolean {
  return (
    a.journal === b.journal &&
    a.begin === b.begin &&
    a.end === b.end &&
    a.sum === b.sum &&
    a.compressionCodec === b.compressionCodec &&
    a.backingStore === b.backingStore &&
    a.modTime === b.modTime &&
    a.pathPostfix === b.pathPostfix
  );
}
