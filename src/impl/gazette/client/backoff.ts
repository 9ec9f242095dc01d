/**
 * Gazette's client backoff (retry_reader.go `backoff`): the cluster usually needs
 * a few Etcd watch rounds (~30 ms each) to agree on ownership, so the first
 * retries are quick. Attempts 0–1 wait 50 ms, 2–3 100 ms, 4–5 1 s, then 5 s.
 * Sleeps are on env.clock (virtual time) and end early, with ErrCancelled, when
 * the signal aborts.
 */
import type { Clock } from "../../../sim/env.ts";
import { ErrCancelled } from "../protocol/journal-client.ts";

export function backoff(attempt: number): number {
  if (attempt <= 1) return 50;
  if (attempt <= 3) return 100;
  if (attempt <= 5) return 1_000;
  return 5_000;
}

/** Sleeps `durationMs` of host-local time; rejects with ErrCancelled if `signal` aborts first. */
export function sleepOrAbort(clock: Clock, durationMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(new ErrCancelled(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(new ErrCancelled(signal?.reason));
    };
    const timer = clock.setTimer(durationMs, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** True if `error` is a cancellation (ours, or the signal's abort). */
export function isCancellation(error: unknown): boolean {
  return error instanceof ErrCancelled;
}
