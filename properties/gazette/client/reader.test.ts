/**
 * Invariant: a RetryReader of a journal, from any offset to the end offset,
 * yields exactly the journal's bytes in order; where a span is missing it first
 * reports ErrOffsetJump to exactly the next available offset (never a silent
 * skip), and injected broker failures (error statuses, broken streams, slow
 * responses, broker crashes) are retried into a gap-free copy. Direct fragment
 * reads (doNotProxy, fragment URLs on a file store, raw or gzip) give the same
 * bytes. A Reader rejects a response offset below its request.
 *
 * Method: fast-check generates a journal (fragment sizes, codec, deleted
 * fragments, persisted fragments), a start offset, and a fault script for the
 * first Read calls; the client reads through model brokers in the simulator
 * (properties/gazette/_support) and its transcript (runs of bytes, jumps) must
 * equal the model's. Broken variants: a Reader that applies jumps silently, a
 * RetryReader that restarts at its original offset, a Reader that accepts an
 * offset below its request.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  routedJournalClient,
  noopRouter,
  type JournalClient,
} from "../../../src/impl/gazette/protocol/journal-client.ts";
import { readRequest, type ReadRequest } from "../../../src/impl/gazette/protocol/messages.ts";
import { fragmentSum } from "../../../src/impl/gazette/protocol/fragment.ts";
import { NODE_HASHES } from "../../../src/sim/hashes.ts";
import type { CompressionCodec } from "../../../src/impl/gazette/protocol/journal-spec.ts";
import { ValidationError } from "../../../src/impl/gazette/protocol/validation.ts";
import { ErrOffsetJump } from "../../../src/impl/gazette/client/errors.ts";
import {
  fileTransport,
  FragmentTransports,
  installFileTransport,
} from "../../../src/impl/gazette/client/fragment-transport.ts";
import { Reader } from "../../../src/impl/gazette/client/reader.ts";
import { RetryReader } from "../../../src/impl/gazette/client/retry-reader.ts";
import {
  readerOf,
  retryReaderOf,
  type ReaderBrokenVariant,
  type RetryReaderBrokenVariant,
} from "../../../scenarios/gazette/variants/client.ts";
import type { Env } from "../../../src/sim/env.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { runGazette } from "../_support/gazette-world.ts";
import type { ReadFault } from "../_support/model-broker.ts";
import { brokerRoute, journalSpec, ModelStore } from "../_support/model-store.ts";
import { expectedTranscript, fragmentContent, transcript, type ReadEvent } from "../_support/read-model.ts";

const JOURNAL = "examples/reads/part-000";
const BROKERS = ["broker-a", "broker-b"];
const NAS_ROOT = "/nas";

const readFault: fc.Arbitrary<ReadFault> = fc.oneof(
  fc.record({
    kind: fc.constant("status" as const),
    status: fc.constantFrom(
      "NOT_JOURNAL_BROKER" as const,
      "INSUFFICIENT_JOURNAL_BROKERS" as const,
      "NO_JOURNAL_PRIMARY_BROKER" as const,
    ),
  }),
  fc.record({ kind: fc.constant("delay" as const), ms: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant("break-after" as const), bytes: fc.integer({ min: 0, max: 4000 }) }),
);

const readCase = fc.record({
  seed: fc.nat(10_000),
  sizes: fc.array(fc.integer({ min: 1, max: 2500 }), { minLength: 1, maxLength: 8 }),
  codec: fc.constantFrom<CompressionCodec>("NONE", "GZIP"),
  deleted: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  persisted: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  doNotProxy: fc.boolean(),
  startFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  faults: fc.array(fc.option(readFault, { nil: undefined }), { maxLength: 6 }),
  crash: fc.option(fc.record({ atMs: fc.integer({ min: 2, max: 400 }), downMs: fc.integer({ min: 1, max: 300 }) }), {
    nil: undefined,
  }),
});
type ReadCase = typeof readCase extends fc.Arbitrary<infer T> ? T : never;

interface Variants {
  reader?: ReaderBrokenVariant;
  retryReader?: RetryReaderBrokenVariant;
}

function buildStore(input: ReadCase): { store: ModelStore; start: number; end: number } {
  const store = new ModelStore();
  store.createJournal(journalSpec(JOURNAL, input.codec), brokerRoute(BROKERS, "broker-a"));
  const journal = store.journals.get(JOURNAL)!;
  input.sizes.forEach((size, index) =>
    journal.append(fragmentContent(index, size), 1_000, input.persisted[index] ?? false),
  );
  // Delete some fragments, never the last (the read ends at the write head).
  journal.deleteFragments(
    new Set(input.sizes.flatMap((_, index) => (index < input.sizes.length - 1 && input.deleted[index] ? [index] : []))),
  );
  const end = journal.writeHead;
  return { store, start: Math.min(end - 1, Math.floor(input.startFraction * end)), end };
}

/** Coverage of the correct runs: the paths the property must reach. */
const stats = { directOpens: 0, runsWithJumps: 0, runsWithFaults: 0, runsWithCrash: 0, gzipDirect: 0 };

