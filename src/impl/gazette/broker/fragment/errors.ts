/**
 * Typed errors of the fragment store and its client.
 *
 * ErrChecksumMismatch: content does not match its fragment (length or SHA-1);
 * retrying with the same bytes cannot help, re-reading them may.
 * ErrFragmentStoreUnavailable: the store could not be reached or did not answer
 * in time (the call may or may not have taken effect); it marks the store
 * unhealthy. ErrFragmentStoreRefused: the store answered with a refusal
 * (malformed request, missing file, its own disk failed).
 */
import type { FragmentStoreRefusal } from "./store-protocol.ts";

/** Content did not match its fragment ("checksum mismatch"). */
export class ErrChecksumMismatch extends Error {
  override readonly name = "ErrChecksumMismatch";
  constructor(detail: string) {
    super(`checksum mismatch: ${detail}`);
  }
}

/** A transport failure talking to a fragment store (it is marked unhealthy). */
export class ErrFragmentStoreUnavailable extends Error {
  override readonly name = "ErrFragmentStoreUnavailable";
  constructor(
    readonly endpoint: string,
    readonly operation: string,
    cause: unknown,
  ) {
    super(`fragment store ${endpoint} ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** The fragment store refused a request. */
export class ErrFragmentStoreRefused extends Error {
  override readonly name = "ErrFragmentStoreRefused";
  constructor(
    readonly kind: FragmentStoreRefusal,
    readonly operation: string,
    detail: string,
  ) {
    super(`fragment store refused ${operation} (${kind}): ${detail}`);
  }
}

/** A bounded queue refused an item. */
export class ErrPersistQueueFull extends Error {
  override readonly name = "ErrPersistQueueFull";
  constructor(limit: number) {
    super(`persister queue full (limit ${limit})`);
  }
}

/** Too many queries wait on one fragment index at once. */
export class ErrIndexWaitersExhausted extends Error {
  override readonly name = "ErrIndexWaitersExhausted";
  constructor(limit: number) {
    super(`fragment index: more than ${limit} blocked queries`);
  }
}

/** The fragment index was closed (its replica went away) while a query waited. */
export class ErrIndexClosed extends Error {
  override readonly name = "ErrIndexClosed";
  constructor() {
    super("fragment index closed");
  }
}
