/**
 * runIndexRefresh: Gazette's fragmentRefreshDaemon for one replica. At once, and
 * then every spec.fragment.refreshIntervalMs, it lists the journal's fragments in
 * every store of its spec (WalkAllStores: all of them, or the round fails) and
 * hands their union to the index (ReplaceRemote). A journal without stores is
 * "listed" as empty, so the index's first refresh resolves.
 *
 * Retention (Gazette does it in `gazctl journals prune`; here the primary's
 * daemon does it): while `isPrimary()`, after a listing, every listed fragment
 * persisted more than spec.fragment.retentionMs ago is removed from its store
 * (retentionMs <= 0 keeps fragments forever). The index drops them at the next
 * listing, and readers below the new first fragment then skip forward to it.
 *
 * Failures (a store unreachable, a refusal) are logged, counted and retried at
 * the next interval. The daemon ends when `signal` aborts.
 *
 * Buggify point "gazette.broker.fragment-listing-late" hands a listing to the
 * index up to a quarter of the refresh interval after it was taken.
 *
 * Seam for test fixtures: IndexRefreshOptions.expired decides which persisted
 * fragments retention removes (DEFAULT_EXPIRED: those older than the retention).
 */
import type { Env } from "../../../../sim/env.ts";
import { sleepOrAbort } from "../../client/backoff.ts";
import type { Fragment } from "../../protocol/fragment.ts";
import { ErrCancelled } from "../../protocol/journal-client.ts";
import {
  REFRESH_INTERVAL_MS_MIN,
  type FragmentStore,
  type Journal,
  type JournalSpec,
} from "../../protocol/journal-spec.ts";
import { CoverSet, type CoverSetEntry } from "./cover-set.ts";

/** Whether retention removes a persisted fragment (modTime in seconds), given the cutoff (host wall time in ms). */
export type ExpiredRule = (fragment: Fragment, cutoffMs: number) => boolean;

/** Retention removes a fragment persisted before the cutoff. */
export const DEFAULT_EXPIRED: ExpiredRule = (fragment, cutoffMs) => fragment.modTime * 1000 < cutoffMs;

/** Most fragments one refresh removes for retention (the rest wait for the next one). */
export const RETENTION_REMOVALS_PER_REFRESH_MAX = 1_000;

export interface IndexRefreshStats {
  /** Listings handed to the index. */
  refreshes: number;
  /** Rounds that failed (listing, or a missing spec). */
  failures: number;
  /** Fragments removed for retention. */
  removed: number;
  removeFailures: number;
}

export interface IndexRefreshOptions {
  signal: AbortSignal;
  /** Whether this broker is the journal's primary now (only it enforces retention). */
  isPrimary: () => boolean;
  /** Counters, updated as the daemon runs. */
  stats?: IndexRefreshStats;
  /** Which persisted fragments retention removes (a seam for test fixtures); default DEFAULT_EXPIRED. */
  expired?: ExpiredRule;
}

/** What the daemon needs of the index. */
export interface RefreshedIndex {
  readonly journal: Journal;
  replaceRemote(fragments: readonly Fragment[]): void;
}

/** What the daemon needs of the store client. */
export interface RefreshStoreClient {
  list(store: FragmentStore, journal: Journal, signal?: AbortSignal): Promise<Fragment[]>;
  remove(fragment: Fragment, signal?: AbortSignal): Promise<boolean>;
}

export function newIndexRefreshStats(): IndexRefreshStats {
  return { refreshes: 0, failures: 0, removed: 0, removeFailures: 0 };
}

/** Runs the refresh daemon until `options.signal` aborts (see the file comment). */
export async function runIndexRefresh(
  env: Env,
  index: RefreshedIndex,
  client: RefreshStoreClient,
  getSpec: () => JournalSpec | undefined,
  options: IndexRefreshOptions,
): Promise<void> {
  const stats = options.stats ?? newIndexRefreshStats();
  const signal = options.signal;
  while (!signal.aborted) {
    const spec = getSpec();
    if (spec === undefined) {
      stats.failures += 1;
      env.log.error("failed to refresh remote fragments (JournalSpec not found)", { journal: index.journal });
      env.probe("gazette.broker.index-refresh-no-spec");
    } else {
      try {
        await refreshOnce(env, index, client, spec, options, stats);
      } catch (error) {
        if (error instanceof ErrCancelled || signal.aborted) return;
        stats.failures += 1;
        env.log.warn("failed to refresh remote fragments (will retry)", {
          journal: index.journal,
          error: String(error),
          intervalMs: spec.fragment.refreshIntervalMs,
        });
        env.probe("gazette.broker.index-refresh-failed");
      }
    }
    const intervalMs =
      spec !== undefined && spec.fragment.refreshIntervalMs > 0
        ? spec.fragment.refreshIntervalMs
        : REFRESH_INTERVAL_MS_MIN;
    try {
      await sleepOrAbort(env.clock, intervalMs, signal);
    } catch {
      return;
    }
  }
}

async function refreshOnce(
  env: Env,
  index: RefreshedIndex,
  client: RefreshStoreClient,
  spec: JournalSpec,
  options: IndexRefreshOptions,
  stats: IndexRefreshStats,
): Promise<void> {
  const listed: Fragment[] = [];
  for (const store of spec.fragment.stores) listed.push(...(await client.list(store, spec.name, options.signal)));
  // Buggify: the listing reaches the index late (a slow store answer); the index may have moved on meanwhile.
  if (env.buggify("gazette.broker.fragment-listing-late"))
    await sleepOrAbort(env.clock, env.random.int(1, lateListingMsMax(spec)), options.signal);
  const union = CoverSet.of<CoverSetEntry>(listed.map((fragment) => ({ fragment })));
  index.replaceRemote(union.toArray().map((entry) => entry.fragment));
  stats.refreshes += 1;
  if (spec.fragment.retentionMs > 0 && options.isPrimary())
    await enforceRetention(env, client, listed, spec.fragment.retentionMs, options, stats);
}

/**
 * Longest extra wait of a listing at the buggify point: a quarter of the refresh interval (within the index's
 * first-fragment age).
 */
function lateListingMsMax(spec: JournalSpec): number {
  return Math.max(1, Math.floor(spec.fragment.refreshIntervalMs / 4));
}

async function enforceRetention(
  env: Env,
  client: RefreshStoreClient,
  listed: readonly Fragment[],
  retentionMs: number,
  options: IndexRefreshOptions,
  stats: IndexRefreshStats,
): Promise<void> {
  const cutoffMs = env.clock.now() - retentionMs;
  const isExpired = options.expired ?? DEFAULT_EXPIRED;
  const expired = listed.filter((fragment) => fragment.modTime !== 0 && isExpired(fragment, cutoffMs));
  for (const fragment of expired.slice(0, RETENTION_REMOVALS_PER_REFRESH_MAX)) {
    try {
      await client.remove(fragment, options.signal);
      stats.removed += 1;
      env.trace("gazette.broker.fragment-expired", {
        journal: fragment.journal,
        begin: fragment.begin,
        end: fragment.end,
        modTime: fragment.modTime,
      });
      env.probe("gazette.broker.retention-removed");
    } catch (error) {
      if (error instanceof ErrCancelled || options.signal.aborted) throw error;
      stats.removeFailures += 1;
      env.log.warn("failed to remove an expired fragment (will retry)", {
        journal: fragment.journal,
        begin: fragment.begin,
        error: String(error),
      });
    }
  }
}
