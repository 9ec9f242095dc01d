/**
 * The broken variant of `anySignal` (src/impl/common/any-signal.ts): Node's own
 * `AbortSignal.any`, which keeps every composite with an 'abort' listener in a
 * process-wide set for the life of the process (Node 20), and with it whatever its
 * listeners hold.
 */
export function nodeAnySignal(signals: readonly AbortSignal[]): AbortSignal {
  return AbortSignal.any([...signals]);
}
