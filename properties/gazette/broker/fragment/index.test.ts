/**
 * Invariant: the fragment index answers Gazette's Query rules: the covering
 * fragment that extends furthest; below the first fragment, a jump to it once
 * it was persisted for the first-fragment age (never to a local-only one:
 * content before it may be in flight from another replica); inside a gap, a jump only when the next fragment was
 * persisted more than
 * offsetJumpAgeThreshold (6 h) ago, else OFFSET_NOT_YET_AVAILABLE (non-blocking)
 * or a wait (blocking) that ends on a spool commit, a refresh, the gap ageing,
 * or the signal's abort. ReplaceRemote keeps local fragments the stores do not
 * cover.
 *
 * Method: a fast-check property compares non-blocking queries over generated
 * remote and local fragments, ModTimes and clock readings with a model of the
 * rules (an Env stub whose clock the property sets); blocking behaviour runs in
 * the simulator on virtual time. Broken variants: an index that jumps into young
 * gaps at once, one that does not jump below the first fragment, one that jumps
 * below the first fragment at once (the rule before gazette-retention seed 36), one that drops
 * unpersisted local fragments on refresh.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FragmentIndex } from "../../../../src/impl/gazette/broker/fragment/index.ts";
import { FRAGMENT_INDEXES, type IndexBrokenVariant } from "../../../../scenarios/gazette/variants/broker.ts";
import { CoverSet } from "../../../../src/impl/gazette/broker/fragment/cover-set.ts";
import { PERSIST_INTERVAL_MS } from "../../../../src/impl/gazette/broker/fragment/persister.ts";
import {
  OFFSET_JUMP_AGE_THRESHOLD_MS,
  type IndexedFragment,
  type IndexQueryResult,
} from "../../../../src/impl/gazette/broker/types.ts";
import type { Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import { ValidationError } from "../../../../src/impl/gazette/protocol/validation.ts";
import type { Env } from "../../../../src/sim/env.ts";
import { propertyParameters } from "../../../_support/fast-check.ts";
import { contentOf, fragmentOf, JOURNAL, memoryContent, runFragmentWorld, STORE } from "./fragment-world.ts";

const HOUR_MS = 60 * 60 * 1000;

function span(begin: number, end: number, modTime: number, backingStore = STORE): Fragment {
  return {
    journal: JOURNAL,
    begin,
    end,
    sum: "1".repeat(40),
    compressionCodec: "NONE",
    backingStore,
    modTime,
    pathPostfix: "",
  };
}

/** An Env whose clock reads `clock.now`; probes are counted. Enough for non-blocking queries. */
function stubEnv(clock: { now: number }, probes: Map<string, number>): Env {
  const ignore = () => {};
  return {
    host: "stub",
    clock: {
      now: () => clock.now,
      monotonic: () => clock.now,
      sleep: () => new Promise(() => {}),
      setTimer: () => ({ cancel: () => true }),
    },
    log: { debug: ignore, info: ignore, warn: ignore, error: ignore },
    trace: ignore,
    probe: (name: string) => probes.set(name, (probes.get(name) ?? 0) + 1),
  } as unknown as Env;
}

/** The model of Query for a non-blocking read. */
function modelQuery(
  fragments: IndexedFragment[],
  offset: number,
  nowMs: number,
): { status: string; offset?: number; begin?: number; end?: number; jumped?: boolean } {
  const resolved = offset === -1 ? (fragments[fragments.length - 1]?.fragment.end ?? 0) : offset;
  const covering = fragments.filter((item) => item.fragment.begin <= resolved && resolved < item.fragment.end);
  if (covering.length > 0) {
    const best = covering.reduce((a, b) => (b.fragment.end > a.fragment.end ? b : a));
    return { status: "OK", offset: resolved, begin: best.fragment.begin, end: best.fragment.end, jumped: false };
  }
  const nextIndex = fragments.findIndex((item) => item.fragment.begin > resolved);
  if (nextIndex === -1) return { status: "OFFSET_NOT_YET_AVAILABLE" };
  const next = (fragments[nextIndex] as IndexedFragment).fragment;
  const old = next.modTime !== 0 && next.modTime * 1000 < nowMs - OFFSET_JUMP_AGE_THRESHOLD_MS;
  // Below the first fragment: once it was persisted for PERSIST_INTERVAL_MS (the default first-fragment age), to
  // ModTime's second.
  const firstAged = next.modTime !== 0 && (next.modTime + 1) * 1000 + PERSIST_INTERVAL_MS < nowMs;
  if ((nextIndex === 0 && firstAged) || (nextIndex > 0 && old))
    return { status: "OK", offset: next.begin, begin: next.begin, end: next.end, jumped: true };
  return { status: "OFFSET_NOT_YET_AVAILABLE" };
}

