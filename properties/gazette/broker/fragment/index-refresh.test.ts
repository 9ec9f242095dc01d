/**
 * Invariant: the refresh daemon keeps the index equal to the stores' listing
 * plus the local spools not yet persisted; on the primary it removes exactly the
 * fragments persisted longer ago than the spec's retention (none when retention
 * is <= 0, none on a non-primary), after which the index drops them and a read
 * of their offsets skips forward to the first remaining fragment. A store
 * outage only delays refreshes.
 *
 * Method: simulator runs on virtual time (hours), with the store persisting
 * fragments at different times, the daemon running, and a store partition.
 * Broken variant: retention that ignores the fragments' age.
 */
import { describe, expect, it } from "vitest";
import { FragmentIndex } from "../../../../src/impl/gazette/broker/fragment/index.ts";
import {
  newIndexRefreshStats,
  runIndexRefresh,
  type IndexRefreshStats,
} from "../../../../src/impl/gazette/broker/fragment/index-refresh.ts";
import {
  EVERY_FRAGMENT_EXPIRED,
  type IndexRefreshBrokenVariant,
} from "../../../../scenarios/gazette/variants/broker.ts";
import { Persister } from "../../../../src/impl/gazette/broker/fragment/persister.ts";
import { FragmentStoreClient } from "../../../../src/impl/gazette/broker/fragment/store-client.ts";
import type { Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import type { JournalSpec } from "../../../../src/impl/gazette/protocol/journal-spec.ts";
import { contentOf, fragmentOf, JOURNAL, memoryContent, runFragmentWorld, STORE } from "./fragment-world.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

function specOf(retentionMs: number, stores: string[] = [STORE]): JournalSpec {
  return {
    name: JOURNAL,
    replication: 1,
    labels: { labels: [] },
    fragment: {
      length: 1 << 20,
      compressionCodec: "NONE",
      stores,
      refreshIntervalMs: MINUTE_MS,
      retentionMs,
      flushIntervalMs: 0,
    },
    flags: 0,
  };
}

interface RetentionOutcome {
  before: Array<[number, number]>;
  after: Array<[number, number]>;
  listedAfter: Array<[number, number]>;
  jump: { status: string; offset?: number; jumped?: boolean };
  stats: IndexRefreshStats;
}

const spans = (fragments: ReadonlyArray<{ fragment: Fragment } | Fragment>) =>
  fragments.map((item): [number, number] =>
    "fragment" in item ? [item.fragment.begin, item.fragment.end] : [item.begin, item.end],
  );

/** Persists [0, 100) at once and [100, 200) three hours later; runs the daemon with a 2 h retention. */
async function retention(options: { retentionMs: number; primary: boolean; variant?: IndexRefreshBrokenVariant }) {
  return runFragmentWorld<RetentionOutcome>({
    seed: 11,
    untilMs: 24 * HOUR_MS,
    body: async ({ env }) => {
      const client = new FragmentStoreClient(env);
      const old = contentOf(100, 1);
      const recent = contentOf(100, 2);
      await client.persist(STORE, fragmentOf(old, 0), old);
      await env.clock.sleep(3 * HOUR_MS);
      await client.persist(STORE, fragmentOf(recent, 100), recent);
      const index = new FragmentIndex(env, JOURNAL);
      const controller = new AbortController();
      const stats = newIndexRefreshStats();
      const daemon = runIndexRefresh(env, index, client, () => specOf(options.retentionMs), {
        signal: controller.signal,
        isPrimary: () => options.primary,
        stats,
        ...(options.variant === undefined ? {} : { expired: EVERY_FRAGMENT_EXPIRED }),
      });
      await index.firstRefresh();
      const before = spans(index.fragments());
      await env.clock.sleep(MINUTE_MS + 1_000); // The next listing no longer has what retention removed.
      const after = spans(index.fragments());
      const answer = await index.query(0, { block: false });
      controller.abort();
      await daemon;
      return {
        before,
        after,
        listedAfter: spans(await client.list(STORE, JOURNAL)),
        jump:
          answer.status === "OK"
            ? { status: answer.status, offset: answer.offset, jumped: answer.jumped }
            : { status: answer.status },
        stats,
      };
    },
  });
}

describe("gazette broker: index refresh and retention", () => {
  it("the primary removes fragments older than the retention; the index drops them and a read at 0 jumps forward", async () => {
    const run = await retention({ retentionMs: 2 * HOUR_MS, primary: true });
    expect(run.problems).toEqual([]);
    const result = run.result as RetentionOutcome;
    expect(result.before).toEqual([
      [0, 100],
      [100, 200],
    ]);
    expect(result.after).toEqual([[100, 200]]);
    expect(result.listedAfter).toEqual([[100, 200]]);
    expect(result.jump).toEqual({ status: "OK", offset: 100, jumped: true });
    expect(result.stats.removed).toBe(1);
    expect(result.stats.refreshes).toBe(2);
    expect(run.world.probes.get("gazette.broker.offset-jump-before-first")).toBe(1);
  });

  it("fails on retention that ignores the fragments' age (retention-ignores-age)", async () => {
    const run = await retention({ retentionMs: 2 * HOUR_MS, primary: true, variant: "retention-ignores-age" });
    const result = run.result as RetentionOutcome;
    expect(result.listedAfter).not.toEqual([[100, 200]]);
  });

  it("keeps everything on a non-primary, and with retention <= 0", async () => {
    for (const options of [
      { retentionMs: 2 * HOUR_MS, primary: false },
      { retentionMs: 0, primary: true },
      { retentionMs: -1, primary: true },
    ]) {
      const run = await retention(options);
      expect(run.problems).toEqual([]);
      const result = run.result as RetentionOutcome;
      expect(result.after).toEqual([
        [0, 100],
        [100, 200],
      ]);
      expect(result.listedAfter).toEqual([
        [0, 100],
        [100, 200],
      ]);
      expect(result.stats.removed).toBe(0);
    }
  });

  it("rides out a store outage (counted failures, then refreshes), and a persisted spool replaces its local copy", async () => {
    const run = await runFragmentWorld({
      seed: 12,
      untilMs: 24 * HOUR_MS,
      body: async ({ env, world }) => {
        const client = new FragmentStoreClient(env, { callDeadlineMs: 2_000 });
        const index = new FragmentIndex(env, JOURNAL);
        const persister = new Persister(env, client);
        const controller = new AbortController();
        const stats = newIndexRefreshStats();
        world.network.partition([["store"], ["broker"]]);
        const daemon = runIndexRefresh(env, index, client, () => specOf(0), {
          signal: controller.signal,
          isPrimary: () => true,
          stats,
        });
        let firstRefreshed = false;
        void index.firstRefresh().then(() => (firstRefreshed = true));
        const content = contentOf(300, 5);
        const fragment = fragmentOf(content, 0);
        index.spoolCommit(fragment, memoryContent(content, 0));
        persister.spoolComplete(fragment, memoryContent(content, 0), [STORE]);
        await env.clock.sleep(5 * MINUTE_MS);
        const during = {
          firstRefreshed,
          failures: stats.failures,
          dirty: index.offsetRange().dirty,
          local: index.fragments()[0]?.local !== undefined,
        };
        world.network.heal();
        await persister.idle();
        await env.clock.sleep(2 * MINUTE_MS);
        const after = {
          firstRefreshed,
          dirty: index.offsetRange().dirty,
          backingStore: index.fragments()[0]?.fragment.backingStore,
          local: index.fragments()[0]?.local !== undefined,
        };
        controller.abort();
        await daemon;
        return { during, after, stats };
      },
    });
    expect(run.problems).toEqual([]);
    const result = run.result as {
      during: Record<string, unknown>;
      after: Record<string, unknown>;
      stats: IndexRefreshStats;
    };
    expect(result.during).toEqual({ firstRefreshed: false, failures: expect.any(Number), dirty: true, local: true });
    expect(result.during.failures as number).toBeGreaterThanOrEqual(3);
    expect(result.after).toEqual({ firstRefreshed: true, dirty: false, backingStore: STORE, local: false });
    expect(result.stats.refreshes).toBeGreaterThan(0);
  });

  it("a journal without stores refreshes as empty (firstRefresh resolves); a missing spec is counted and retried", async () => {
    const run = await runFragmentWorld({
      seed: 13,
      withStore: false,
      body: async ({ env }) => {
        const client = new FragmentStoreClient(env);
        const index = new FragmentIndex(env, JOURNAL);
        const controller = new AbortController();
        const stats = newIndexRefreshStats();
        const holder: { spec?: JournalSpec } = {};
        const daemon = runIndexRefresh(env, index, client, () => holder.spec, {
          signal: controller.signal,
          isPrimary: () => true,
          stats,
        });
        await env.clock.sleep(5_000);
        const missing = stats.failures;
        holder.spec = specOf(HOUR_MS, []);
        await index.firstRefresh();
        controller.abort();
        await daemon;
        return { missing, refreshes: stats.refreshes };
      },
    });
    expect(run.problems).toEqual([]);
    expect(run.result).toEqual({ missing: expect.any(Number), refreshes: 1 });
    expect((run.result as { missing: number }).missing).toBeGreaterThanOrEqual(2);
  });
});
