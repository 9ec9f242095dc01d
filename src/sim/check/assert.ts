/**
 * Assertions for the checkers. They stay on in every build: a checker that
 * silently accepts a malformed history would report a verdict on data it never
 * understood, which is worse than stopping.
 */

/** Thrown when a checker's own invariant (or a caller's contract) is broken: a programmer error. */
export class CheckerAssertionError extends Error {
  override readonly name = "CheckerAssertionError";
}

/** Throws a `CheckerAssertionError` with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new CheckerAssertionError(typeof message === "string" ? message : message());
}