async function readCopy(input: ReadCase, variants: Variants): Promise<{ ok: boolean; message: string }> {
  const { store, start, end } = buildStore(input);
  const faults = input.faults;
  const run = await runGazette({
    seed: input.seed,
    store,
    brokers: BROKERS,
    faults: { read: (_request, call) => faults[call] },
    crashes: input.crash === undefined ? [] : [{ broker: "broker-a", ...input.crash }],
    client: async ({ env, client }) => {
      for (const file of store.persistedFiles()) {
        const path = `${NAS_ROOT}${file.path}`;
        const parts = path.split("/").slice(1, -1);
        for (let depth = 1; depth <= parts.length; depth++) {
          const directory = `/${parts.slice(0, depth).join("/")}`;
          if (!(await env.disk.exists(directory))) await env.disk.mkdir(directory);
        }
        await env.disk.writeFile(path, file.data);
      }
      const transports = new FragmentTransports();
      const files = fileTransport(env.disk, NAS_ROOT);
      transports.register("file", {
        open: (url, fragment, signal) => ((stats.directOpens += 1), files.open(url, fragment, signal)),
      });
      const reader = retryReaderOf(variants)(
        env.clock,
        client,
        readRequest({ journal: JOURNAL, offset: start, endOffset: end, doNotProxy: input.doNotProxy }),
        { transports, attemptsMax: 30 },
      );
      const events: ReadEvent[] = [];
      for (let reads = 0; reads < 10_000; reads++) {
        const offset = reader.offset();
        try {
          const chunk = await reader.read(1500);
          if (chunk === null) return events;
          events.push({ kind: "bytes", offset, data: chunk.slice() });
        } catch (error) {
          if (!(error instanceof ErrOffsetJump)) throw error;
          events.push({ kind: "jump", to: reader.offset() });
        }
      }
      throw new Error("read did not end");
    },
  });
  if (!run.settled) return { ok: false, message: "the read did not finish" };
  if (run.error !== undefined) return { ok: false, message: `read failed: ${String(run.error)}` };
  const actual = transcript(run.result ?? []);
  const expected = expectedTranscript(store, JOURNAL, start, end);
  if (expected.jumps.length > 0) stats.runsWithJumps++;
  if (input.faults.some((fault) => fault !== undefined)) stats.runsWithFaults++;
  if (input.crash !== undefined) stats.runsWithCrash++;
  const ok = JSON.stringify(actual) === JSON.stringify(expected) && run.problems.length === 0;
  return {
    ok,
    message: ok
      ? ""
      : `jumps ${JSON.stringify(actual.jumps)} vs ${JSON.stringify(expected.jumps)}; runs ${actual.runs.map((r) => `${r.offset}+${r.data.length}`).join(",")} vs ${expected.runs.map((r) => `${r.offset}+${r.data.length}`).join(",")}; ${run.problems.join("; ")}`,
  };
}

function copyProperty(variants: Variants = {}) {
  return fc.asyncProperty(readCase, async (input) => {
    const outcome = await readCopy(input, variants);
    if (!outcome.ok) throw new Error(outcome.message);
  });
}

