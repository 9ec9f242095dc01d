/**
 * Invariant: every completed, non-empty spool handed to the Persister of a live
 * process reaches the journal's first store, however long the store is
 * unreachable (retry rounds until it heals), exactly as its content, and
 * persisting it again (another replica, a retry after an unknown outcome) is a
 * no-op that answers the same ModTime. Empty spools and journals without stores
 * are not persisted; the queue never grows beyond its limit.
 *
 * Method: simulator runs with a store host partitioned from the broker for
 * several retry rounds, then healed. Broken variant: a persister that gives up
 * after its first failed round.
 */
import { describe, expect, it } from "vitest";
import { ErrFragmentStoreUnavailable } from "../../../../src/impl/gazette/broker/fragment/errors.ts";
import { Persister, PERSIST_INTERVAL_MS } from "../../../../src/impl/gazette/broker/fragment/persister.ts";
import { PERSISTERS, type PersisterBrokenVariant } from "../../_fixtures/broken-broker.ts";
import { FragmentStoreClient } from "../../../../src/impl/gazette/broker/fragment/store-client.ts";
import type { Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import { contentOf, fragmentOf, JOURNAL, memoryContent, runFragmentWorld, STORE } from "./fragment-world.ts";

const errorName = (error: unknown) => (error instanceof Error ? error.name : String(error));

interface OutageOutcome {
  pendingDuringOutage: number;
  listedDuringOutage: number;
  persisted: Fragment[];
  listed: Fragment[];
  pendingAfter: number;
  healedAtMs: number;
  idleAtMs: number;
}

/** Three spools completed while the store is partitioned away for five retry rounds; returns what reached the store. */
async function outage(seed: number, variant?: PersisterBrokenVariant) {
  return runFragmentWorld<OutageOutcome>({
    seed,
    untilMs: 60 * 60_000,
    body: async ({ env, world }) => {
      const client = new FragmentStoreClient(env, { callDeadlineMs: 2_000 });
      const persister = new (variant === undefined ? Persister : PERSISTERS[variant])(env, client);
      const persisted: Fragment[] = [];
      world.network.partition([["store"], ["broker"]]);
      let begin = 0;
      for (let index = 0; index < 3; index++) {
        const content = contentOf(400 + index * 100, index + 1);
        const codec = index === 1 ? "GZIP" : "NONE";
        expect(
          persister.spoolComplete(
            fragmentOf(content, begin, codec),
            memoryContent(content, begin),
            [STORE],
            (fragment) => persisted.push(fragment),
          ),
        ).toBe(true);
        begin += content.length;
      }
      await env.clock.sleep(5 * PERSIST_INTERVAL_MS);
      const pendingDuringOutage = persister.pending();
      world.network.heal();
      const healedAtMs = env.clock.now();
      const listedDuringOutage = persisted.length;
      await Promise.race([persister.idle(), env.clock.sleep(10 * PERSIST_INTERVAL_MS)]);
      const idleAtMs = env.clock.now();
      const listed = await client.list(STORE, JOURNAL);
      return {
        pendingDuringOutage,
        listedDuringOutage,
        persisted,
        listed,
        pendingAfter: persister.pending(),
        healedAtMs,
        idleAtMs,
      };
    },
  });
}

describe("gazette broker: Persister", () => {
  it("retries across a store outage, in rounds, and persists every spool once the store heals", async () => {
    const run = await outage(1);
    expect(run.problems).toEqual([]);
    const result = run.result as OutageOutcome;
    expect(result.pendingDuringOutage).toBe(3);
    expect(result.listedDuringOutage).toBe(0);
    expect(result.pendingAfter).toBe(0);
    result.persisted.sort((a, b) => a.begin - b.begin); // Uploads run concurrently.
    expect(result.persisted.map((fragment) => [fragment.begin, fragment.end, fragment.compressionCodec])).toEqual([
      [0, 400, "NONE"],
      [400, 900, "GZIP"],
      [900, 1500, "NONE"],
    ]);
    expect(result.listed).toEqual(result.persisted);
    expect(result.idleAtMs - result.healedAtMs).toBeLessThanOrEqual(PERSIST_INTERVAL_MS + 10_000);
    expect(run.world.probes.get("gazette.broker.persist-round-failed")).toBeGreaterThanOrEqual(3 * 4);
  });

  it("fails on a persister that gives up after a failed round (gives-up)", async () => {
    const run = await outage(1, "gives-up");
    const result = run.result as OutageOutcome;
    expect(result.listed).toEqual([]);
    expect(result.persisted).toEqual([]);
  });

  it("is idempotent: a second persist (a replica, delayed) finds the fragment and answers the same ModTime", async () => {
    const run = await runFragmentWorld({
      seed: 2,
      untilMs: 60 * 60_000,
      body: async ({ env }) => {
        const client = new FragmentStoreClient(env);
        const primary = new Persister(env, client);
        const replica = new Persister(env, client);
        const content = contentOf(1000, 9);
        const fragment = fragmentOf(content, 0, "GZIP");
        const seen: Array<{ who: string; fragment: Fragment; atMs: number }> = [];
        const startMs = env.clock.now();
        replica.spoolComplete(
          fragment,
          memoryContent(content, 0),
          [STORE],
          (persisted) => seen.push({ who: "replica", fragment: persisted, atMs: env.clock.now() - startMs }),
          { primary: false },
        );
        await env.clock.sleep(30_000);
        primary.spoolComplete(fragment, memoryContent(content, 0), [STORE], (persisted) =>
          seen.push({ who: "primary", fragment: persisted, atMs: env.clock.now() - startMs }),
        );
        await Promise.all([primary.idle(), replica.idle()]);
        return { seen, listed: await client.list(STORE, JOURNAL) };
      },
    });
    expect(run.problems).toEqual([]);
    const result = run.result as { seen: Array<{ who: string; fragment: Fragment; atMs: number }>; listed: Fragment[] };
    expect(result.seen.map((item) => item.who)).toEqual(["primary", "replica"]);
    expect((result.seen[1] as { atMs: number }).atMs).toBeGreaterThanOrEqual(2 * PERSIST_INTERVAL_MS);
    expect((result.seen[0] as { fragment: Fragment }).fragment).toEqual(
      (result.seen[1] as { fragment: Fragment }).fragment,
    );
    expect(result.listed).toEqual([(result.seen[0] as { fragment: Fragment }).fragment]);
    expect(run.world.probes.get("gazette.fragment-store.put-exists")).toBe(1);
  });

  it("does not persist empty spools or journals without stores, refuses beyond its queue limit, and re-reads failing local content", async () => {
    const run = await runFragmentWorld({
      seed: 3,
      untilMs: 60 * 60_000,
      body: async ({ env, world }) => {
        const client = new FragmentStoreClient(env, { callDeadlineMs: 1_000 });
        const persister = new Persister(env, client, { queueLimit: 2 });
        const content = contentOf(100);
        const empty = persister.spoolComplete(fragmentOf(new Uint8Array(0), 50), memoryContent(new Uint8Array(0), 50), [
          STORE,
        ]);
        const noStores = persister.spoolComplete(fragmentOf(content, 0), memoryContent(content, 0), []);
        const pendingAfterSkips = persister.pending();
        world.network.partition([["store"], ["broker"]]);
        const queued = [0, 100, 200].map((begin) =>
          persister.spoolComplete(fragmentOf(content, begin), memoryContent(content, begin), [STORE]),
        );
        const pendingAtLimit = persister.pending();
        await env.clock.sleep(1_000);
        world.network.heal();
        await persister.idle();
        // A local read that fails twice (a disk error) before it succeeds.
        let failures = 2;
        const flaky = {
          read: async (offset: number, length: number) => {
            if (failures-- > 0) throw new Error("EIO: read");
            return memoryContent(content, 300).read(offset, length);
          },
        };
        persister.spoolComplete(fragmentOf(content, 300), flaky, [STORE]);
        await persister.idle();
        return {
          empty,
          noStores,
          pendingAfterSkips,
          queued,
          pendingAtLimit,
          listed: (await client.list(STORE, JOURNAL)).map((fragment) => fragment.begin),
          persisted: persister.persisted(),
        };
      },
    });
    expect(run.problems).toEqual([]);
    expect(run.result).toEqual({
      empty: false,
      noStores: false,
      pendingAfterSkips: 0,
      queued: [true, true, false],
      pendingAtLimit: 2,
      listed: [0, 100, 300],
      persisted: 3,
    });
    expect(run.world.probes.get("gazette.broker.persist-queue-full")).toBe(1);
  });

  it("persist() settles as the upload does: the persisted fragment, undefined when not persisted, typed errors when refused or stopped", async () => {
    const run = await runFragmentWorld({
      seed: 4,
      untilMs: 60 * 60_000,
      body: async ({ env, world }) => {
        const client = new FragmentStoreClient(env, { callDeadlineMs: 1_000 });
        const controller = new AbortController();
        const persister = new Persister(env, client, { queueLimit: 1, signal: controller.signal });
        const content = contentOf(100);
        const persisted = await persister.persist(fragmentOf(content, 0), memoryContent(content, 0), [STORE]);
        const noStores = await persister.persist(fragmentOf(content, 0), memoryContent(content, 0), []);
        world.network.partition([["store"], ["broker"]]);
        const waiting = persister
          .persist(fragmentOf(content, 100), memoryContent(content, 100), [STORE])
          .catch(errorName);
        const refused = await persister
          .persist(fragmentOf(content, 200), memoryContent(content, 200), [STORE])
          .catch(errorName);
        await env.clock.sleep(5_000);
        controller.abort();
        return {
          persisted: persisted?.backingStore,
          noStores,
          refused,
          stopped: await waiting,
          pending: persister.pending(),
        };
      },
    });
    expect(run.problems).toEqual([]);
    expect(run.result).toEqual({
      persisted: STORE,
      noStores: undefined,
      refused: "ErrPersistQueueFull",
      stopped: "ErrCancelled",
      pending: 0,
    });
  });

  it("store errors are typed (an unreachable store is ErrFragmentStoreUnavailable)", () => {
    expect(new ErrFragmentStoreUnavailable("store:8700", "persist", new Error("x")).name).toBe(
      "ErrFragmentStoreUnavailable",
    );
  });
});
