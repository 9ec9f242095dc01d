/**
 * Invariant: RouteCache behaves as a bounded LRU map with a TTL on virtual time:
 * a route read back is the one last cached for the item if that was at most
 * `ttl` ago and the item was not among the least recently used beyond `size`;
 * an empty route invalidates. And a RoutedJournalClient corrects a stale route
 * from the broker's response header: appends keep succeeding while the journal's
 * primary moves, and the cache then holds the journal's current route.
 *
 * Method: fc.commands drives a RouteCache and a model (an ordered map with
 * timestamps) through updates, empty updates, reads and clock advances; broken
 * variants (no TTL, evicting the most recent, ignoring empty routes) must fail.
 * Route correction runs appends through model brokers whose primary moves, with
 * a cache primed with a stale route; the broken variant ignores response routes.
 * A cached route whose broker is gone is invalidated by the append that fails
 * UNAVAILABLE on it (Gazette's dispatcher), so the retry reaches the service address.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Clock } from "../../../src/sim/env.ts";
import { append, Appender } from "../../../src/impl/gazette/client/appender.ts";
import { RouteCache } from "../../../src/impl/gazette/client/route-cache.ts";
import { appenderOf } from "../../../scenarios/gazette/variants/client.ts";
import { routeCacheOf, type RouteCacheBrokenVariant } from "../_fixtures/broken-client.ts";
import { appendRequest } from "../../../src/impl/gazette/protocol/messages.ts";
import { emptyRoute, type Route } from "../../../src/impl/gazette/protocol/route.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { runGazette } from "../_support/gazette-world.ts";
import { brokerRoute, journalSpec, ModelStore } from "../_support/model-store.ts";

class ManualClock implements Clock {
  nowMs = 0;
  now(): number {
    return this.nowMs;
  }
  monotonic(): number {
    return this.nowMs;
  }
  sleep(): Promise<void> {
    throw new Error("ManualClock does not sleep");
  }
  setTimer(): never {
    throw new Error("ManualClock has no timers");
  }
  ticker(): never {
    throw new Error("ManualClock has no tickers");
  }
}

const SIZE = 3;
const TTL_MS = 100;
const ITEMS = ["j/one", "j/two", "j/three", "j/four", "j/five"];

interface Model {
  entries: Map<string, { route: Route; atMs: number }>;
  clock: ManualClock;
}
interface Real {
  cache: RouteCache;
}

function routeOf(primary: number): Route {
  return brokerRoute(["broker-a", "broker-b", "broker-c"], ["broker-a", "broker-b", "broker-c"][primary]);
}

class Update implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly item: string,
    readonly primary: number | undefined,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const route = this.primary === undefined ? emptyRoute() : routeOf(this.primary);
    real.cache.updateRoute(this.item, route);
    model.entries.delete(this.item);
    if (this.primary === undefined) return;
    model.entries.set(this.item, { route, atMs: model.clock.nowMs });
    while (model.entries.size > SIZE) model.entries.delete(model.entries.keys().next().value as string);
  }
  toString(): string {
    return `update(${this.item}, ${this.primary ?? "empty"})`;
  }
}

class Get implements fc.AsyncCommand<Model, Real> {
  constructor(readonly item: string) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const actual = real.cache.route(this.item);
    const entry = model.entries.get(this.item);
    let expected = emptyRoute();
    if (entry !== undefined && entry.atMs + TTL_MS >= model.clock.nowMs) {
      expected = entry.route;
      model.entries.delete(this.item);
      model.entries.set(this.item, entry);
    } else {
      model.entries.delete(this.item);
    }
    expect(actual).toEqual(expected);
  }
  toString(): string {
    return `route(${this.item})`;
  }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model): Promise<void> {
    model.clock.nowMs += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

const commands = fc.commands(
  [
    fc
      .tuple(fc.constantFrom(...ITEMS), fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined, freq: 5 }))
      .map(([item, primary]) => new Update(item, primary)),
    fc.constantFrom(...ITEMS).map((item) => new Get(item)),
    fc.integer({ min: 1, max: 80 }).map((ms) => new Advance(ms)),
  ],
  { maxCommands: 60, size: "max" },
);

function cacheProperty(variant?: RouteCacheBrokenVariant) {
  return fc.asyncProperty(commands, async (sequence) => {
    const clock = new ManualClock();
    await fc.asyncModelRun(
      () => ({ model: { entries: new Map(), clock }, real: { cache: routeCacheOf(SIZE, TTL_MS, clock, variant) } }),
      sequence,
    );
  });
}

describe("gazette client: RouteCache (LRU, TTL on virtual time, invalidation by an empty route)", () => {
  it("matches the model", async () => {
    await fc.assert(cacheProperty(), propertyParameters("gazette-route-cache", 300));
  });

  for (const variant of ["no-ttl", "evict-most-recent", "ignore-empty-route"] as const) {
    it(`fails on the ${variant} variant`, async () => {
      const details = await fc.check(cacheProperty(variant), {
        ...propertyParameters("gazette-route-cache", 300),
        reporter: undefined,
        endOnFailure: true,
      });
      expect(details.failed).toBe(true);
    });
  }

  it("refuses a size of zero", () => {
    expect(() => new RouteCache(0, 1, new ManualClock())).toThrow(/size must be > 0/);
  });
});

const JOURNAL = "routes/moving/part-0";
const BROKERS = ["broker-a", "broker-b", "broker-c"];
const moves = fc.record({
  seed: fc.nat(1000),
  stale: fc.integer({ min: 0, max: 2 }),
  primaries: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 6 }),
});

function correctionProperty(ignoreResponseRoute: boolean) {
  return fc.asyncProperty(moves, async (input) => {
    const store = new ModelStore();
    const journal = store.createJournal(journalSpec(JOURNAL), brokerRoute(BROKERS, BROKERS[input.primaries[0]!]));
    const run = await runGazette({
      seed: input.seed,
      store,
      brokers: BROKERS,
      client: async ({ env, client, router }) => {
        router.updateRoute(JOURNAL, brokerRoute(BROKERS, BROKERS[input.stale])); // Stale, or right by chance.
        const cached: Route[] = [];
        for (const [index, primary] of input.primaries.entries()) {
          journal.route = brokerRoute(BROKERS, BROKERS[primary]);
          await append(
            env.clock,
            client,
            appendRequest({ journal: JOURNAL }),
            [new TextEncoder().encode(`append ${index};`)],
            {
              attemptsMax: 4,
              ...(ignoreResponseRoute ? { createAppender: appenderOf("ignore-response-route") } : {}),
            },
          );
          cached.push(router.route(JOURNAL));
        }
        return cached;
      },
    });
    if (run.error !== undefined) throw new Error(`append failed: ${String(run.error)}`);
    expect(run.settled).toBe(true);
    input.primaries.forEach((primary, index) =>
      expect(run.result?.[index]).toEqual(brokerRoute(BROKERS, BROKERS[primary])),
    );
    expect(store.commits.length).toBe(input.primaries.length);
  });
}

describe("gazette client: a RoutedJournalClient corrects a stale route from response headers", () => {
  it("appends succeed while the primary moves, and the cache ends with the current route", async () => {
    await fc.assert(correctionProperty(false), propertyParameters("gazette-route-correction", 40));
  });

  it("fails on an Appender that ignores the response's route", async () => {
    const details = await fc.check(correctionProperty(true), {
      ...propertyParameters("gazette-route-correction", 40),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/NOT_JOURNAL_PRIMARY_BROKER|expected/);
  });
});

describe("gazette client: a RoutedJournalClient invalidates a cached route whose broker is gone", () => {
  it("the append that fails UNAVAILABLE on it drops the route; the retry goes to the service address and learns the current route", async () => {
    const store = new ModelStore();
    store.createJournal(journalSpec(JOURNAL), brokerRoute(BROKERS, "broker-b"));
    const run = await runGazette({
      seed: 1,
      store,
      brokers: BROKERS,
      crashes: [{ broker: "broker-c", atMs: 0, downMs: 600_000 }],
      client: async ({ env, client, router }) => {
        router.updateRoute(JOURNAL, brokerRoute(BROKERS, "broker-c")); // Its primary is down.
        const appender = new Appender(client, appendRequest({ journal: JOURNAL }));
        await appender.write(new TextEncoder().encode("lost;"));
        const failure = await appender.close().then(
          () => undefined,
          (error: unknown) => error,
        );
        const afterFailure = router.route(JOURNAL);
        await append(env.clock, client, appendRequest({ journal: JOURNAL }), [new TextEncoder().encode("kept;")], {
          attemptsMax: 4,
        });
        return { failure: String(failure), afterFailure, afterRetry: router.route(JOURNAL) };
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.failure).toMatch(/UNAVAILABLE/);
    expect(run.result?.afterFailure).toEqual(emptyRoute());
    expect(run.result?.afterRetry).toEqual(brokerRoute(BROKERS, "broker-b"));
    expect(store.commits.length).toBe(1);
  });
});