function summary(result: IndexQueryResult): {
  status: string;
  offset?: number;
  begin?: number;
  end?: number;
  jumped?: boolean;
} {
  if (result.status !== "OK") return { status: result.status };
  return {
    status: "OK",
    offset: result.offset,
    begin: result.fragment.fragment.begin,
    end: result.fragment.fragment.end,
    jumped: result.jumped,
  };
}

const spanArbitrary = fc
  .tuple(fc.nat(60), fc.integer({ min: 1, max: 15 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 * 3600 })))
  .map(([begin, length, modTime]) => ({ begin, end: begin + length, modTime }));

function queryProperty(variant?: IndexBrokenVariant) {
  return fc.asyncProperty(
    fc.array(spanArbitrary, { maxLength: 8 }),
    fc.array(
      spanArbitrary.map((item) => ({ ...item, modTime: 0 })),
      { maxLength: 3 },
    ),
    fc.integer({ min: 0, max: 30 * HOUR_MS }),
    fc.array(fc.integer({ min: -1, max: 80 }), { minLength: 1, maxLength: 10 }),
    async (remote, local, nowMs, offsets) => {
      const clock = { now: nowMs };
      const index = new (variant === undefined ? FragmentIndex : FRAGMENT_INDEXES[variant])(
        stubEnv(clock, new Map()),
        JOURNAL,
      );
      index.replaceRemote(remote.map((item) => span(item.begin, item.end, item.modTime === 0 ? 1 : item.modTime)));
      for (const item of local)
        index.spoolCommit(
          span(item.begin, item.end, 0, ""),
          memoryContent(new Uint8Array(item.end - item.begin), item.begin),
        );
      const fragments = index.fragments();
      for (const offset of offsets)
        expect(summary(await index.query(offset, { block: false }))).toEqual(modelQuery(fragments, offset, nowMs));
    },
  );
}

describe("gazette broker: FragmentIndex.Query rules (non-blocking, against a model)", () => {
  it("answers as the model: longest covering fragment, jump below an aged persisted first fragment, 6 h gap rule, write head", async () => {
    await fc.assert(queryProperty(), propertyParameters("gazette-index-query", 300));
  });

  for (const variant of ["jump-into-gap-at-once", "no-jump-before-first", "jump-before-first-at-once"] as const) {
    it(`fails on the broken index "${variant}"`, async () => {
      const details = await fc.check(queryProperty(variant), {
        ...propertyParameters("gazette-index-query", 300),
        reporter: undefined,
        endOnFailure: true,
      });
      expect(details.failed).toBe(true);
    });
  }

  it("probes the jumps, and answers OFFSET_NOT_YET_AVAILABLE at and past the write head", async () => {
    const probes = new Map<string, number>();
    const clock = { now: 10 * HOUR_MS };
    const index = new FragmentIndex(stubEnv(clock, probes), JOURNAL);
    index.replaceRemote([span(100, 200, 1), span(300, 400, 1)]);
    expect(summary(await index.query(0, { block: false }))).toEqual({
      status: "OK",
      offset: 100,
      begin: 100,
      end: 200,
      jumped: true,
    });
    expect(summary(await index.query(250, { block: false }))).toEqual({
      status: "OK",
      offset: 300,
      begin: 300,
      end: 400,
      jumped: true,
    });
    expect(probes.get("gazette.broker.offset-jump-before-first")).toBe(1);
    expect(probes.get("gazette.broker.offset-jump-over-gap")).toBe(1);
    expect(await index.query(400, { block: false })).toEqual({ status: "OFFSET_NOT_YET_AVAILABLE", writeHead: 400 });
    expect(await index.query(-1, { block: false })).toEqual({ status: "OFFSET_NOT_YET_AVAILABLE", writeHead: 400 });
    expect(index.offsetRange()).toEqual({ begin: 100, end: 400, dirty: false });
    await expect(index.query(-2, { block: false })).rejects.toBeInstanceOf(ValidationError);
    await expect(index.query(1.5, { block: true })).rejects.toBeInstanceOf(ValidationError);
  });
});