describe("gazette client: Reader and RetryReader against model brokers", () => {
  it("read a gap-free copy: the journal's exact bytes, and ErrOffsetJump to exactly the next available offset", async () => {
    await fc.assert(copyProperty(), propertyParameters("gazette-retry-reader-copy", 100));
    expect(stats.directOpens, "fragments read directly").toBeGreaterThan(0);
    expect(stats.runsWithJumps, "runs with offset jumps").toBeGreaterThan(10);
    expect(stats.runsWithFaults, "runs with injected faults").toBeGreaterThan(10);
    expect(stats.runsWithCrash, "runs with a broker crash").toBeGreaterThan(10);
  });

  it("fails on a Reader that applies offset jumps silently", async () => {
    const details = await fc.check(copyProperty({ reader: "silent-offset-jump" }), {
      ...propertyParameters("gazette-retry-reader-copy", 60),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/^Error: jumps \[\] vs \[\d/);
  });

  it("fails on a RetryReader that restarts at its original offset", async () => {
    const details = await fc.check(copyProperty({ retryReader: "restart-at-original-offset" }), {
      ...propertyParameters("gazette-retry-reader-copy", 60),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/runs .* vs |read did not end/);
  });
});

const belowCase = fc.record({
  seed: fc.nat(1000),
  size: fc.integer({ min: 2, max: 3000 }),
  startFraction: fc.double({ min: 0.01, max: 1, noNaN: true }),
  by: fc.integer({ min: 1, max: 3000 }),
});

function belowProperty(variant?: ReaderBrokenVariant) {
  return fc.asyncProperty(belowCase, async (input) => {
    const store = new ModelStore();
    store.createJournal(journalSpec(JOURNAL), brokerRoute(BROKERS, "broker-a"));
    store.fill(JOURNAL, [fragmentContent(0, input.size)]);
    const start = Math.max(1, Math.min(input.size - 1, Math.floor(input.startFraction * input.size)));
    const run = await runGazette({
      seed: input.seed,
      store,
      brokers: BROKERS,
      faults: { read: () => ({ kind: "offset-below", by: input.by }) },
      client: async ({ client }) => {
        const reader = readerOf(variant)(client, readRequest({ journal: JOURNAL, offset: start }), {});
        for (let reads = 0; reads < 100; reads++) {
          const chunk = await reader.read();
          if (chunk === null) return "eof";
        }
        return "unbounded";
      },
    });
    if (!(run.error instanceof ValidationError) || !run.error.message.includes("invalid ReadResponse offset")) {
      throw new Error(
        `expected a ValidationError for a response offset below ${start}, got ${String(run.error ?? run.result)}`,
      );
    }
  });
}

describe("gazette client: Reader rejects a response offset below its request", () => {
  it("rejects it with a ValidationError", async () => {
    await fc.assert(belowProperty(), propertyParameters("gazette-reader-offset-below", 25));
  });

  it("fails on a Reader that accepts it", async () => {
    const details = await fc.check(belowProperty("accept-offset-below-request"), {
      ...propertyParameters("gazette-reader-offset-below", 25),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toContain("expected a ValidationError");
  });
});

/** The store's persisted fragments as files under NAS_ROOT on the client's disk, and a transport that opens them. */
async function nasTransports(env: Env, store: ModelStore): Promise<FragmentTransports> {
  for (const directory of ["/nas", "/nas/examples", "/nas/examples/reads", "/nas/examples/reads/part-000"])
    await env.disk.mkdir(directory);
  for (const file of store.persistedFiles()) await env.disk.writeFile(`${NAS_ROOT}${file.path}`, file.data);
  const transports = new FragmentTransports();
  installFileTransport(transports, env.disk, NAS_ROOT);
  return transports;
}

describe("gazette client: seeking, buffering and blocking reads (examples)", () => {
  it("seeks within a directly read fragment, needs a new Reader otherwise, and RetryReader seeks by restarting", async () => {
    const { BufferedReader } = await import("../../../src/impl/gazette/client/buffered-reader.ts");
    const { ErrSeekRequiresNewReader, ErrSeekEndUnsupported } = await import(
      "../../../src/impl/gazette/client/errors.ts"
    );
    const store = new ModelStore();
    store.createJournal(journalSpec(JOURNAL, "GZIP"), brokerRoute(BROKERS, "broker-a"));
    const journal = store.journals.get(JOURNAL)!;
    journal.append(fragmentContent(0, 3000), 1_000, true);
    journal.append(fragmentContent(1, 3000), 1_000, false);
    const run = await runGazette({
      seed: 9,
      store,
      brokers: BROKERS,
      client: async ({ env, client }) => {
        const transports = await nasTransports(env, store);
        const reader = new Reader(client, readRequest({ journal: JOURNAL, offset: 100, doNotProxy: true }), {
          transports,
        });
        const first = await reader.read(10); // Metadata: empty read.
        const second = await reader.read(10); // Direct from the fragment file.
        const seeked = await reader.seek(2000);
        const afterSeek = await reader.read(5);
        const backwards = await reader.seek(10).catch((error: unknown) => error);
        const beyond = await reader.seek(5000).catch((error: unknown) => error);
        const fromEnd = await reader.seek(0, "end").catch((error: unknown) => error);
        const retry = new RetryReader(
          env.clock,
          client,
          readRequest({ journal: JOURNAL, offset: 0, endOffset: 6000 }),
          { transports },
        );
        const buffered = new BufferedReader(retry, 512);
        await buffered.read(1); // Metadata (empty).
        let one = await buffered.read(100);
        for (let reads = 0; reads < 5 && one !== null && one.length === 0; reads++) one = await buffered.read(100);
        const adjusted = retry.adjustedOffset(buffered);
        const inBuffer = await retry.adjustedSeek(adjusted + 50, "start", buffered);
        const afterDiscard = await buffered.read(10);
        const far = await retry.adjustedSeek(4500, "start", buffered);
        let afterFar: Uint8Array | null = new Uint8Array(0);
        for (let reads = 0; reads < 5 && afterFar !== null && afterFar.length === 0; reads++)
          afterFar = await buffered.read(10);
        return {
          first,
          second,
          seeked,
          afterSeek,
          backwards,
          beyond,
          fromEnd,
          one,
          adjusted,
          inBuffer,
          afterDiscard,
          far,
          afterFar,
          ErrSeekRequiresNewReader,
          ErrSeekEndUnsupported,
        };
      },
    });
    expect(run.error).toBeUndefined();
    const result = run.result!;
    const content = fragmentContent(0, 3000);
    expect(result.first?.length).toBe(0);
    expect([...result.second!]).toEqual([...content.subarray(100, 110)]);
    expect(result.seeked).toBe(2000);
    expect([...result.afterSeek!]).toEqual([...content.subarray(2000, 2005)]);
    expect(result.backwards).toBeInstanceOf(result.ErrSeekRequiresNewReader);
    expect(result.beyond).toBeInstanceOf(result.ErrSeekRequiresNewReader);
    expect(result.fromEnd).toBeInstanceOf(result.ErrSeekEndUnsupported);
    expect(result.adjusted).toBe(100);
    expect(result.inBuffer).toBe(150);
    expect([...result.afterDiscard!]).toEqual([...content.subarray(150, 160)]);
    expect(result.far).toBe(4500);
    expect([...result.afterFar!]).toEqual([...fragmentContent(1, 3000).subarray(1500, 1510)]);
  });

  // Mutation testing (npm run mutate) left these paths unchecked: a direct read's end offset,
  // a seek relative to the current offset or to the fragment's end, a proxied Reader's seek,
  // and the route a read's response header carries.
  it("a direct read stops at its end offset; seeks relative to the current offset; not to the fragment's end nor on a proxied read; a response header's route is cached", async () => {
    const { ErrSeekRequiresNewReader } = await import("../../../src/impl/gazette/client/errors.ts");
    const store = new ModelStore();
    store.createJournal(journalSpec(JOURNAL), brokerRoute(BROKERS, "broker-b"));
    store.journals.get(JOURNAL)!.append(fragmentContent(0, 3000), 1_000, true);
    const run = await runGazette({
      seed: 11,
      store,
      brokers: BROKERS,
      client: async ({ env, client }) => {
        const transports = await nasTransports(env, store);
        const routeBefore = client.route(JOURNAL).members.length;
        const bounded = new Reader(
          client,
          readRequest({ journal: JOURNAL, offset: 100, endOffset: 150, doNotProxy: true }),
          { transports },
        );
        const boundedBytes: number[] = [];
        for (let reads = 0; reads < 20; reads++) {
          const chunk = await bounded.read(16);
          if (chunk === null) break;
          boundedBytes.push(...chunk);
        }
        const routeAfter = client.route(JOURNAL);
        const direct = new Reader(client, readRequest({ journal: JOURNAL, offset: 100, doNotProxy: true }), {
          transports,
        });
        await direct.read(10); // Metadata.
        await direct.read(10); // 100..110, direct.
        const relative = await direct.seek(40, "current");
        const afterRelative = await direct.read(5);
        const toFragmentEnd = await direct.seek(3000).catch((error: unknown) => error);
        const proxied = new Reader(client, readRequest({ journal: JOURNAL, offset: 0 }));
        await proxied.read(10);
        const proxiedSeek = await proxied.seek(5).catch((error: unknown) => error);
        return {
          routeBefore,
          boundedBytes,
          routeAfter,
          relative,
          afterRelative,
          toFragmentEnd,
          proxiedSeek,
          ErrSeekRequiresNewReader,
        };
      },
    });
    expect(run.error).toBeUndefined();
    const result = run.result!;
    const content = fragmentContent(0, 3000);
    expect(result.routeBefore).toBe(0);
    expect(result.boundedBytes).toEqual([...content.subarray(100, 150)]);
    expect(result.routeAfter.members.map((member) => member.suffix)).toEqual(BROKERS);
    expect(result.routeAfter.members[result.routeAfter.primary]?.suffix).toBe("broker-b");
    expect(result.relative).toBe(150);
    expect([...result.afterRelative!]).toEqual([...content.subarray(150, 155)]);
    expect(result.toFragmentEnd).toBeInstanceOf(result.ErrSeekRequiresNewReader);
    expect(result.proxiedSeek).toBeInstanceOf(result.ErrSeekRequiresNewReader);
  });

  it("a blocking RetryReader waits for the next append; a non-blocking one surfaces ErrOffsetNotYetAvailable", async () => {
    const { Appender } = await import("../../../src/impl/gazette/client/appender.ts");
    const { appendRequest } = await import("../../../src/impl/gazette/protocol/messages.ts");
    const { ErrOffsetNotYetAvailable } = await import("../../../src/impl/gazette/client/errors.ts");
    const store = new ModelStore();
    store.createJournal(journalSpec(JOURNAL), brokerRoute(BROKERS, "broker-a"));
    const run = await runGazette({
      seed: 10,
      store,
      brokers: BROKERS,
      client: async ({ env, client }) => {
        const nonBlocking = await new RetryReader(env.clock, client, readRequest({ journal: JOURNAL, offset: 0 }))
          .read()
          .catch((error: unknown) => error);
        const blocking = new RetryReader(env.clock, client, readRequest({ journal: JOURNAL, offset: 0, block: true }));
        const writer = (async () => {
          await env.clock.sleep(500);
          const appender = new Appender(client, appendRequest({ journal: JOURNAL }));
          await appender.write(new TextEncoder().encode("late news"));
          await appender.close();
        })();
        let chunk: Uint8Array | null = new Uint8Array(0);
        for (let reads = 0; reads < 10 && chunk !== null && chunk.length === 0; reads++) chunk = await blocking.read();
        await writer;
        blocking.cancel();
        const cancelled = await blocking.read().catch((error: unknown) => (error as Error).name);
        return {
          nonBlocking,
          chunk: new TextDecoder().decode(chunk ?? new Uint8Array(0)),
          at: env.clock.monotonic(),
          cancelled,
        };
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.nonBlocking).toBeInstanceOf(ErrOffsetNotYetAvailable);
    expect(run.result?.chunk).toBe("late news");
    expect(run.result?.at).toBeGreaterThan(500);
    expect(run.result?.cancelled).toBe("ErrCancelled");
  });
});

describe("gazette client: a Reader resumed with a previous response (example)", () => {
  it("returns that response's content only from its request offset on, and reads from the broker below it", async () => {
    const requested: number[] = [];
    const bytes = new TextEncoder().encode("0123456789");
    const client = routedJournalClient(
      {
        read: (request: ReadRequest) => {
          requested.push(request.offset);
          const fragment = {
            journal: JOURNAL,
            begin: 0,
            end: bytes.length,
            sum: fragmentSum(NODE_HASHES, bytes),
            compressionCodec: "NONE" as const,
            backingStore: "",
            modTime: 0,
            pathPostfix: "",
          };
          return (async function* () {
            yield { status: "OK" as const, offset: request.offset, writeHead: bytes.length, fragmentUrl: "", fragment };
            yield {
              status: "OK" as const,
              offset: request.offset,
              writeHead: 0,
              fragmentUrl: "",
              content: bytes.slice(request.offset),
            };
          })();
        },
      } as unknown as JournalClient,
      noopRouter,
    );
    const previousResponse = {
      status: "OK" as const,
      offset: 6,
      writeHead: 0,
      fragmentUrl: "",
      content: bytes.slice(6),
    };
    const ahead = new Reader(client, readRequest({ journal: JOURNAL, offset: 8 }), { previousResponse });
    expect(new TextDecoder().decode((await ahead.read()) ?? new Uint8Array())).toBe("89");
    const behind = new Reader(client, readRequest({ journal: JOURNAL, offset: 2 }), { previousResponse });
    const chunks: string[] = [];
    for (let step = 0; step < 3; step++)
      chunks.push(new TextDecoder().decode((await behind.read()) ?? new Uint8Array()));
    expect(chunks.join("")).toBe("23456789");
    expect(requested).toEqual([2]);
  });
});
