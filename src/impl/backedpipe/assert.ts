/**
 * Assertions for the backedpipe package. They stay on in every build: a broken
 * invariant is a programmer error and must stop the run where it happened, not
 * surface later as a wrong byte on the peer.
 */

/** Thrown when an invariant of the backedpipe package does not hold (a programmer error). */
export class BackedPipeAssertionError extends Error {
  override readonly name = "BackedPipeAssertionError";
}

/** Throws a BackedPipeAssertionError with `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BackedPipeAssertionError(`backedpipe: ${message}`);
}

/** Asserts that `value` is a non-negative safe integer (sequence numbers, lengths, generations). */
export function assertCount(value: number, name: string): void {
  assert(Number.isSafeInteger(value), `${name} must be a safe integer, got ${value}`);
  assert(value >= 0, `${name} must be >= 0, got ${value}`);
}
