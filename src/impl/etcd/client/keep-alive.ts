/**
 * keepAlive: renews a lease every TTL/3 (clientv3's keepAlive loop) until the
 * caller cancels it, and reports how it ended:
 * - "cancelled": the caller's `cancel()` or signal;
 * - "expired": a renewal answered TTL 0 (the lease was revoked or expired);
 * - "lost": no renewal succeeded before the lease's TTL ran out since the last one
 *   (clientv3 closes its channel then too); the lease may be gone.
 * A failed renewal is retried after `retryMs` (with jitter); every wait, and each
 * renewal with its retries (the client's operation timeout cut to what is left
 * of the lease), is bounded by the TTL, so the loop ends within one TTL of its
 * last successful renewal's sending, and sends no renewal after that. (clientv3
 * closes its channel at most a second after the TTL ran out.)
 * Buggify point "etcd.keepalive-short-timeout" gives one renewal an operation
 * timeout of at most KEEPALIVE_SHORT_TIMEOUT_MS_MAX.
 */
import { EtcdError } from "../errors.ts";
import type { EtcdClient } from "./client.ts";

/** Longest operation timeout of a renewal at the buggify point, in ms. */
export const KEEPALIVE_SHORT_TIMEOUT_MS_MAX = 30;

export type KeepAliveEnd =
  | { readonly reason: "cancelled" }
  | { readonly reason: "expired" }
  | { readonly reason: "lost"; readonly error: EtcdError | undefined };

export interface KeepAliveOptions {
  readonly signal?: AbortSignal;
  /** Wait after a failed renewal, in ms. Default 100. */
  readonly retryMs?: number;
  /**
   * Called after each successful renewal with the TTL granted and the client's
   * monotonic time at which the renewal was sent (the lease lives at least TTL from then).
   */
  readonly onRenewed?: (ttlSeconds: number, sentAtMs: number) => void;
}

export interface KeepAlive {
  readonly id: number;
  /** Stops renewing (the lease then expires after its TTL unless revoked). */
  cancel(): void;
  /** Resolves once the loop ended, with why. */
  readonly done: Promise<KeepAliveEnd>;
}

export function keepAlive(client: EtcdClient, id: number, options: KeepAliveOptions): KeepAlive {
  const controller = new AbortController();
  options.signal?.addEventListener("abort", () => controller.abort());
  const done = loop(client, id, options, controller.signal);
  return { id, cancel: () => controller.abort(), done };
}

async function loop(
  client: EtcdClient,
  id: number,
  options: KeepAliveOptions,
  signal: AbortSignal,
): Promise<KeepAliveEnd> {
  const clock = client.env.clock;
  const retryMs = options.retryMs ?? 100;
  // Until the first renewal the TTL is unknown: the first attempts get a minute at most.
  let deadline = clock.monotonic() + 60_000;
  let lastError: EtcdError | undefined;
  while (!signal.aborted) {
    let wait: number;
    const sentAt = clock.monotonic();
    try {
      // No attempt of the renewal starts after the lease's deadline, and the loop does not wait past it.
      const leftMs = Math.max(0, deadline - sentAt);
      // Buggify: this renewal gets a short timeout (it may fail, and is then retried within the lease).
      const short = client.env.buggify("etcd.keepalive-short-timeout");
      const operationTimeoutMs = short
        ? Math.min(leftMs, client.env.random.int(1, KEEPALIVE_SHORT_TIMEOUT_MS_MAX))
        : leftMs;
      const response = await beforeDeadline(client, client.keepAliveOnce(id, { operationTimeoutMs }), leftMs);
      if (response === undefined) return { reason: "lost", error: lastError };
      if (signal.aborted) break;
      if (response.ttl <= 0) return { reason: "expired" };
      deadline = sentAt + response.ttl * 1000;
      options.onRenewed?.(response.ttl, sentAt);
      wait = (response.ttl * 1000) / 3;
    } catch (error) {
      if (!(error instanceof EtcdError)) throw error;
      lastError = error;
      if (clock.monotonic() >= deadline) return { reason: "lost", error: lastError };
      wait = retryMs / 2 + client.env.random.float(0, retryMs / 2);
    }
    await sleep(client, Math.max(0, Math.min(wait, deadline - clock.monotonic())), signal);
  }
  return { reason: "cancelled" };
}

/** `renewal`'s response, or undefined once `durationMs` passed first (its outcome is then dropped). */
function beforeDeadline<T>(client: EtcdClient, renewal: Promise<T>, durationMs: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = client.env.clock.setTimer(Math.max(0, durationMs), () => resolve(undefined));
    renewal.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

function sleep(client: EtcdClient, durationMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      timer.cancel();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = client.env.clock.setTimer(durationMs, done);
    signal.addEventListener("abort", done);
  });
}
