/**
 * `anySignal(signals)`: a signal that aborts, with the reason of the first source to
 * abort, as soon as any of `signals` does (already aborted if one is). It does what
 * `AbortSignal.any` does, without that function's process-wide retention.
 *
 * Why not `AbortSignal.any`: Node 20 keeps every composite signal that has an
 * 'abort' listener in a process-wide set (`gcPersistentSignals`) until that listener
 * is removed, whether the signal aborted or not. Code under simulation never removes
 * its listeners when its run ends (a run just stops), so each composite with a
 * listener kept its whole world alive: a `gazette-churn` run left about 20 MB behind,
 * and `dst variants` over the catalogue ran out of memory.
 *
 * Here each source holds the composite only through one listener, and every source's
 * listener is removed once the composite aborts: the composite lives as long as its
 * sources (a run's own signals), never longer.
 *
 * Order: when a source aborts, the composite aborts inside that source's dispatch,
 * at the place of its listener (added when the composite was made); Node dispatches
 * a source's composites after all of the source's listeners.
 */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const aborted = signals.find((signal) => signal.aborted);
  if (aborted !== undefined) {
    controller.abort(aborted.reason);
    return controller.signal;
  }
  const onAbort = (event: Event): void => {
    for (const signal of signals) signal.removeEventListener("abort", onAbort);
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const signal of signals) signal.addEventListener("abort", onAbort);
  return controller.signal;
}
