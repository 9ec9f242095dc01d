/**
 * The one assertion module of the project: the simulator, the checkers, the
 * systems under test (src/impl may import it, as it imports the Env), the
 * scenarios and the tests' support all assert through it.
 *
 * Assertions stay on in every build. A failed one is a programmer error (in the
 * simulator, a checker, or the system under test) and stops the code where the
 * invariant broke, with an AssertionError whose message says what broke; in a
 * simulated process the runner reports it as the process's uncaught error, and
 * a run never goes on with state that an assertion found wrong.
 *
 * Where data is written and later read back (the disk model's files, RPC frames,
 * WAL frames, spools), the writer asserts what it promises (sizes, bookkeeping)
 * and the reader asserts the same facts of what it got, so that a broken writer
 * and a broken reader are each caught on their own side.
 */

/** Thrown when an assertion fails: a programmer error, never an expected outcome. */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

/** Throws an AssertionError with `message` (or what it returns, built only on failure) unless `condition` holds. */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === "string" ? message : message());
}

/** Asserts `actual === expected` (Object.is), naming both in the message. */
export function assertEqual<T>(actual: T, expected: T, message: string | (() => string)): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      `${typeof message === "string" ? message : message()} (expected ${String(expected)}, got ${String(actual)})`,
    );
  }
}

/** Asserts that `value` is a non-negative safe integer (sequence numbers, lengths, counts, generations). */
export function assertCount(value: number, name: string): void {
  assert(Number.isSafeInteger(value), () => `${name} must be a safe integer, got ${value}`);
  assert(value >= 0, () => `${name} must be >= 0, got ${value}`);
}

/** Marks a switch arm that must be unreachable. */
export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
