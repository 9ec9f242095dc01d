/**
 * Lets every pending promise continuation run, without timers: the fakes in these
 * tests settle through promises only, so a fixed number of microtask turns is
 * enough for the system to reach quiescence between two test actions.
 */

/** Microtask turns per drain: far more than the longest chain of awaits in backedpipe. */
export const drainRounds = 400;

/** Yields `rounds` microtask turns. */
export async function drainMicrotasks(rounds = drainRounds): Promise<void> {
  for (let round = 0; round < rounds; round++) await Promise.resolve();
}

/** The state of a promise after a drain, for assertions ("still blocked", "resolved", "rejected"). */
export type Observed<T> =
  | { readonly state: "pending" }
  | { readonly state: "resolved"; readonly value: T }
  | { readonly state: "rejected"; readonly error: unknown };

/** Tracks a promise's outcome synchronously (and keeps its rejection handled). */
export function observe<T>(promise: Promise<T>): { readonly current: Observed<T> } {
  const holder: { current: Observed<T> } = { current: { state: "pending" } };
  promise.then(
    (value) => {
      holder.current = { state: "resolved", value };
    },
    (error: unknown) => {
      holder.current = { state: "rejected", error };
    },
  );
  return holder;
}

/** Bytes that name their own position in a stream (position modulo 251), so gaps and duplicates show. */
export function streamBytes(fromPosition: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (fromPosition + index) % 251;
  return bytes;
}