/** Checks ReplaceRemote's treatment of local fragments; throws on a violation. */
async function checkReplaceRemote(variant?: IndexBrokenVariant): Promise<void> {
  const probes = new Map<string, number>();
  const index = new (variant === undefined ? FragmentIndex : FRAGMENT_INDEXES[variant])(
    stubEnv({ now: 0 }, probes),
    JOURNAL,
  );
  let refreshed = false;
  void index.firstRefresh().then(() => (refreshed = true));
  const first = contentOf(100, 1);
  const second = contentOf(50, 2);
  index.spoolCommit(fragmentOf(first, 0), memoryContent(first, 0));
  index.spoolCommit(fragmentOf(second, 100), memoryContent(second, 100));
  expect(index.offsetRange()).toEqual({ begin: 0, end: 150, dirty: true });
  // The store holds the first spool only: the second stays local (and readable).
  index.replaceRemote([{ ...fragmentOf(first, 0), backingStore: STORE, modTime: 5 }]);
  await Promise.resolve();
  expect(refreshed).toBe(true);
  const kept = index.fragments();
  expect(
    kept.map((item) => [item.fragment.begin, item.fragment.end, item.fragment.backingStore, item.local !== undefined]),
  ).toEqual([
    [0, 100, STORE, false],
    [100, 150, "", true],
  ]);
  expect(index.offsetRange()).toEqual({ begin: 0, end: 150, dirty: true });
  const answer = await index.query(120, { block: false });
  expect(answer.status === "OK" && answer.fragment.local !== undefined).toBe(true);
  index.replaceRemote([
    { ...fragmentOf(first, 0), backingStore: STORE, modTime: 5 },
    { ...fragmentOf(second, 100), backingStore: STORE, modTime: 6 },
  ]);
  expect(index.offsetRange()).toEqual({ begin: 0, end: 150, dirty: false });
}

describe("gazette broker: FragmentIndex.ReplaceRemote", () => {
  it("keeps the local fragments the listing does not cover, drops the covered ones, resolves firstRefresh", async () => {
    await checkReplaceRemote();
  });

  it('fails on the broken index "drops-local-on-refresh"', async () => {
    await expect(checkReplaceRemote("drops-local-on-refresh")).rejects.toThrow();
  });

  it("prefers a local copy of the same span committed later (same span replaces)", async () => {
    const index = new FragmentIndex(stubEnv({ now: 0 }, new Map()), JOURNAL);
    const content = contentOf(10);
    index.replaceRemote([{ ...fragmentOf(content, 0), backingStore: STORE, modTime: 3 }]);
    index.spoolCommit(fragmentOf(content, 0), memoryContent(content, 0));
    const answer = await index.query(5, { block: false });
    expect(answer.status === "OK" && answer.fragment.local !== undefined).toBe(true);
    expect(CoverSet.of(index.fragments()).length).toBe(1);
  });
});

/** Runs `body` with an index on the broker host of a world without a store. */
async function inWorld<T>(seed: number, body: (index: FragmentIndex, env: Env) => Promise<T>, untilMs = 48 * HOUR_MS) {
  const run = await runFragmentWorld({
    seed,
    withStore: false,
    untilMs,
    body: ({ env }) => body(new FragmentIndex(env, JOURNAL), env),
  });
  expect(run.problems).toEqual([]);
  if (run.error !== undefined) throw run.error;
  expect(run.settled).toBe(true);
  return { result: run.result as T, world: run.world };
}

