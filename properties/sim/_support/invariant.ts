/**
 * Assertions inside properties: a failed invariant throws with a message that says
 * what broke and where (virtual time, host), so fast-check's report is readable.
 */

export class InvariantError extends Error {
  override readonly name = "InvariantError";
}

/** Throws an InvariantError with `message()` unless `condition` holds. */
export function invariant(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new InvariantError(message());
}
