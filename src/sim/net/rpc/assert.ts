/**
 * Assertions of the RPC layer. They stay on: a broken invariant inside the layer
 * is a programmer error and stops the run loudly, never a silent mix-up of calls.
 */

/** Thrown when an invariant of the RPC layer does not hold: a programmer error. */
export class RpcAssertionError extends Error {
  override readonly name = "RpcAssertionError";
}

/** Throws an `RpcAssertionError` with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new RpcAssertionError(typeof message === "string" ? message : message());
}