describe("gazette broker: FragmentIndex blocking queries (simulator, virtual time)", () => {
  it("a read at the write head waits, and a spool commit wakes it with the new fragment", async () => {
    const { result } = await inWorld(1, async (index, env) => {
      const first = contentOf(100, 1);
      index.spoolCommit(fragmentOf(first, 0), memoryContent(first, 0));
      const pending = index.query(-1, { block: true });
      await env.clock.sleep(5_000);
      const waitingBefore = index.waiting();
      const second = contentOf(20, 2);
      const committedAt = env.clock.now();
      index.spoolCommit(fragmentOf(second, 100), memoryContent(second, 100));
      const answer = await pending;
      return { waitingBefore, answer: summary(answer), waitedMs: committedAt, waitingAfter: index.waiting() };
    });
    expect(result.waitingBefore).toBe(1);
    expect(result.answer).toEqual({ status: "OK", offset: 100, begin: 100, end: 120, jumped: false });
    expect(result.waitingAfter).toBe(0);
  });

  it("a blocking read inside a young gap waits until the gap is 6 h old, then jumps (timer on the virtual clock)", async () => {
    const { result, world } = await inWorld(2, async (index, env) => {
      const modTime = Math.floor(env.clock.now() / 1000) + 60; // Persisted a minute from now.
      index.replaceRemote([span(0, 100, 1), span(200, 300, modTime)]);
      const nonBlocking = summary(await index.query(150, { block: false }));
      const answer = await index.query(150, { block: true });
      return {
        nonBlocking,
        answer: summary(answer),
        at: env.clock.now(),
        agesAt: modTime * 1000 + OFFSET_JUMP_AGE_THRESHOLD_MS,
      };
    });
    expect(result.nonBlocking).toEqual({ status: "OFFSET_NOT_YET_AVAILABLE" });
    expect(result.answer).toEqual({ status: "OK", offset: 200, begin: 200, end: 300, jumped: true });
    expect(result.at).toBeGreaterThan(result.agesAt);
    expect(result.at).toBeLessThan(result.agesAt + 1_000);
    expect(world.probes.get("gazette.broker.offset-jump-over-gap")).toBe(1);
  });

  it("a blocking read inside a gap before a local fragment waits for the refresh that fills it", async () => {
    const { result } = await inWorld(3, async (index, env) => {
      const later = contentOf(50, 3);
      index.replaceRemote([span(0, 100, 1)]);
      index.spoolCommit(fragmentOf(later, 200), memoryContent(later, 200));
      const pending = index.query(150, { block: true });
      await env.clock.sleep(10 * HOUR_MS); // A local fragment never ages: still waiting.
      const stillWaiting = index.waiting();
      index.replaceRemote([span(0, 100, 1), span(100, 200, 2)]);
      return { stillWaiting, answer: summary(await pending) };
    });
    expect(result.stillWaiting).toBe(1);
    expect(result.answer).toEqual({ status: "OK", offset: 150, begin: 100, end: 200, jumped: false });
  });

  it("aborting the signal rejects a blocked query with the signal's reason and leaves no waiter", async () => {
    const { result } = await inWorld(4, async (index, env) => {
      const controller = new AbortController();
      const pending = index.query(0, { block: true, signal: controller.signal }).then(
        () => "resolved",
        (error: unknown) => error,
      );
      await env.clock.sleep(1_000);
      const reason = new Error("reader went away");
      controller.abort(reason);
      const outcome = await pending;
      const aborted = await index.query(0, { block: true, signal: controller.signal }).catch((error: unknown) => error);
      return { same: outcome === reason, again: aborted === reason, waiting: index.waiting() };
    });
    expect(result).toEqual({ same: true, again: true, waiting: 0 });
  });

  it("closing the index fails blocked queries with ErrIndexClosed", async () => {
    const { result } = await inWorld(5, async (index, env) => {
      const pending = index.query(0, { block: true }).catch((error: unknown) => (error as Error).name);
      await env.clock.sleep(10);
      index.close();
      return pending;
    });
    expect(result).toBe("ErrIndexClosed");
  });
});
